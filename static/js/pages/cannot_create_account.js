// /cannot_create_account: the age check of sign-up said under 13 (content-server.md §3). The
// page only explains; sign-up keeps sending this browser here (signup.js, TOO_YOUNG_KEY).
export function init() {}
