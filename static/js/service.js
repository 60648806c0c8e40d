// Which service the user is signing in to, in words: "to continue to <RP name>" under headings.
import { get } from "./api.js";
import { format, gettext } from "./i18n.js";
import { params } from "./flow.js";

let clientPromise = null;

/** The RP of an OAuth flow ({id, name, trusted, image_uri, redirect_uri}), or null. */
export function oauthClient() {
  const clientId = params.get("client_id");
  if (!clientId) return Promise.resolve(null);
  clientPromise ??= get(`/oauth/client/${encodeURIComponent(clientId)}`).catch(() => null);
  return clientPromise;
}

export async function serviceName() {
  if (params.get("service") === "sync") return gettext("Firefox Sync");
  const client = await oauthClient();
  return client ? client.name : null;
}

/** Fill every [data-continue-to] with "to continue to <service>" when there is one. */
export async function describeService() {
  const name = await serviceName();
  if (!name) return;
  for (const element of document.querySelectorAll("[data-continue-to]")) {
    element.textContent = format(gettext("to continue to %(service)s"), { service: name });
  }
}
