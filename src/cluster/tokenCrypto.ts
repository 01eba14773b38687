import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * OAuth records as they rest in Redis (DESIGN §16): AES-256-GCM under `cluster.tokenKey`, a fresh
 * random 12-byte IV per write, in a versioned envelope `{ v: 1, iv, tag, data }` (base64). The
 * authenticated data binds a record to its cluster and its key, so an envelope copied to another
 * key or into another cluster does not open, and one changed by a single bit does not either.
 * Nothing here logs or throws with the plaintext: `openEnvelope` answers why it failed, in words
 * that quote no value.
 */

/** The envelope format this version writes and reads; another `v` is ignored (an older or newer replica's). */
export const TOKEN_ENVELOPE_VERSION = 1;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** What an envelope is bound to: the cluster's name and the record's key (`tokens:<hash>`). */
export function envelopeAad(clusterName: string, recordKey: string): Buffer {
  return Buffer.from(`mcp-switchboard/tokens/v${TOKEN_ENVELOPE_VERSION}\n${clusterName}\n${recordKey}`, 'utf8');
}

/** `plaintext` sealed under `key` (32 bytes) and bound to `aad`, as the JSON text stored. */
export function sealEnvelope(key: Buffer, aad: Buffer, plaintext: string): string {
  if (key.length !== KEY_BYTES) throw new RangeError(`the token key must be ${KEY_BYTES} bytes`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return JSON.stringify({ v: TOKEN_ENVELOPE_VERSION, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') });
}

export type Opened = { ok: true; plaintext: string } | { ok: false; reason: string };

/** Opens what `sealEnvelope` stored; never throws, and a reason never quotes the text. */
export function openEnvelope(key: Buffer, aad: Buffer, stored: string): Opened {
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch {
    return { ok: false, reason: 'it is not JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'it is not an envelope' };
  const { v, iv, tag, data } = value as Record<string, unknown>;
  if (v !== TOKEN_ENVELOPE_VERSION) return { ok: false, reason: `it has format ${typeof v === 'number' ? v : 'unknown'}, this replica reads format ${TOKEN_ENVELOPE_VERSION}` };
  if (typeof iv !== 'string' || typeof tag !== 'string' || typeof data !== 'string') return { ok: false, reason: 'it is not an envelope (iv, tag, data)' };
  const ivBytes = Buffer.from(iv, 'base64');
  const tagBytes = Buffer.from(tag, 'base64');
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) return { ok: false, reason: 'its iv or tag has the wrong length' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tagBytes);
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]);
    return { ok: true, plaintext: plain.toString('utf8') };
  } catch {
    return { ok: false, reason: 'it does not decrypt with cluster.tokenKey (another key, another cluster or key, or changed)' };
  }
}
