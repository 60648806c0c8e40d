// /settings/emails (content-server.md §3 "Secondary emails"): the addresses as GET /v1/recovery_emails
// lists them, and what a user does with them. Every change goes through a /v1/mfa/recovery_email*
// route with the step-up token of the "email" action.
import { ApiError, get, post } from "../api.js";
import { format, gettext } from "../i18n.js";
import { storeAccount } from "../session.js";
import { endedSession, openSettings, StepUpCancelled, toast, withStepUp } from "../settings.js";
import { FieldError, errorMessage, onSubmit, showError } from "../ui.js";

// What the verify page leaves for this page to say after it sends the browser back here.
const NOTICE_KEY = "fxa.settings.emails.notice";

// The errnos of the email routes (accounts/errors.py), in words a user can act on.
const EMAIL_ERRORS = {
  107: () => gettext("Enter a valid email address."),
  136: () => gettext("This address is used by another account. Enter a different one."),
  137: () => gettext("Your primary email address cannot be removed."),
  139: () => gettext("This is already your primary email address."),
  140: () => gettext("This address is used by another account. Enter a different one."),
  141: () => gettext("This address was just used to start another account. Try again tomorrow, or enter a different one."),
  143: () => gettext("This address is no longer on your account. Reload the page."),
  144: () => gettext("This address is used by another account. Enter a different one."),
  147: () => gettext("Confirm this address before making it primary."),
  148: () => gettext("This address is not on your account."),
  150: () => gettext("This address is no longer on your account. Reload the page."),
  188: () => gettext("You can add up to 3 secondary email addresses. Remove one first."),
  189: () => gettext("This address is already on your account."),
};

export function emailErrorMessage(error) {
  const words = error instanceof ApiError && EMAIL_ERRORS[error.errno];
  return words ? words() : errorMessage(error);
}

/** A change to the addresses over /v1/mfa/…; false if the user closed the step-up dialog. */
export async function emailChange(account, path, body) {
  try {
    await withStepUp(account, "email", (bearer) => post(path, body, { bearer }));
    return true;
  } catch (error) {
    if (error instanceof StepUpCancelled) return false;
    if (endedSession(error)) return false;
    throw error;
  }
}

/** Leave a sentence for /settings/emails to show once it loads (the verify page's success). */
export function noticeForEmailsPage(message) {
  sessionStorage.setItem(NOTICE_KEY, message);
}

export function verifyUrl(email) {
  return "/settings/emails/verify?" + new URLSearchParams({ email });
}

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const section = document.getElementById("secondary-emails");

  const notice = sessionStorage.getItem(NOTICE_KEY);
  if (notice) {
    sessionStorage.removeItem(NOTICE_KEY);
    toast(notice);
  }

  async function load() {
    let emails;
    try {
      emails = await get("/recovery_emails", { token: account.sessionToken });
    } catch (error) {
      if (endedSession(error)) return;
      throw error;
    }
    const primary = emails.find((entry) => entry.isPrimary);
    document.querySelector("[data-primary-email]").textContent = primary.email;
    if (primary.email !== account.email) Object.assign(account, storeAccount({ email: primary.email }));
    render(emails.filter((entry) => !entry.isPrimary));
  }

  // One row action at a time: its button is disabled while it runs, its error shown above the list.
  async function act(button, work) {
    section.querySelector("[data-form-error]").textContent = "";
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      showError(section, emailErrorMessage(error));
    } finally {
      button.disabled = false;
    }
  }

  function render(secondaries) {
    const list = section.querySelector("[data-secondary-list]");
    const template = document.getElementById("email-row-template");
    list.replaceChildren();
    section.querySelector("[data-no-secondary]").hidden = secondaries.length > 0;
    for (const { email, verified } of secondaries) {
      const row = template.content.firstElementChild.cloneNode(true);
      row.dataset.email = email;
      row.dataset.state = verified ? "verified" : "unverified";
      row.querySelector("[data-address]").textContent = email;
      row.querySelector("[data-verified]").hidden = !verified;
      row.querySelector("[data-unverified]").hidden = verified;
      const resend = row.querySelector("[data-resend]");
      const enterCode = row.querySelector("[data-enter-code]");
      const makePrimary = row.querySelector("[data-make-primary]");
      resend.hidden = verified;
      enterCode.hidden = verified;
      makePrimary.hidden = !verified;
      enterCode.href = verifyUrl(email);
      resend.addEventListener("click", () => act(resend, async () => {
        if (await emailChange(account, "/mfa/recovery_email/secondary/resend_code", { email })) {
          toast(format(gettext("A new code is on its way to %(email)s."), { email }));
        }
      }));
      makePrimary.addEventListener("click", () => act(makePrimary, async () => {
        if (await emailChange(account, "/mfa/recovery_email/set_primary", { email })) {
          await load();
          document.getElementById("primary-email-heading").focus();
          toast(format(gettext("%(email)s is now your primary email address."), { email }));
        }
      }));
      const remove = row.querySelector("[data-remove]");
      remove.addEventListener("click", () => act(remove, async () => {
        if (await emailChange(account, "/mfa/recovery_email/destroy", { email })) {
          await load();
          // The row and its button are gone: keep the keyboard in the list.
          document.getElementById("secondary-emails-heading").focus();
          toast(format(gettext("%(email)s was removed from your account."), { email }));
        }
      }));
      list.append(row);
    }
  }

  const form = document.getElementById("add-email-form");
  const input = document.getElementById("new-email");
  onSubmit(form, async () => {
    const email = input.value.trim();
    if (!email || !input.checkValidity()) throw new FieldError(input, gettext("Enter a valid email address."));
    try {
      if (!(await emailChange(account, "/mfa/recovery_email", { email }))) return;
    } catch (error) {
      if (error instanceof ApiError && EMAIL_ERRORS[error.errno]) throw new FieldError(input, emailErrorMessage(error));
      throw error;
    }
    location.assign(verifyUrl(email));
  });

  await load();
}
