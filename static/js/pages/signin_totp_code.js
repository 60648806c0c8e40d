// /signin_totp_code (content-server.md §3 "Sign-in", totp-2fa): the code of the authenticator
// app confirms this sign-in (POST /session/verify/totp). A wrong code is not an HTTP error there:
// the answer says `success: false`. The backup-code page shares the session handling below.
import { ApiError, post } from "../api.js";
import { finish, flowFields, go, pagePath, pageUrl } from "../flow.js";
import { gettext } from "../i18n.js";
import { describeService } from "../service.js";
import { currentAccount, liveAccount, signOut } from "../session.js";
import { FieldError, cleanCode, onSubmit } from "../ui.js";

const TOTP_TOKEN_NOT_FOUND = 155;


/**
 * The held session that this second step confirms, or null after sending the user elsewhere:
 * to the start without one, on if it is already confirmed.
 */
export async function sessionToConfirm() {
  const held = currentAccount();
  const account = held ? await liveAccount().catch(() => held) : null;
  if (!account) {
    go(pagePath("/"), { email: null }, { replace: true });
    return null;
  }
  if (account.verified && account.emailVerified !== false) {
    await finish("signin");
    return null;
  }
  describeService();
  // Another account: this half-done sign-in is abandoned, so end its session.
  for (const link of document.querySelectorAll("[data-change-email]")) {
    link.href = pageUrl(pagePath("/"), { email: null });
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      await signOut();
      location.assign(link.href);
    });
  }
  return account;
}

/** Errors of the second-factor routes that are about the account rather than the code. */
export function secondFactorError(error, input) {
  if (error instanceof ApiError && error.errno === TOTP_TOKEN_NOT_FOUND) {
    return new FieldError(input, gettext("Two-step authentication is not set up for this account. Sign in again."));
  }
  return error;
}

export async function init() {
  const account = await sessionToConfirm();
  if (!account) return;
  const recovery = document.querySelector("[data-recovery-link]");
  recovery.href = pageUrl(pagePath("/signin_recovery_code"));

  const form = document.getElementById("code-form");
  const input = document.getElementById("code");
  onSubmit(form, async () => {
    const code = cleanCode(input.value);
    if (!/^\d{6}$/.test(code)) throw new FieldError(input, gettext("Enter the 6-digit code from your authentication app."));
    const body = { code };
    const { service } = flowFields();
    if (service) body.service = service;
    let result;
    try {
      result = await post("/session/verify/totp", body, { token: account.sessionToken });
    } catch (error) {
      throw secondFactorError(error, input);
    }
    if (!result.success) {
      throw new FieldError(input, gettext("That code is wrong or has expired. Enter the code your app shows now."));
    }
    return finish("signin");
  });
}
