// /settings/delete_account (content-server.md §3 "Settings"): every acknowledgement checked (one
// per connected product, from /v1/account/attached_clients, and the general ones), then the
// password, stretched here as the sign-in page does (v2 with the account's clientSalt, else v1
// with the sign-up address), for POST /v1/account/destroy. The session goes with the account.
import { ApiError, Errno, get, post } from "../api.js";
import { bytesToHex, stretchV1, stretchV2 } from "../crypto.js";
import { format, gettext } from "../i18n.js";
import { notifyDelete } from "../firefox.js";
import { forgetAccount } from "../session.js";
import { endedSession, openSettings } from "../settings.js";
import { FieldError, bindPasswordToggles, errorMessage, onSubmit, showError } from "../ui.js";

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const token = account.sessionToken;
  bindPasswordToggles();
  for (const element of document.querySelectorAll("[data-account-email]")) element.textContent = account.email;
  document.getElementById("username").value = account.email;

  const acknowledge = document.getElementById("acknowledge-form");
  try {
    listProducts(await get("/account/attached_clients", { token }));
  } catch (error) {
    if (endedSession(error)) return;
    showError(acknowledge, errorMessage(error));
  }

  onSubmit(acknowledge, async () => {
    const unchecked = [...acknowledge.querySelectorAll("input[type=checkbox]")].find((box) => !box.checked);
    if (unchecked) {
      showError(acknowledge, gettext("Check every box to continue."));
      unchecked.focus();
      return;
    }
    document.getElementById("acknowledge-step").hidden = true;
    document.getElementById("password-step").hidden = false;
    document.getElementById("password").focus();
  });

  const password = document.getElementById("password");
  onSubmit(document.getElementById("delete-form"), async () => {
    if (!password.value) throw new FieldError(password, gettext("Enter your password."));
    try {
      await destroy(account, password.value);
    } catch (error) {
      if (endedSession(error)) return;
      if (error instanceof ApiError && error.errno === Errno.INCORRECT_PASSWORD) {
        throw new FieldError(password, gettext("Incorrect password."));
      }
      throw error;
    }
    notifyDelete(account.uid);
    forgetAccount();
    location.replace("/account_deleted");
  });
}

/** One checkbox per connected product: the devices and apps, not the browser sessions. */
function listProducts(clients) {
  const names = [...new Set(clients.filter((client) => client.deviceId || client.clientId)
    .map((client) => client.name).filter(Boolean))];
  const fieldset = document.querySelector("[data-products]");
  const template = document.querySelector("template[data-product-check]");
  names.forEach((name, index) => {
    const label = template.content.firstElementChild.cloneNode(true);
    const box = label.querySelector("input");
    box.id = `product-${index}`;
    label.htmlFor = box.id;
    label.querySelector("[data-name]").textContent = format(gettext("%(name)s will be signed out and lose access to your account"), { name });
    fieldset.append(label);
  });
  fieldset.hidden = names.length === 0;
  document.querySelector("[data-products-intro]").hidden = names.length === 0;
}

async function authPW(email, password, saltEmail) {
  const status = await post("/account/credentials/status", { email });
  if (status.currentVersion === "v2" && status.clientSalt) {
    return (await stretchV2(status.clientSalt, password)).authPW;
  }
  return (await stretchV1(saltEmail, password)).authPW;
}

async function destroy(account, password) {
  const attempt = async (email) => post("/account/destroy", {
    email, authPW: bytesToHex(await authPW(account.email, password, email)),
  }, { token: account.sessionToken });
  try {
    await attempt(account.email);
  } catch (error) {
    // A v1 password is stretched with the sign-up address in its original case (onepw.md §2.1).
    if (!(error instanceof ApiError) || error.errno !== Errno.INCORRECT_EMAIL_CASE || !error.body.email) throw error;
    await attempt(error.body.email);
  }
}
