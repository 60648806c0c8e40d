// /signin_token_code (content-server.md §3 "Sign-in", email-otp): the 6-digit code mailed to a
// verified account confirms this new sign-in. The same step as the sign-up code.
import { initEmailCodePage } from "./confirm_signup_code.js";

export function init() {
  return initEmailCodePage("signin");
}
