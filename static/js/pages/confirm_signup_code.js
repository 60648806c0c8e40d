// /confirm_signup_code (content-server.md §3 "Sign-up"): the 6-digit code mailed at sign-up
// confirms the address and the held session (POST /session/verify_code); "Email new code" asks
// /session/resend_code. Also the body of /signin_token_code, the same step for a sign-in.
import { ApiError, Errno, post } from "../api.js";
import { finish, flowFields, go, pageUrl, params } from "../flow.js";
import { gettext } from "../i18n.js";
import { describeService } from "../service.js";
import { currentAccount, liveAccount, signOut } from "../session.js";
import { FieldError, cleanCode, errorMessage, onSubmit, showError, showSuccess } from "../ui.js";

const CODE_ERRNOS = new Set([
  Errno.INVALID_EXPIRED_OTP_CODE,
  Errno.INVALID_VERIFICATION_CODE,
  Errno.INVALID_TOKEN_VERIFICATION_CODE,
  Errno.EXPIRED_TOKEN_VERIFICATION_CODE,
]);

function prefixed(path) {
  return location.pathname.startsWith("/oauth/") ? "/oauth" + path : path;
}

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
  if (!held) return go(prefixed("/"), { email: null }, { replace: true });
  const account = await liveAccount().catch(() => held);
  if (!account) return go(prefixed("/"), { email: null }, { replace: true });
  if (account.verified && account.emailVerified !== false) return finish(kind);
  describeService();

  for (const element of document.querySelectorAll("[data-email]")) element.textContent = account.email;
  // Another address or account: this session is abandoned, so end it rather than leave it held.
  for (const link of document.querySelectorAll("[data-change-email]")) {
    link.href = pageUrl(prefixed("/"), { email: null });
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
      if (error instanceof ApiError && CODE_ERRNOS.has(error.errno)) {
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
