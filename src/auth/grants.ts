import { createPrivateKey, type KeyObject } from 'node:crypto';
import { createPrivateKeyJwtAuth, type PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { AddClientAuthentication } from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { AuthConfig } from '../config/schema.js';
import { AuthError, type FlowSecrets } from './errors.js';

/**
 * The grants SDK 1.32.2 does not carry whole: the SEP-990 token exchange at the identity provider
 * (RFC 8693, ID token → ID-JAG; the JWT-bearer grant itself is a plain token request the SDK
 * sends), and private_key_jwt with any PEM key the user has (the SDK's helper wants PKCS#8 and
 * an algorithm).
 */

type Algorithm = ConstructorParameters<typeof PrivateKeyJwtProvider>[0]['algorithm'];

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';

/** The JWS algorithm a key signs with when config names none. */
function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
  }
  throw new AuthError(`auth.privateKey is a ${key.asymmetricKeyType ?? 'unknown'} key: set auth.algorithm`);
}

/**
 * Client authentication by a signed assertion (RFC 7523 §2.2) with `privateKey` (any PEM private
 * key; converted to PKCS#8), as `clientId`, for the authorization server's issuer.
 */
export function privateKeyJwtAuth(clientId: string, privateKey: string, algorithm?: string): AddClientAuthentication {
  let sign: AddClientAuthentication | undefined;
  return async (headers, params, url, metadata) => {
    if (!sign) {
      let key: KeyObject;
      try {
        key = createPrivateKey(privateKey);
      } catch {
        // Never the key's text, nor the parser's message (it may quote it).
        throw new AuthError('auth.privateKey is not a PEM private key');
      }
      const pkcs8 = key.export({ format: 'pem', type: 'pkcs8' }).toString();
      sign = createPrivateKeyJwtAuth({ issuer: clientId, subject: clientId, privateKey: pkcs8, alg: (algorithm ?? algorithmOf(key)) as Algorithm });
    }
    await sign(headers, params, url, metadata);
  };
}

/**
 * SEP-990 step 1: exchanges the identity provider's ID token for an ID-JAG addressed to the MCP
 * server's authorization server (`audience`) for the resource; returns the ID-JAG.
 */
export async function crossAppTokenRequest(
  auth: Extract<AuthConfig, { type: 'cross_app' }>,
  identity: { audience: string; resource: string | undefined },
  scope: string | undefined,
  fetchFn: FetchLike,
  secrets: FlowSecrets,
): Promise<string> {
  if (!identity.resource) throw new AuthError('the server publishes no protected resource metadata: cross_app needs its resource identifier');
  const params = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE,
    requested_token_type: ID_JAG,
    audience: identity.audience,
    resource: identity.resource,
    subject_token: auth.idp.idToken,
    subject_token_type: ID_TOKEN,
    client_id: auth.idp.clientId,
  });
  if (auth.idp.clientSecret) params.set('client_secret', auth.idp.clientSecret);
  if (scope) params.set('scope', scope);
  let response: Response;
  try {
    response = await fetchFn(auth.idp.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: params,
    });
  } catch (error) {
    throw new AuthError(`the identity provider's token endpoint is unreachable (${(error as Error)?.message ?? error})`, { retryable: true });
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!response.ok) {
    const reason = typeof body?.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : `HTTP ${response.status}`;
    throw new AuthError(`the identity provider refused the token exchange (${secrets.redact(reason)})`, { retryable: response.status >= 500 });
  }
  const grant = body?.access_token;
  if (typeof grant !== 'string' || !grant) throw new AuthError('the identity provider answered the token exchange without an ID-JAG');
  if (body?.issued_token_type !== undefined && body.issued_token_type !== ID_JAG) {
    throw new AuthError(`the identity provider issued a ${String(body.issued_token_type)}, not an ID-JAG`);
  }
  secrets.add(grant);
  return grant;
}
