// /signup_confirmed (also /signup_verified): the landing of a confirmed sign-up when the user
// came from a service that continues by itself; a link on to the account's settings.
import { params } from "../flow.js";
import { format, gettext } from "../i18n.js";
import { serviceName } from "../service.js";

export async function initConfirmedPage() {
  const name = params.get("service") && (await serviceName().catch(() => null));
  if (name) {
    document.querySelector("[data-service-ready]").textContent = format(
      gettext("You can now go back to %(service)s."), { service: name },
    );
  }
}

export function init() {
  return initConfirmedPage();
}
