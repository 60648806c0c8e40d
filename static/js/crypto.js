// The browser half of the onepw protocol (docs: onepw.md): password stretching, token ids,
// the /account/keys bundle and account recovery keys. WebCrypto only; every binary value is a
// Uint8Array, and hex on the wire is lowercase.

const NS = "identity.mozilla.com/picl/v1/";
const EMPTY = new Uint8Array(0);
const TOKEN_TYPES = new Set([
  "sessionToken",
  "keyFetchToken",
  "passwordForgotToken",
  "accountResetToken",
  "passwordChangeToken",
]);
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RECOVERY_KEY_LENGTH = 20;
const JWE_HEADER = { enc: "A256GCM", alg: "dir" };

// ---- encodings (§1) ----------------------------------------------------------------------

/** Hex (either case, as the server accepts) → bytes. Throws on odd length or a non-hex char. */
export function hexToBytes(hex) {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error("invalid hex string");
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

/** Bytes → lowercase hex, the wire encoding of every binary value (§1). */
export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A string as UTF-8 bytes, with no Unicode normalisation (§1: passwords and emails). */
export function utf8(str) {
  return new TextEncoder().encode(str);
}

/** Bytewise XOR of two equal-length byte strings (the ⊕ of §1). */
export function xor(a, b) {
  if (a.length !== b.length) {
    throw new Error("xor: lengths differ");
  }
  return a.map((byte, i) => byte ^ b[i]);
}

/** n bytes from the browser's CSPRNG. */
export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** Unpadded base64url, as used by the compact JWE of recoveryData (§7). */
export function b64urlEncode(bytes) {
  const binary = Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url (padding optional) → bytes. Throws on characters outside the alphabet. */
export function b64urlDecode(str) {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(str)) {
    throw new Error("invalid base64url string");
  }
  const b64 = str.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// ---- primitives (§1) ---------------------------------------------------------------------

/** HKDF(ikm, info, L) of §1: RFC 5869 HKDF-SHA256, salt empty unless given (§7 uses the uid). */
export async function hkdf(ikm, infoBytes, length, salt = EMPTY) {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt, info: infoBytes },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

/** PBKDF2(pw, salt, n, 32) of §1: PBKDF2-HMAC-SHA256 with a 32-byte output. */
async function pbkdf2(password, salt, iterations) {
  const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** KW(name) of §1: the bytes of "identity.mozilla.com/picl/v1/" + name. */
export function kw(name) {
  return utf8(NS + name);
}

/** KWE(name, email) of §1: KW(name) + ":" + email, the email as raw UTF-8. */
export function kwe(name, email) {
  return utf8(NS + name + ":" + email);
}

// ---- client-side stretching (§2) ---------------------------------------------------------

/** authPW and unwrapBKey ("unwrapBkey", lower-case k) from a stretched password (§2.1, §2.2). */
async function splitStretched(stretched) {
  return {
    authPW: await hkdf(stretched, kw("authPW"), 32),
    unwrapBKey: await hkdf(stretched, kw("unwrapBkey"), 32),
  };
}

/**
 * Key stretching v1, "quickStretch" (§2.1): PBKDF2(password, KWE("quickStretch", email), 1000).
 * `email` is the address the account was created with, in its original case.
 */
export async function stretchV1(email, password) {
  const quickStretchedPW = await pbkdf2(utf8(password), kwe("quickStretch", email), 1000);
  return { quickStretchedPW, ...(await splitStretched(quickStretchedPW)) };
}

/** A fresh v2 clientSalt (§2.2): "identity.mozilla.com/picl/v1/quickStretchV2:" + 32 lowercase hex. */
export function newClientSalt() {
  return NS + "quickStretchV2:" + bytesToHex(randomBytes(16));
}

/** Key stretching v2, "quickStretchV2" (§2.2): PBKDF2(password, the whole clientSalt, 650000). */
export async function stretchV2(clientSalt, password) {
  const stretchedPW = await pbkdf2(utf8(password), utf8(clientSalt), 650000);
  return { stretchedPW, ...(await splitStretched(stretchedPW)) };
}

// ---- tokens (§4.1) -----------------------------------------------------------------------

/**
 * The public tokenId of a token (§4.1): HKDF(token, tokenType, 96)[0:32], as hex. It is the
 * Hawk id and the part after the prefix in `Authorization: Bearer fxs_<tokenId>`.
 */
/**
 * New credentials for `password` wrapping `kB` (onepw.md §2.2), as /account/create and
 * /account/reset take them: v1 stretched with `email` (the address the account hashes with) and v2
 * with a fresh clientSalt, so old and new clients both unwrap the same kB.
 */
export async function newPasswordCredentials(email, password, kB) {
  const clientSalt = newClientSalt();
  const [v1, v2] = await Promise.all([stretchV1(email, password), stretchV2(clientSalt, password)]);
  return {
    authPW: bytesToHex(v1.authPW),
    wrapKb: bytesToHex(xor(kB, v1.unwrapBKey)),
    authPWVersion2: bytesToHex(v2.authPW),
    wrapKbVersion2: bytesToHex(xor(kB, v2.unwrapBKey)),
    clientSalt,
  };
}

export async function deriveTokenId(tokenHex, tokenType) {
  if (!TOKEN_TYPES.has(tokenType)) {
    throw new Error("unknown token type: " + tokenType);
  }
  const derived = await hkdf(hexToBytes(tokenHex), kw(tokenType), 96);
  return bytesToHex(derived.subarray(0, 32));
}

// ---- /account/keys bundle (§5) -----------------------------------------------------------

/**
 * Opens an /account/keys bundle with the keyFetchToken's keyRequestKey (§5):
 * HKDF(keyRequestKey, "account/keys", 96) = respHMACkey (32) || respXORkey (64); checks the
 * HMAC-SHA256 of the ciphertext (WebCrypto's verify compares in constant time) and XORs.
 * Throws an Error named "BundleMacError" if the MAC does not match.
 */
export async function unbundleWithKeyRequestKey(keyRequestKeyHex, bundleHex) {
  const bundle = hexToBytes(bundleHex);
  if (bundle.length !== 96) {
    throw new Error("bundle must be 96 bytes");
  }
  const ciphertext = bundle.subarray(0, 64);
  const mac = bundle.subarray(64);
  const keys = await hkdf(hexToBytes(keyRequestKeyHex), kw("account/keys"), 96);
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    keys.subarray(0, 32),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  if (!(await crypto.subtle.verify("HMAC", hmacKey, mac, ciphertext))) {
    const error = new Error("bundle MAC mismatch");
    error.name = "BundleMacError";
    throw error;
  }
  const plaintext = xor(ciphertext, keys.subarray(32));
  return { kA: plaintext.slice(0, 32), wrapKB: plaintext.slice(32) };
}

/**
 * The /account/keys response (§5) → {kA, wrapKB}: keyRequestKey is the last 32 bytes of
 * HKDF(keyFetchToken, "keyFetchToken", 96), then as unbundleWithKeyRequestKey.
 */
export async function unbundleKeys(keyFetchTokenHex, bundleHex) {
  const derived = await hkdf(hexToBytes(keyFetchTokenHex), kw("keyFetchToken"), 96);
  return unbundleWithKeyRequestKey(bytesToHex(derived.subarray(64)), bundleHex);
}

/** kB = wrapKb ⊕ unwrapBKey (§3.2, §5); with the v2 unwrapBKey for a v2 keyFetchToken. */
export function deriveKB(wrapKB, unwrapBKey) {
  return xor(wrapKB, unwrapBKey);
}

// ---- account recovery key (§7) -----------------------------------------------------------

/**
 * The recovery key as the user types it (§7): Crockford base32 of 20 bytes, 32 chars.
 * Case, spaces and dashes are ignored; I and L read as 1, O as 0. Throws on a bad length or char.
 */
export function decodeRecoveryKey(text) {
  const chars = text
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/[IL]/g, "1")
    .replace(/O/g, "0");
  if (chars.length !== 32) {
    throw new Error("a recovery key has 32 characters");
  }
  const bytes = new Uint8Array(RECOVERY_KEY_LENGTH);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of chars) {
    const value = CROCKFORD.indexOf(char);
    if (value < 0) {
      throw new Error("invalid recovery key character: " + char);
    }
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[index++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}

/** 20 recovery-key bytes → the 32-char upper-case Crockford base32 shown to the user (§7). */
export function encodeRecoveryKey(bytes) {
  if (bytes.length !== RECOVERY_KEY_LENGTH) {
    throw new Error("a recovery key has 20 bytes");
  }
  let text = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += CROCKFORD[(buffer >> bits) & 0x1f];
    }
  }
  return text;
}

/** A new recovery key (§7): 20 random bytes, byte0 = 0x50 | (byte0 & 0x07), so it reads "A…". */
export function generateRecoveryKey() {
  const key = randomBytes(RECOVERY_KEY_LENGTH);
  key[0] = 0x50 | (key[0] & 0x07);
  return key;
}

/** recoveryKeyId (§7): hex(HKDF(recoveryKey, salt = uid, info = "fxa recovery fingerprint", 16)). */
export async function recoveryKeyId(recoveryKeyBytes, uidHex) {
  return bytesToHex(await hkdf(recoveryKeyBytes, utf8("fxa recovery fingerprint"), 16, hexToBytes(uidHex)));
}

/** encKey (§7): HKDF(recoveryKey, salt = uid, info = "fxa recovery encrypt key", 32). */
export async function recoveryEncryptionKey(recoveryKeyBytes, uidHex) {
  return hkdf(recoveryKeyBytes, utf8("fxa recovery encrypt key"), 32, hexToBytes(uidHex));
}

/** encKey (§7) imported as an AES-GCM WebCrypto key for one usage. */
async function aesGcmKey(recoveryKeyBytes, uidHex, usage) {
  const raw = await recoveryEncryptionKey(recoveryKeyBytes, uidHex);
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, [usage]);
}

/**
 * Opens recoveryData (§7), a compact JWE (dir + A256GCM, AAD = the base64url header) sealed with
 * encKey → the parsed JSON `{kB, kA?}` (hex strings). A wrong key or tampered data makes
 * WebCrypto throw an OperationError.
 */
export async function decryptRecoveryData(recoveryKeyBytes, uidHex, compactJwe) {
  const parts = compactJwe.split(".");
  if (parts.length !== 5 || parts[1] !== "") {
    throw new Error("recoveryData is not a compact JWE with alg dir");
  }
  const [header, , iv, ciphertext, tag] = parts;
  const { alg, enc } = JSON.parse(new TextDecoder().decode(b64urlDecode(header)));
  if (alg !== JWE_HEADER.alg || enc !== JWE_HEADER.enc) {
    throw new Error("unsupported JWE: " + alg + "/" + enc);
  }
  const sealed = new Uint8Array([...b64urlDecode(ciphertext), ...b64urlDecode(tag)]);
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: b64urlDecode(iv), additionalData: utf8(header) },
    await aesGcmKey(recoveryKeyBytes, uidHex, "decrypt"),
    sealed,
  );
  return JSON.parse(new TextDecoder().decode(plaintext));
}

/**
 * Seals `object` (`{kB, kA?}`, hex strings) as recoveryData (§7): compact JWE with header
 * {"enc":"A256GCM","alg":"dir","kid":recoveryKeyId}, a 12-byte IV (random unless given).
 */
export async function encryptRecoveryData(recoveryKeyBytes, uidHex, object, iv = randomBytes(12)) {
  const kid = await recoveryKeyId(recoveryKeyBytes, uidHex);
  const header = b64urlEncode(utf8(JSON.stringify({ ...JWE_HEADER, kid })));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: utf8(header) },
      await aesGcmKey(recoveryKeyBytes, uidHex, "encrypt"),
      utf8(JSON.stringify(object)),
    ),
  );
  const tagStart = sealed.length - 16;
  return [
    header,
    "",
    b64urlEncode(iv),
    b64urlEncode(sealed.subarray(0, tagStart)),
    b64urlEncode(sealed.subarray(tagStart)),
  ].join(".");
}
