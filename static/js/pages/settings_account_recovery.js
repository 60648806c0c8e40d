// /settings/account_recovery (content-server.md §3 "Account recovery key", onepw.md §7). The key is
// made here, in the browser: the password, re-entered, gets a keyFetchToken from /v1/session/reauth
// and so kB; kB is sealed with the new key, and only the key's id and the sealed data are sent
// (POST /v1/mfa/recoveryKey with the "recovery_key" step-up). The key itself is shown once.
import { ApiError, Errno, get, post, request } from "../api.js";
import {
  bytesToHex, deriveKB, encodeRecoveryKey, encryptRecoveryData, generateRecoveryKey, recoveryKeyId,
  stretchV1, stretchV2, unbundleKeys,
} from "../crypto.js";
import { format, gettext } from "../i18n.js";
import { endedSession, openSettings, StepUpCancelled, toast, withStepUp } from "../settings.js";
import { FieldError, bindPasswordToggles, clearMessages, errorMessage, onSubmit, showError } from "../ui.js";

const STEPS = ["status-step", "password-step", "key-step", "remove-step"];

function showStep(id) {
  for (const step of STEPS) document.getElementById(step).hidden = step !== id;
}

/** The 32 characters in groups of four, as the user copies or types them. */
function groups(keyText) {
  return keyText.match(/.{4}/g);
}

/** The account's primary address: the one /session/reauth takes (a secondary one is 142). */
async function primaryEmail(account) {
  const emails = await get("/recovery_emails", { token: account.sessionToken });
  return emails.find((entry) => entry.isPrimary).email;
}

/** Prove the password on this session with keys=true; kA and kB from the keyFetchToken. */
async function fetchKeys(account, password) {
  const email = await primaryEmail(account);
  const status = await post("/account/credentials/status", { email });
  const reauth = async (saltEmail) => {
    const stretched = status.currentVersion === "v2" && status.clientSalt
      ? await stretchV2(status.clientSalt, password)
      : await stretchV1(saltEmail, password);
    const body = { email: saltEmail, authPW: bytesToHex(stretched.authPW) };
    if (saltEmail !== email) body.originalLoginEmail = email;
    const answer = await post("/session/reauth", body, { token: account.sessionToken, query: { keys: "true" } });
    return { answer, unwrapBKey: stretched.unwrapBKey };
  };
  let result;
  try {
    result = await reauth(email);
  } catch (error) {
    // v1 stretches with the sign-up address in its original case (onepw.md §2.1): the 120 names it.
    if (!(error instanceof ApiError) || error.errno !== Errno.INCORRECT_EMAIL_CASE || !error.body.email) throw error;
    result = await reauth(error.body.email);
  }
  const keyFetchToken = result.answer.keyFetchTokenVersion2 || result.answer.keyFetchToken;
  const { bundle } = await get("/account/keys", { token: keyFetchToken, tokenType: "keyFetchToken" });
  const { kA, wrapKB } = await unbundleKeys(keyFetchToken, bundle);
  return { kA, kB: deriveKB(wrapKB, result.unwrapBKey) };
}

export async function init() {
  const account = await openSettings();
  if (!account) return;
  bindPasswordToggles();
  document.getElementById("username").value = account.email || "";
  const status = document.getElementById("status-step");
  const passwordForm = document.getElementById("password-form");
  const password = document.getElementById("password");
  const keyShown = document.querySelector("[data-recovery-key]");
  const download = document.querySelector("[data-download]");
  let hasKey = false;
  let replacing = false;
  let downloadUrl = null;

  async function loadState() {
    ({ exists: hasKey } = await post("/recoveryKey/exists", {}, { token: account.sessionToken }));
    let hint = "";
    if (hasKey) {
      try {
        ({ hint } = await get("/recoveryKey/hint", { token: account.sessionToken }));
      } catch (error) {
        if (!(error instanceof ApiError) || error.errno !== Errno.RECOVERY_KEY_NOT_FOUND) throw error;
      }
    }
    status.querySelector(".recovery-status").dataset.keyState = hasKey ? "enabled" : "none";
    for (const element of status.querySelectorAll("[data-when-key]")) element.hidden = !hasKey;
    for (const element of status.querySelectorAll("[data-when-no-key]")) element.hidden = hasKey;
    status.querySelector("[data-hint]").textContent = hint || "";
    status.querySelector("[data-hint-line]").hidden = !hint;
  }

  // Errors of the status and remove steps: a gone session signs out, a closed step-up is no error.
  async function guarded(form, work) {
    try {
      await work();
    } catch (error) {
      if (error instanceof StepUpCancelled || endedSession(error)) return;
      if (!(error instanceof ApiError)) console.error(error);
      showError(form, errorMessage(error));
    }
  }

  async function backToStatus() {
    await loadState();
    showStep("status-step");
  }

  function startCreate(replace) {
    replacing = replace;
    clearMessages(status);
    clearMessages(passwordForm);
    password.value = "";
    document.querySelector("[data-replacing]").hidden = !replace;
    showStep("password-step");
    password.focus();
  }
  status.querySelector("[data-create]").addEventListener("click", () => startCreate(false));
  status.querySelector("[data-replace]").addEventListener("click", () => startCreate(true));
  status.querySelector("[data-remove]").addEventListener("click", () => {
    clearMessages(status);
    showStep("remove-step");
  });
  for (const back of document.querySelectorAll("[data-back]")) {
    back.addEventListener("click", () => showStep("status-step"));
  }

  onSubmit(passwordForm, async () => {
    if (!password.value) throw new FieldError(password, gettext("Enter your password."));
    let keys;
    try {
      keys = await fetchKeys(account, password.value);
    } catch (error) {
      if (endedSession(error)) return;
      if (error instanceof ApiError && error.errno === Errno.INCORRECT_PASSWORD) {
        throw new FieldError(password, gettext("Incorrect password."));
      }
      throw error;
    }
    const key = generateRecoveryKey();
    const body = {
      recoveryKeyId: await recoveryKeyId(key, account.uid),
      recoveryData: await encryptRecoveryData(key, account.uid, { kA: bytesToHex(keys.kA), kB: bytesToHex(keys.kB) }),
      enabled: true,
      replaceKey: replacing,
    };
    try {
      await withStepUp(account, "recovery_key", (bearer) => post("/mfa/recoveryKey", body, { bearer }));
    } catch (error) {
      if (error instanceof StepUpCancelled || endedSession(error)) return;
      throw error;
    }
    password.value = "";
    showKey(encodeRecoveryKey(key));
  });

  function showKey(keyText) {
    const text = groups(keyText).join(" ");
    // One cell per group (two rows of four), with the spaces kept for copying by selection.
    keyShown.replaceChildren(...groups(keyText).flatMap((group, index) => {
      const cell = document.createElement("span");
      cell.textContent = group;
      return index ? [" ", cell] : [cell];
    }));
    document.querySelector("[data-print-email]").textContent = account.email || "";
    document.querySelector("[data-print-date]").textContent = new Date().toLocaleDateString();
    const file = [
      gettext("Mozilla account recovery key"),
      account.email || "",
      new Date().toLocaleDateString(),
      "",
      text,
      "",
      gettext("Keep this file somewhere safe. With this key you can keep your synced data when you reset a forgotten password."),
      "",
    ].join("\n");
    downloadUrl = URL.createObjectURL(new Blob([file], { type: "text/plain;charset=utf-8" }));
    download.href = downloadUrl;
    document.getElementById("hint").value = "";
    clearMessages(document.getElementById("hint-form"));
    document.querySelector("[data-replaced]").hidden = !replacing;
    showStep("key-step");
    document.getElementById("key-heading").focus();
  }

  // The key leaves the page once the user is done with it.
  async function finish(message) {
    keyShown.textContent = "";
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = null;
    download.href = "#";
    await backToStatus();
    if (message) toast(message);
  }

  document.querySelector("[data-copy]").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(keyShown.textContent.replace(/ /g, ""));
      toast(gettext("Copied."));
    } catch {
      getSelection().selectAllChildren(keyShown);
      toast(gettext("Copying is not allowed here. The key is selected: copy it with your keyboard."));
    }
  });
  document.querySelector("[data-print]").addEventListener("click", () => window.print());

  const hintForm = document.getElementById("hint-form");
  const hintInput = document.getElementById("hint");
  onSubmit(hintForm, async () => {
    const hint = hintInput.value.trim();
    if (!hint) throw new FieldError(hintInput, gettext("Type a hint, or finish without one."));
    try {
      await post("/recoveryKey/hint", { hint }, { token: account.sessionToken });
    } catch (error) {
      if (endedSession(error)) return;
      if (error instanceof ApiError && error.errno === Errno.INVALID_PARAMETER) {
        throw new FieldError(hintInput, gettext("Use letters, numbers and punctuation only."));
      }
      throw error;
    }
    await finish(format(gettext("Hint saved: %(hint)s"), { hint }));
  });
  hintForm.querySelector("[data-finish]").addEventListener("click", () => finish(gettext("Your account recovery key is set.")));

  const removeForm = document.getElementById("remove-form");
  onSubmit(removeForm, () => guarded(removeForm, async () => {
    await withStepUp(account, "recovery_key", (bearer) => request("DELETE", "/mfa/recoveryKey", { bearer }));
    await backToStatus();
    toast(gettext("Your account recovery key was removed."));
  }));

  try {
    await loadState();
  } catch (error) {
    if (endedSession(error)) return;
    throw error;
  }
  showStep("status-step");
}
