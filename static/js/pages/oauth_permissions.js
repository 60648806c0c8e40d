// The consent page of an untrusted client (content-server.md §3). The server rendered the client
// and what it asks for; Allow remembers the answer for this account and client, then authorizes;
// Cancel sends the client access_denied.
import { go } from "../flow.js";
import { authorize, rememberConsent, respondWithError } from "../oauth.js";
import { liveAccount } from "../session.js";
import { onSubmit } from "../ui.js";

export async function init() {
  const account = await liveAccount();
  if (!account) return go("/oauth/", {}, { replace: true });
  if (!account.verified) return go("/oauth/signin", { email: account.email }, { replace: true });
  for (const element of document.querySelectorAll("[data-account-email]")) element.textContent = account.email;
  const kind = location.pathname.includes("signup") ? "signup" : "signin";
  document.getElementById("cancel").addEventListener("click", () => respondWithError("access_denied"));
  onSubmit(document.getElementById("permissions-form"), async () => {
    rememberConsent(account);
    await authorize({ kind, consented: true });
  });
}
