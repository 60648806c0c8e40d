// The goodbye page after /settings/delete_account: nothing is left to do but forget the account
// here too (a tab opened before the deletion may still hold it).
import { forgetAccount } from "../session.js";

export function init() {
  forgetAccount();
}
