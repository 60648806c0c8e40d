// prompt=none (oauth.md §5): the server found the request allowed; answer it from the session this
// browser holds, without asking anything: a code, or login_required, interaction_required,
// account_selection_required or consent_required.
import { authorize } from "../oauth.js";

export async function init() {
  const hint = document.getElementById("silent-hint").dataset;
  await authorize({ silent: { email: hint.email || "", uid: hint.uid || "", opaque: "opaque" in hint } });
}
