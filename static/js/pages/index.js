// Email-first (content-server.md §3): ask whether the account exists, then sign in or sign up.
import { post } from "../api.js";
import { finish, go, pagePath, params } from "../flow.js";
import { currentAccount, forgetAccount, liveAccount } from "../session.js";
import { gettext } from "../i18n.js";
import { FieldError, onSubmit } from "../ui.js";
import { describeService } from "../service.js";
import { startFirefoxPage } from "../firefox.js";

export async function init() {
  // Inside Firefox, the account Firefox is signed in to comes first.
  await startFirefoxPage({ adoptUser: true });
  describeService();
  const form = document.getElementById("email-form");
  const input = document.getElementById("email");
  input.value = params.get("email") || params.get("login_hint") || "";

  const held = currentAccount();
  if (held && !params.has("email") && params.get("prompt") !== "login") {
    const account = await liveAccount().catch(() => held);
    if (account) showContinueAs(account, form);
  }

  onSubmit(form, async () => {
    const email = input.value.trim();
    if (!email || !input.checkValidity()) {
      throw new FieldError(input, gettext("Enter a valid email address."));
    }
    const { exists } = await post("/account/status", { email });
    go(exists ? pagePath("/signin") : pagePath("/signup"), { email });
  });
}

// "Continue as …": the browser already holds a session for this server.
function showContinueAs(account, form) {
  const section = document.getElementById("continue-as");
  section.querySelector("[data-account-email]").textContent = account.email;
  section.hidden = false;
  form.hidden = true;
  document.getElementById("continue-button").addEventListener("click", () => {
    // A verified session needs no password again (unless the RP asks for a fresh sign-in there).
    if (account.verified && account.emailVerified !== false && !params.has("max_age")) finish("signin");
    else go(pagePath("/signin"), { email: account.email });
  });
  document.getElementById("use-another").addEventListener("click", () => {
    forgetAccount();
    section.hidden = true;
    form.hidden = false;
    document.getElementById("email").focus();
  });
}
