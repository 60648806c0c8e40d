// /confirm_signup_code (content-server.md §3 "Sign-up"): the 6-digit code mailed at sign-up
// confirms the address and the held session (POST /session/verify_code); "Email new code" asks
// /session/resend_code. Also the body of /signin_token_code, the same step for a sign-in.
import { post } from "../api.js";
import { finish, flowFields, go, pagePath, pageUrl, params } from "../flow.js";
import { gettext } from "../i18n.js";
import { describeService } from "../service.js";
import { currentAccount, liveAccount, signOut } from "../session.js";
import { FieldError, cleanCode, errorMessage, isCodeError, onSubmit, showError, showSuccess } from "../ui.js";



/** What the code is for: the service and, for an RP asking for Sync, its scopes (postVerify mail). */
function verifyFields() {
  const fields = {};
  const { service } = flowFields();
  if (service) fields.service = service;
  const scope = params.get("scope");
  if (scope) fields.scopes = scope.split(/\s+/).filter(Boolean);
  return fields;
}

/**
 * The email-code step: `kind` is "signup" or "signin" (what finish() is told). Without a held
 * session there is nothing to confirm: back to the start.
 */
export async function initEmailCodePage(kind) {
  const held = currentAccount();
  if (!held) return go(pagePath("/"), { email: null }, { replace: true });
  const account = await liveAccount().catch(() => held);
  if (!account) return go(pagePath("/"), { email: null }, { replace: true });
  if (account.verified && account.emailVerified !== false) return finish(kind);
  describeService();

  for (const element of document.querySelectorAll("[data-email]")) element.textContent = account.email;
  // Another address or account: this session is abandoned, so end it rather than leave it held.
  for (const link of document.querySelectorAll("[data-change-email]")) {
    link.href = pageUrl(pagePath("/"), { email: null });
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      await signOut();
      location.assign(link.href);
    });
  }

  const form = document.getElementById("code-form");
  const input = document.getElementById("code");
  onSubmit(form, async () => {
    const code = cleanCode(input.value);
    if (!/^\d{6}$/.test(code)) throw new FieldError(input, gettext("Enter the 6-digit code from the email."));
    try {
      await post("/session/verify_code", { code, ...verifyFields() }, { token: account.sessionToken });
    } catch (error) {
      if (isCodeError(error)) {
        throw new FieldError(input, errorMessage(error));
      }
      throw error;
    }
    return finish(kind);
  });

  const resend = form.querySelector("[data-resend]");
  resend.addEventListener("click", async () => {
    resend.disabled = true;
    try {
      await post("/session/resend_code", {}, { token: account.sessionToken });
      showSuccess(form, gettext("Email sent. Check your inbox for the code."));
      input.focus();
    } catch (error) {
      showError(form, errorMessage(error));
    } finally {
      resend.disabled = false;
    }
  });
}

export function init() {
  return initEmailCodePage("signup");
}
