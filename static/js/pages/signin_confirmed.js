// /signin_confirmed (also /signin_verified): the landing of a confirmed sign-in; as the
// sign-up one.
import { initConfirmedPage } from "./signup_confirmed.js";

export function init() {
  return initConfirmedPage();
}
