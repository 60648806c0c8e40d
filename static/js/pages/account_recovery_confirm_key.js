// /account_recovery_confirm_key (onepw.md §7): the account recovery key is decoded and used here,
// in the browser: its id fetches the sealed kB (GET /v1/recoveryKey/{recoveryKeyId} with the
// accountResetToken), its encryption key opens it, and the new password will wrap the same kB.
// Without the key the reset goes on with a new kB, after the data-loss warning.
import { Errno, get } from "../api.js";
import { decodeRecoveryKey, decryptRecoveryData, recoveryKeyId } from "../crypto.js";
import { gettext } from "../i18n.js";
import { loadReset, onResetSubmit, resetGo, resetUrl, saveReset, showRestart } from "../reset.js";
import { FieldError } from "../ui.js";

const KB_HEX = /^[0-9a-fA-F]{64}$/;

export async function init() {
  const state = loadReset();
  if (!state.resetToken || !state.uid) return showRestart();

  const withoutKey = document.getElementById("no-recovery-key");
  withoutKey.href = resetUrl("/complete_reset_password", { email: state.email });
  withoutKey.addEventListener("click", () => saveReset({ kB: null, recoveryKeyId: null }));

  const input = document.getElementById("recovery-key");
  const wrongKey = () => new FieldError(input, gettext("That is not this account’s recovery key. Check what you typed."));
  onResetSubmit(document.getElementById("recovery-key-form"), async () => {
    let key;
    try {
      key = decodeRecoveryKey(input.value);
    } catch {
      throw new FieldError(input, gettext("An account recovery key has 32 letters and numbers. Check what you typed."));
    }
    const id = await recoveryKeyId(key, state.uid);
    let recoveryData;
    try {
      ({ recoveryData } = await get(`/recoveryKey/${id}`, { token: state.resetToken, tokenType: "accountResetToken" }));
    } catch (error) {
      if (error.errno === Errno.RECOVERY_KEY_INVALID) throw wrongKey();
      throw error;
    }
    let keys;
    try {
      keys = await decryptRecoveryData(key, state.uid, recoveryData);
    } catch {
      throw wrongKey();
    }
    if (!keys || !KB_HEX.test(keys.kB || "")) throw wrongKey();
    saveReset({ kB: keys.kB.toLowerCase(), recoveryKeyId: id });
    resetGo("/account_recovery_reset_password", { email: state.email });
  });
}
