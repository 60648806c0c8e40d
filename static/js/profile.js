// The profile server's routes for our settings pages (content-server.md §3 "Settings": display
// name and profile picture). They take the page's session token (`Bearer fxs_<tokenId>`, see
// oauth/profile/authentication.py) where a relying party sends an access token.
import { ApiError, Errno, request } from "./api.js";
import { deriveTokenId } from "./crypto.js";
import { language } from "./i18n.js";

const PROFILE_UNAUTHORIZED = 100; // the profile server's errno for a refused token

// What the server takes (oauth/profile/images.py), and the file types the page opens.
export const AVATAR_UPLOAD_BYTES = 1024 * 1024;
export const AVATAR_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

// The profile server's displayName rules (oauth/profile/serializers.py): at most 256 UTF-16 code
// units (a JavaScript string's length), no control characters, line or paragraph separators,
// private use characters, "specials" or lone surrogates.
export const DISPLAY_NAME_MAX_LENGTH = 256;
const DISPLAY_SAFE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff\ue000-\uf8ff\ufff9-\uffff]*$/u;

export function displayNameProblem(value) {
  if (value.length > DISPLAY_NAME_MAX_LENGTH) return "length";
  if (!DISPLAY_SAFE.test(value)) return "characters";
  return null;
}

/** A refused session is the auth server's 110 to the pages (settings.js endedSession). */
function sessionEnded(error) {
  if (error instanceof ApiError && error.status === 403 && error.errno === PROFILE_UNAUTHORIZED) {
    return new ApiError(401, { ...error.body, errno: Errno.INVALID_TOKEN });
  }
  return error;
}

async function call(method, path, account, body) {
  try {
    return await request(method, path, { token: account.sessionToken, body });
  } catch (error) {
    throw sessionEnded(error);
  }
}

/** GET /v1/profile: email, displayName, avatar, avatarDefault and the rest. */
export const profileOf = (account) => call("GET", "/profile", account);

/** GET /v1/avatar: `{id, avatar, avatarDefault}`. */
export const currentAvatar = (account) => call("GET", "/avatar", account);

export const setDisplayName = (account, displayName) => call("POST", "/display_name", account, { displayName });

export const removeAvatar = (account, id) => call("DELETE", `/avatar/${encodeURIComponent(id)}`, account);

/** POST /v1/avatar/upload: the image itself is the body, typed by its Content-Type. */
export async function uploadAvatar(account, blob) {
  const id = await deriveTokenId(account.sessionToken, "sessionToken");
  let response;
  try {
    response = await fetch("/v1/avatar/upload", {
      method: "POST",
      headers: {
        Accept: "application/json",
        "Accept-Language": language(),
        "Content-Type": blob.type,
        Authorization: `Bearer fxs_${id}`,
      },
      body: blob,
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, { errno: Errno.NETWORK, message: String(error) });
  }
  const answer = await response.json().catch(() => ({ errno: 999 }));
  if (!response.ok) throw sessionEnded(new ApiError(response.status, answer));
  return answer;
}
