// The WebChannel to Firefox (content-server.md §5): channel `account_updates`. Messages to the
// browser are WebChannelMessageToChrome events whose detail is a JSON *string* (Firefox desktop
// refuses objects from pages not on its allow-list); its answers come back as
// WebChannelMessageToContent events carrying the messageId of the request.
import { params } from "./flow.js";

const CHANNEL_ID = "account_updates";
// Upstream's wait for fxa_status: no answer by then means the page is not inside Firefox.
export const STATUS_TIMEOUT_MS = 500;
// The contexts in which Firefox opened this page and listens to it.
export const OAUTH_CONTEXT = "oauth_webchannel_v1";
export const LEGACY_CONTEXT = "fx_desktop_v3";
// Where Firefox's native clients take their code (they redeem it themselves).
export const WEBCHANNEL_REDIRECT = "urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel";

const waiting = new Map();
let counter = 0;

window.addEventListener("WebChannelMessageToContent", (event) => {
  const detail = typeof event.detail === "string" ? JSON.parse(event.detail) : event.detail;
  if (!detail || detail.id !== CHANNEL_ID || !detail.message) return;
  const { messageId, data } = detail.message;
  const pending = waiting.get(messageId);
  if (!pending) return;
  waiting.delete(messageId);
  if (data && data.error) pending.reject(new Error(data.error.message || String(data.error)));
  else pending.resolve(data);
});

/** The flow Firefox opened this page for ("oauth_webchannel_v1", "fx_desktop_v3"), or null. */
export function firefoxContext() {
  const context = params.get("context");
  return context === OAUTH_CONTEXT || context === LEGACY_CONTEXT ? context : null;
}

function dispatch(command, data, messageId) {
  const detail = JSON.stringify({ id: CHANNEL_ID, message: { command, data, messageId } });
  window.dispatchEvent(new CustomEvent("WebChannelMessageToChrome", { detail }));
}

/** Tell the browser something it does not answer. */
export function send(command, data = {}) {
  dispatch(command, data, `${Date.now()}-${++counter}`);
}

/** Ask the browser; resolves with its answer's data, rejects on its error or after `timeout` ms. */
export function request(command, data = {}, { timeout = null } = {}) {
  const messageId = `${Date.now()}-${++counter}`;
  return new Promise((resolve, reject) => {
    waiting.set(messageId, { resolve, reject });
    if (timeout !== null) {
      setTimeout(() => {
        if (waiting.delete(messageId)) reject(new Error(`no answer to ${command}`));
      }, timeout);
    }
    dispatch(command, data, messageId);
  });
}

let statusPromise = null;

/**
 * fxaccounts:fxa_status: {signedInUser, clientId, capabilities} from Firefox, or null when no
 * browser answers in time (not in Firefox, or a Firefox not configured for this server).
 */
export function fxaStatus() {
  statusPromise ??= request("fxaccounts:fxa_status", {
    service: params.get("service") || "", isPairing: false, context: params.get("context") || "",
  }, { timeout: STATUS_TIMEOUT_MS }).catch(() => null);
  return statusPromise;
}

/** The engines Firefox can sync (capabilities.engines), or [] outside Firefox. */
export async function syncEngines() {
  const status = await fxaStatus();
  return status?.capabilities?.engines || [];
}
