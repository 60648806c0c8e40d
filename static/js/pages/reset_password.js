// /reset_password (content-server.md §3 "Reset password", step 1): the email, then an 8-digit
// code by mail (POST /v1/password/forgot/send_otp). A new reset starts here: any older one in this
// tab is dropped.
import { Errno, post } from "../api.js";
import { flowFields, pagePath, pageUrl, params } from "../flow.js";
import { gettext } from "../i18n.js";
import { RESET_WITH_SECONDARY_EMAIL, clearReset, resetErrorMessage, resetGo, saveReset } from "../reset.js";
import { describeService } from "../service.js";
import { FieldError, onSubmit } from "../ui.js";

export async function init() {
  describeService();
  const form = document.getElementById("reset-form");
  const input = document.getElementById("email");
  input.value = params.get("email") || "";
  const signin = document.querySelector("[data-signin-link]");
  signin.href = pageUrl(pagePath("/"));

  onSubmit(form, async () => {
    const email = input.value.trim();
    if (!email || !input.checkValidity()) throw new FieldError(input, gettext("Enter a valid email address."));
    try {
      await post("/password/forgot/send_otp", { email, ...flowFields() });
    } catch (error) {
      if (error.errno === Errno.ACCOUNT_UNKNOWN || error.errno === RESET_WITH_SECONDARY_EMAIL) {
        throw new FieldError(input, resetErrorMessage(error));
      }
      throw error;
    }
    clearReset();
    saveReset({ email });
    resetGo("/confirm_reset_password", { email });
  });
}
