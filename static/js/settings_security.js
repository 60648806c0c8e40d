// What the password and two-step authentication settings pages share (content-server.md §3
// "Settings"): the step-up's quiet cancel, the authenticator's secret as a QR code and a typed
// key, and the backup codes with copy, download and print.
import { randomBytes } from "./crypto.js";
import { format, gettext, language } from "./i18n.js";
import { endedSession, StepUpCancelled } from "./settings.js";
import { FieldError, cleanCode } from "./ui.js";

const BACKUP_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, as the server's
const BACKUP_CODE_LENGTH = 10;
const BACKUP_CODE_COUNT = 8;

/**
 * A submit handler that stops quietly when the user closes the step-up dialog, and leaves the
 * page when the session turns out to be gone.
 */
export function guarded(handler) {
  return async (form) => {
    try {
      await handler(form);
    } catch (error) {
      if (error instanceof StepUpCancelled || endedSession(error)) return;
      throw error;
    }
  };
}

/** A date (ms) in the page's language, e.g. "3 Dec 2026". */
export function formatDate(ms) {
  return new Intl.DateTimeFormat(language(), { dateStyle: "medium" }).format(new Date(ms));
}

/** The secret as people type it: groups of four. */
export function groupedSecret(secret) {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

/** Show a /totp/create (or /totp/replace/start) answer in `root`'s QR image and key. */
export function showSecret(root, { qrCodeUrl, secret }) {
  const image = root.querySelector("[data-qr-code]");
  image.src = qrCodeUrl;
  root.querySelector("[data-secret]").textContent = groupedSecret(secret);
  const copy = root.querySelector("[data-copy-secret]");
  copy.onclick = () => copyText(copy, secret);
}

async function copyText(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = gettext("Copied");
  } catch {
    button.textContent = gettext("Copy failed: select the text instead");
  }
}

/** A new set of backup authentication codes, made here as upstream's settings page does. */
export function newBackupCodes() {
  const codes = new Set();
  while (codes.size < BACKUP_CODE_COUNT) {
    const bytes = randomBytes(BACKUP_CODE_LENGTH);
    codes.add(Array.from(bytes, (byte) => BACKUP_CODE_ALPHABET[byte & 31]).join(""));
  }
  return [...codes];
}

/** The codes in `root`'s list, with its Copy, Download (.txt) and Print buttons bound. */
export function showBackupCodes(root, codes, email) {
  const list = root.querySelector("[data-backup-codes]");
  list.replaceChildren(...codes.map((code) => {
    const item = document.createElement("li");
    item.textContent = code;
    return item;
  }));
  const text = [
    format(gettext("Backup authentication codes for %(email)s"), { email }),
    gettext("Each code can be used once, when you cannot use your authentication app."),
    "",
    ...codes,
    "",
  ].join("\n");
  const copy = root.querySelector("[data-copy-codes]");
  copy.textContent = gettext("Copy");
  copy.onclick = () => copyText(copy, codes.join("\n"));
  root.querySelector("[data-download-codes]").onclick = () => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    link.download = "mozilla-backup-codes.txt";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
  };
  root.querySelector("[data-print-codes]").onclick = () => window.print();
}

/** The typed backup code must be one of `codes` (a proof they were kept). */
export function checkBackupCode(input, codes) {
  const typed = cleanCode(input.value).toLowerCase();
  if (!codes.includes(typed)) {
    throw new FieldError(input, gettext("That is not one of the codes above. Type one of them to show you kept them."));
  }
}

/** A 6-digit code from the authentication app, or a FieldError. */
export function appCode(input) {
  const code = cleanCode(input.value);
  if (!/^\d{6}$/.test(code)) throw new FieldError(input, gettext("Enter the 6-digit code from your authentication app."));
  return code;
}
