// The /v1 client of our pages: JSON over fetch, tokens as `Bearer <prefix>_<tokenId>`, and errno
// answers turned into ApiError so that a page can explain them (auth-server-api.txt, "Errors").
import { deriveTokenId } from "./crypto.js";
import { language } from "./i18n.js";

const BEARER_PREFIXES = {
  sessionToken: "fxs",
  keyFetchToken: "fxk",
  passwordChangeToken: "fxpc",
  passwordForgotToken: "fxpf",
  accountResetToken: "fxar",
};

// Errnos the pages branch on (accounts/errors.py has the whole table).
export const Errno = Object.freeze({
  ACCOUNT_EXISTS: 101,
  ACCOUNT_UNKNOWN: 102,
  INCORRECT_PASSWORD: 103,
  ACCOUNT_UNVERIFIED: 104,
  INVALID_VERIFICATION_CODE: 105,
  INVALID_TOKEN: 110,
  THROTTLED: 114,
  INCORRECT_EMAIL_CASE: 120,
  REQUEST_BLOCKED: 125,
  INVALID_UNBLOCK_CODE: 127,
  BOUNCE_COMPLAINT: 133,
  BOUNCE_HARD: 134,
  BOUNCE_SOFT: 135,
  SESSION_UNVERIFIED: 138,
  LOGIN_WITH_SECONDARY_EMAIL: 142,
  INVALID_SIGNIN_CODE: 146,
  INVALID_TOKEN_VERIFICATION_CODE: 152,
  EXPIRED_TOKEN_VERIFICATION_CODE: 153,
  RECOVERY_CODE_NOT_FOUND: 156,
  RECOVERY_KEY_NOT_FOUND: 158,
  RECOVERY_KEY_INVALID: 159,
  TOTP_REQUIRED: 160,
  INSUFFICIENT_ACR_VALUES: 170,
  INVALID_EXPIRED_OTP_CODE: 183,
  SERVER_BUSY: 201,
  NETWORK: -1, // no answer at all (offline, connection refused): set by this module
});

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.errno = body.errno;
    this.body = body;
  }

  get retryAfter() {
    return this.body.retryAfter;
  }

  get retryAfterLocalized() {
    return this.body.retryAfterLocalized;
  }
}

async function authorization(token, tokenType) {
  const id = await deriveTokenId(token, tokenType);
  return `Bearer ${BEARER_PREFIXES[tokenType]}_${id}`;
}

/**
 * One /v1 request. `token` is the hex token a route authenticates with (a sessionToken unless
 * `tokenType` says otherwise); `bearer` is an already formed Authorization value (OAuth).
 */
export async function request(method, path, { body, token, tokenType = "sessionToken", query, bearer } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": language() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = await authorization(token, tokenType);
  if (bearer) headers.Authorization = bearer;
  const url = "/v1" + path + (query ? "?" + new URLSearchParams(query) : "");
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, { errno: Errno.NETWORK, message: String(error) });
  }
  let answer = {};
  const text = await response.text();
  if (text) {
    try {
      answer = JSON.parse(text);
    } catch {
      answer = { errno: 999, message: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    if (answer.errno === undefined) answer.errno = 999;
    throw new ApiError(response.status, answer);
  }
  return answer;
}

export const get = (path, options) => request("GET", path, options);
export const post = (path, body, options = {}) => request("POST", path, { ...options, body: body ?? {} });
