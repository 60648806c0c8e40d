// /signup_confirmed_sync: a sign-up for Sync is confirmed. Inside Firefox, on to another device
// or to Firefox's Sync preferences (fxaccounts:sync_preferences); elsewhere, to the account.
import { pageUrl } from "../flow.js";
import { openSyncPreferences } from "../firefox.js";
import { firefoxContext, fxaStatus } from "../webchannel.js";

export async function init() {
  const status = firefoxContext() ? await fxaStatus() : null;
  if (!status) {
    document.querySelector("[data-outside-firefox]").hidden = false;
    return;
  }
  const add = document.querySelector("[data-add-device]");
  add.href = pageUrl("/connect_another_device");
  add.hidden = false;
  document.querySelector("[data-in-firefox]").hidden = false;
  document.querySelector("[data-manage-sync]").addEventListener("click", () => openSyncPreferences());
}
