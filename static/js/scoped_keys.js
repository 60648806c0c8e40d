// Scoped keys in the browser (oauth.md §9): each keyed scope's key derived from kB, and the set
// sealed to the relier's keys_jwk as a compact JWE (ECDH-ES + A256GCM), so that the server only
// ever relays ciphertext. The same derivations as Firefox's FxAccountsKeys, with WebCrypto.
import { b64urlDecode, b64urlEncode, hexToBytes, hkdf, utf8 } from "./crypto.js";

export const OLDSYNC = "https://identity.mozilla.com/apps/oldsync";
const SCOPED_KEY_INFO = "identity.mozilla.com/picl/v1/scoped_key\n";
const OLDSYNC_INFO = "identity.mozilla.com/picl/v1/oldsync";
const FINGERPRINT_LENGTH = 16;
const KEY_LENGTH = 32;
const ENC = "A256GCM";

function checkMetadata({ identifier, keyRotationSecret, keyRotationTimestamp }) {
  // The relier's checks (oauth.md §9): a 13-digit ms timestamp, an identifier of ≥ 10 chars.
  if (!Number.isSafeInteger(keyRotationTimestamp) || String(keyRotationTimestamp).length !== 13) {
    throw new Error("keyRotationTimestamp must be a 13-digit millisecond timestamp");
  }
  if (typeof identifier !== "string" || identifier.length < 10) throw new Error("invalid scope identifier");
  if (!/^[0-9a-f]{64}$/.test(keyRotationSecret)) throw new Error("keyRotationSecret must be 64 hex");
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * The JWK of one keyed scope from kB (bytes), the uid (hex) and its /account/scoped-key-data entry:
 * the legacy Sync derivation for oldsync (kid = ms timestamp and SHA-256(kB)[0:16], as the
 * tokenserver's X-KeyID expects), HKDF(kB ‖ keyRotationSecret, uid, scoped_key info) otherwise.
 */
export async function deriveScopedKey(kB, uidHex, metadata) {
  checkMetadata(metadata);
  const { identifier, keyRotationSecret, keyRotationTimestamp } = metadata;
  if (identifier === OLDSYNC) {
    const key = await hkdf(kB, utf8(OLDSYNC_INFO), 2 * KEY_LENGTH);
    const fingerprint = (await sha256(kB)).subarray(0, FINGERPRINT_LENGTH);
    return { kty: "oct", scope: identifier, k: b64urlEncode(key), kid: `${keyRotationTimestamp}-${b64urlEncode(fingerprint)}` };
  }
  const input = new Uint8Array([...kB, ...hexToBytes(keyRotationSecret)]);
  const material = await hkdf(input, utf8(SCOPED_KEY_INFO + identifier), FINGERPRINT_LENGTH + KEY_LENGTH, hexToBytes(uidHex));
  const seconds = Math.round(keyRotationTimestamp / 1000);
  return {
    kty: "oct",
    scope: identifier,
    k: b64urlEncode(material.subarray(FINGERPRINT_LENGTH)),
    kid: `${seconds}-${b64urlEncode(material.subarray(0, FINGERPRINT_LENGTH))}`,
  };
}

/** Every scope of a scoped-key-data answer → {scope: JWK}, the bundle a keys_jwe carries. */
export async function deriveScopedKeys(kB, uidHex, scopedKeyData) {
  const bundle = {};
  for (const [scope, metadata] of Object.entries(scopedKeyData)) {
    bundle[scope] = await deriveScopedKey(kB, uidHex, metadata);
  }
  return bundle;
}

/** keys_jwk (base64url of a public P-256 JWK) → the public key; anything else is refused. */
export async function importKeysJwk(keysJwk) {
  const jwk = JSON.parse(new TextDecoder().decode(b64urlDecode(keysJwk)));
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || "d" in jwk || !jwk.x || !jwk.y) {
    throw new Error("keys_jwk must be a public EC P-256 key");
  }
  return crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
    { name: "ECDH", namedCurve: "P-256" }, false, []);
}

function lengthPrefixed(bytes) {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/** RFC 7518 §4.6.2: Concat KDF (one SHA-256 round) of Z for "A256GCM", no apu/apv. */
async function concatKdf(z) {
  const keyBits = new Uint8Array(4);
  new DataView(keyBits.buffer).setUint32(0, KEY_LENGTH * 8);
  const round = new Uint8Array([0, 0, 0, 1]);
  const otherInfo = [...lengthPrefixed(utf8(ENC)), ...lengthPrefixed(new Uint8Array(0)),
    ...lengthPrefixed(new Uint8Array(0)), ...keyBits];
  return sha256(new Uint8Array([...round, ...z, ...otherInfo]));
}

/**
 * `plaintext` (a string) sealed to `keysJwk` as a compact JWE: an ephemeral P-256 key agrees a
 * secret with the relier's (alg ECDH-ES, its public half in `epk`), Concat KDF makes the AES-256
 * key, AES-GCM encrypts with the protected header as AAD. The encrypted-key part is empty.
 */
export async function encryptToKeysJwk(keysJwk, plaintext) {
  const recipient = await importKeysJwk(keysJwk);
  const ephemeral = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const z = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: recipient }, ephemeral.privateKey, 256));
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", ephemeral.publicKey);
  const header = b64urlEncode(utf8(JSON.stringify({ alg: "ECDH-ES", enc: ENC, epk: { kty, crv, x, y } })));
  const key = await crypto.subtle.importKey("raw", await concatKdf(z), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(header) }, key, utf8(plaintext)));
  const tagStart = sealed.length - 16;
  return [header, "", b64urlEncode(iv), b64urlEncode(sealed.subarray(0, tagStart)), b64urlEncode(sealed.subarray(tagStart))].join(".");
}

