// /settings/display_name (content-server.md §3 "Settings"): the profile server's displayName,
// read with GET /v1/profile and saved with POST /v1/display_name, under the server's own rules.
import { ApiError } from "../api.js";
import { gettext } from "../i18n.js";
import { notifyProfileChange } from "../firefox.js";
import { displayNameProblem, profileOf, setDisplayName } from "../profile.js";
import { endedSession, openSettings, toast } from "../settings.js";
import { FieldError, onSubmit } from "../ui.js";

const PROFILE_INVALID_PARAMETER = 101;

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const form = document.getElementById("display-name-form");
  const input = document.getElementById("display-name");
  try {
    input.value = (await profileOf(account)).displayName || "";
  } catch (error) {
    if (endedSession(error)) return;
    throw error;
  }
  onSubmit(form, async () => {
    const value = input.value.trim();
    const problem = displayNameProblem(value);
    if (problem === "length") throw new FieldError(input, gettext("Use at most 256 characters."));
    if (problem) throw new FieldError(input, gettext("Remove the special characters (such as line breaks or control characters)."));
    try {
      await setDisplayName(account, value);
    } catch (error) {
      if (endedSession(error)) return;
      if (error instanceof ApiError && error.errno === PROFILE_INVALID_PARAMETER) {
        throw new FieldError(input, gettext("This name cannot be used. Try another one."));
      }
      throw error;
    }
    input.value = value;
    notifyProfileChange(account.uid);
    toast(value ? gettext("Display name saved.") : gettext("Display name removed."));
  });
}
