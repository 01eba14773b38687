import { AuthError } from './errors.js';
import { isLoopbackHost } from './guardedFetch.js';

/**
 * Who the authorization server is, checked where SDK 1.32.2 does not check it (both eras use
 * these: the same provider serves legacy and 2026-07-28 servers):
 * - RFC 8414 §3.3: the metadata's `issuer` is the issuer its well-known URL was built from;
 * - RFC 9207: the `iss` of an authorization response is that issuer, by exact string equality;
 * - SEP-837: a registration names the client's `application_type`.
 * The rules are those of `@modelcontextprotocol/client` 2.4 (`discoverAuthorizationServerMetadata`,
 * `validateAuthorizationResponseIssuer`, `deriveApplicationType`), restated here because its
 * errors are not AuthErrors and quote the received value unbounded.
 */

/** What the authorization response carried besides `state`: the code and, when sent, RFC 9207's `iss`. */
export interface AuthorizationResponse {
  code: string;
  /** The issuer the redirect named (`iss`), absent when it named none. */
  iss?: string;
}

/** The parts of authorization server metadata these checks read. */
export interface IssuerMetadata {
  issuer: string;
  authorization_response_iss_parameter_supported?: unknown;
}

/** The most of a server-supplied issuer an error quotes. */
const MAX_SHOWN = 200;

/** A server-supplied value for a message: JSON-quoted (no control character reaches a terminal) and bounded. */
function shown(value: string): string {
  const quoted = JSON.stringify(value);
  return quoted.length > MAX_SHOWN ? `${quoted.slice(0, MAX_SHOWN)}…` : quoted;
}

/**
 * RFC 8414 §3.3 (and OpenID Connect Discovery §4.3): why `metadata` may not be used, or undefined
 * when it may. Its `issuer` must be identical to `expected`, the issuer identifier the well-known
 * URL was built from; the one tolerance is a trailing `/` on `expected` alone, which the SDK adds
 * when it derives the issuer from the server's origin (`String(new URL('/', url))`).
 */
export function metadataIssuerProblem(expected: string, metadata: IssuerMetadata): string | undefined {
  const got = metadata.issuer;
  if (got === expected || (expected.endsWith('/') && got === expected.slice(0, -1))) return undefined;
  return `its metadata names the issuer ${shown(got)}, not ${shown(expected)} it was fetched for (RFC 8414 §3.3)`;
}

/**
 * RFC 9207 §2.4 on one authorization response (a code or an error redirect), against the issuer
 * recorded from the validated metadata: with `authorization_response_iss_parameter_supported:
 * true` an `iss` is required; a present `iss` must equal the recorded issuer as a string (no URL
 * normalization: a trailing slash, a case or a default port makes it another issuer), advertised
 * or not. Without metadata there is no baseline, and nothing to check. Throws a non-retryable
 * AuthError naming what was wrong; the caller sends no token request.
 */
export function checkResponseIssuer(server: string, iss: string | undefined, metadata: IssuerMetadata | undefined): void {
  if (!metadata) return;
  const expected = metadata.issuer;
  const prefix = `server "${server}": refused the authorization response`;
  if (iss === undefined) {
    if (metadata.authorization_response_iss_parameter_supported !== true) return;
    throw new AuthError(`${prefix}: it names no issuer (iss), which the authorization server ${shown(expected)} promises (authorization_response_iss_parameter_supported, RFC 9207)`);
  }
  if (iss !== expected) {
    throw new AuthError(`${prefix}: it names the issuer ${shown(iss)}, not the authorization server ${shown(expected)} (RFC 9207; a possible mix-up attack)`);
  }
}

/**
 * SEP-837: the OIDC `application_type` a registration with these redirect URIs names: `native`
 * for a loopback host or a custom scheme (RFC 8252), `web` for anything else, a client without
 * redirect URIs (client_credentials, cross_app) included, as OIDC's default is.
 */
export function applicationType(redirectUris: readonly string[]): 'native' | 'web' {
  for (const raw of redirectUris) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'native';
    if (isLoopbackHost(url.hostname)) return 'native';
  }
  return 'web';
}

/**
 * The answer of the host's `authorize` callback as a response, or undefined when it handed none
 * (the loopback listener's redirect is awaited then): `{ code, iss? }`, or the code alone as a
 * string. An `iss` of null counts as absent (`searchParams.get('iss')`); any other non-string
 * `iss` is refused rather than taken as none, which would skip the issuer check.
 */
export function hostAnswer(server: string, answer: unknown): AuthorizationResponse | undefined {
  if (typeof answer === 'string') return answer ? { code: answer } : undefined;
  if (!answer || typeof answer !== 'object') return undefined;
  const { code, iss } = answer as { code?: unknown; iss?: unknown };
  if (typeof code !== 'string' || !code) return undefined;
  if (iss === undefined || iss === null) return { code };
  if (typeof iss !== 'string') throw new AuthError(`server "${server}": the authorize callback returned an iss that is not a string`);
  return { code, iss };
}
