// /signin_bounced (content-server.md §3 "Sign-in", errno 133/134/135): mail to the address came
// back, so it cannot be confirmed. Offers another address, or a new account.
import { pagePath, pageUrl, params } from "../flow.js";


export function init() {
  const email = params.get("email");
  if (email) {
    for (const element of document.querySelectorAll("[data-email]")) element.textContent = email;
  }
  for (const link of document.querySelectorAll("[data-change-email]")) {
    link.href = pageUrl(pagePath("/"), { email: null });
  }
  for (const link of document.querySelectorAll("[data-signup-link]")) {
    link.href = pageUrl(pagePath("/"), { email: null });
  }
}
