import { configuredSecrets } from '../auth/secrets.js';
import type { RuntimeServer } from '../config/schema.js';

/**
 * Secrets never leave the process. A server's secrets are every value its `${VAR}` references
 * took from the environment (wherever it sits: command, args, cwd, URL, headers, env), its header
 * and env values, the credentials of its `auth` block, the tokens inside `Bearer …` values and its
 * URL's query values. They are masked in every message we pass on, and targets are shown without
 * them, without credentials and without query strings.
 */

const MASK = '***';
/** Shorter values (a flag like "1") would mask innocent text everywhere. */
export const MIN_SECRET_LENGTH = 4;

/** Each value as written and as it appears percent-encoded inside a URL or an error quoting one. */
function withEncodings(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    out.push(value);
    for (const encode of [encodeURIComponent, encodeURI]) {
      try {
        const encoded = encode(value);
        if (encoded !== value) out.push(encoded);
      } catch {
        // A lone surrogate cannot be encoded, and then cannot appear encoded either.
      }
    }
  }
  return out;
}

function urlSecrets(server: RuntimeServer): string[] {
  if (server.transport !== 'http' && server.transport !== 'sse') return [];
  let url: URL;
  try {
    url = new URL(server.url);
  } catch {
    return [];
  }
  const values = [...url.searchParams.values(), url.username, url.password];
  // The raw text of each query value too: it is what a logged URL shows.
  for (const part of url.search.slice(1).split('&')) values.push(part.slice(part.indexOf('=') + 1));
  return values;
}

function collect(server: RuntimeServer): string[] {
  const values: string[] = [...(server.secrets ?? [])];
  if ('headers' in server && server.headers) values.push(...Object.values(server.headers));
  if ('env' in server && server.env) values.push(...Object.values(server.env));
  // Every credential of an `auth` block, even when written inline rather than as ${VAR}.
  if ((server.transport === 'http' || server.transport === 'sse') && server.auth) values.push(...configuredSecrets(server.auth));
  for (const value of [...values]) {
    const token = /^(?:Bearer|Basic|Token)\s+(.+)$/i.exec(value)?.[1];
    if (token) values.push(token);
  }
  values.push(...urlSecrets(server));
  return withEncodings(values);
}

function longestFirst(values: readonly string[], minLength: number): string[] {
  return [...new Set(values.filter((v) => v.length >= minLength))].sort((a, b) => b.length - a.length);
}

/** The secret values of one server, longest first (so a secret containing another is masked whole). */
export function secretsOf(server: RuntimeServer): string[] {
  return longestFirst(collect(server), MIN_SECRET_LENGTH);
}

const cache = new WeakMap<RuntimeServer, { secrets: string[]; target: string }>();

/** `secretsOf(server)`, computed once per server object (servers are never mutated). */
export function cachedSecretsOf(server: RuntimeServer): string[] {
  return cached(server).secrets;
}

function cached(server: RuntimeServer): { secrets: string[]; target: string } {
  let entry = cache.get(server);
  if (!entry) {
    entry = { secrets: secretsOf(server), target: computeTarget(server) };
    cache.set(server, entry);
  }
  return entry;
}

/** Replaces every occurrence of every secret in `text` (overlapping ones as one). */
export function redactText(text: string, secrets: readonly string[]): string {
  return redactWindow(text, secrets, WHOLE);
}

/**
 * The shortest piece of a secret masked at a cut edge of a window (`redactWindow`). At most
 * `MIN_FRAGMENT_LENGTH - 1` characters of a secret can show at a cut: shorter pieces would mask
 * innocent text at nearly every cut (a window starting with "json" when a header is
 * "application/json").
 */
export const MIN_FRAGMENT_LENGTH = 4;

/** Which ends of a window were cut out of a longer text (`true`: a secret may be cut there). */
export interface CutEdges {
  start: boolean;
  end: boolean;
}

const WHOLE: CutEdges = Object.freeze({ start: false, end: false });

/**
 * Masks the secrets in a window cut out of a longer text (the bounded tail of a server's stderr, a
 * message cut to a length), where `redactText` alone would miss a secret cut in two. Masked are
 * every whole occurrence, and the piece of a secret that a cut left at a cut edge: at a cut start
 * the longest prefix of the window that is a proper suffix of a secret, at a cut end the longest
 * suffix that is a proper prefix of one, and with both ends cut a window lying wholly inside a
 * secret; each piece of at least `MIN_FRAGMENT_LENGTH` (4) characters. Overlapping masks merge.
 * A window that is a whole text (both edges false) is `redactText`.
 */
export function redactWindow(text: string, secrets: readonly string[], cut: CutEdges): string {
  let ranges: [number, number][] | undefined;
  const add = (from: number, to: number) => (ranges ??= []).push([from, to]);
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) add(at, at + secret.length);
    if (cut.start) {
      const piece = headPiece(text, secret);
      if (piece > 0) add(0, piece);
    }
    if (cut.end) {
      const piece = tailPiece(text, secret);
      if (piece > 0) add(text.length - piece, text.length);
    }
    if (cut.start && cut.end && text.length >= MIN_FRAGMENT_LENGTH && text.length < secret.length && secret.includes(text)) add(0, text.length);
  }
  if (!ranges) return text;
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let done = 0;
  for (const [from, to] of ranges) {
    if (to <= done) continue;
    // Overlapping masks merge into one; touching ones stay two (two secrets side by side).
    if (from < done) {
      done = to;
      continue;
    }
    out += text.slice(done, from) + MASK;
    done = to;
  }
  return out + text.slice(done);
}

/** Length of the longest prefix of `text` that is a proper suffix of `secret` (0 below the minimum). */
function headPiece(text: string, secret: string): number {
  if (text.length < MIN_FRAGMENT_LENGTH) return 0;
  const probe = text.slice(0, MIN_FRAGMENT_LENGTH);
  // The longest piece starts earliest in the secret; `at` >= 1 keeps it a proper suffix.
  for (let at = secret.indexOf(probe, 1); at !== -1 && secret.length - at >= MIN_FRAGMENT_LENGTH; at = secret.indexOf(probe, at + 1)) {
    if (text.startsWith(secret.slice(at))) return secret.length - at;
  }
  return 0;
}

/** Length of the longest suffix of `text` that is a proper prefix of `secret` (0 below the minimum). */
function tailPiece(text: string, secret: string): number {
  const probe = secret.slice(0, MIN_FRAGMENT_LENGTH);
  if (probe.length < MIN_FRAGMENT_LENGTH) return 0;
  // A proper prefix is shorter than the secret: it starts after text.length - secret.length.
  for (let at = text.indexOf(probe, Math.max(0, text.length - secret.length + 1)); at !== -1 && text.length - at >= MIN_FRAGMENT_LENGTH; at = text.indexOf(probe, at + 1)) {
    if (secret.startsWith(text.slice(at))) return text.length - at;
  }
  return 0;
}

/** How a server's target is shown: command and args, or scheme, host and path of the URL. */
export function displayTarget(server: RuntimeServer): string {
  return cached(server).target;
}

/**
 * A placeholder that survives URL parsing unchanged (lower case, no character that gets
 * percent-encoded), so a secret in the host or path can be masked after the URL is taken apart.
 */
const PLACEHOLDER = 'x0masked0x';

/** Replaces every secret in one pass, so a replacement is never searched again. */
function replaceAll(text: string, secrets: readonly string[], replacement: string): string {
  if (secrets.length === 0) return text;
  const pattern = new RegExp(secrets.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return text.replace(pattern, () => replacement);
}

function computeTarget(server: RuntimeServer): string {
  // In the target even a short `${VAR}` value is masked: here it cannot hide innocent text elsewhere.
  const secrets = longestFirst([...secretsOf(server), ...withEncodings(server.secrets ?? [])], 1);
  switch (server.transport) {
    case 'stdio':
      return [server.command, ...(server.args ?? [])].map((part) => replaceAll(part, secrets, MASK)).join(' ');
    case 'http':
    case 'sse': {
      let url: URL;
      try {
        url = new URL(replaceAll(server.url, secrets, PLACEHOLDER));
      } catch {
        return MASK;
      }
      // Never the userinfo, query or fragment: they are where credentials live.
      return `${url.protocol}//${url.host}${url.pathname}`.split(PLACEHOLDER).join(MASK);
    }
    default:
      return '(custom transport)';
  }
}
