import { z } from 'zod';

/**
 * The `auth` block of an http or sse server (DESIGN §11), as zod schemas: the only source of its
 * types. Every value in it is treated as a secret (src/secrets/redact.ts).
 */

/** An https URL (a Client ID Metadata Document must be served over https, with a path). */
const httpsUrl = z.string().superRefine((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || url.protocol !== 'https:' || url.pathname === '/') ctx.addIssue({ code: 'custom', message: 'must be an https:// URL with a path' });
});

/** An http(s) URL (endpoints of an identity provider). */
const endpointUrl = z.string().superRefine((value, ctx) => {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
});

/** The loopback redirect of an authorization-code flow: the switchboard listens there itself. */
const loopbackUrl = z.string().superRefine((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || url.protocol !== 'http:' || (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost')) {
    ctx.addIssue({ code: 'custom', message: 'must be a loopback URL such as http://127.0.0.1:33418/callback (the switchboard listens there on 127.0.0.1)' });
  }
});

const scopes = z.array(z.string().min(1).regex(/^\S+$/, 'a scope has no spaces')).optional();

/**
 * `auth: { type: oauth }`: authorization code with PKCE (DESIGN §11). Without `clientId` the
 * client registers itself: by its Client ID Metadata Document when `clientMetadataUrl` is set and
 * the authorization server supports it, else by dynamic client registration. `scopes` defaults
 * to the server's `WWW-Authenticate` scope, else its `scopes_supported`, else none; `redirectUrl`
 * defaults to a fresh loopback port per flow.
 */
export const OAuthAuthSchema = z.strictObject({
  type: z.literal('oauth'),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  clientMetadataUrl: httpsUrl.optional(),
  scopes,
  redirectUrl: loopbackUrl.optional(),
}).superRefine((auth, ctx) => {
  if (auth.clientSecret !== undefined && auth.clientId === undefined) ctx.addIssue({ code: 'custom', message: 'clientSecret belongs to a pre-registered clientId', path: ['clientSecret'] });
});

/**
 * `auth: { type: client_credentials }`: machine to machine. `clientSecret` is sent as
 * client_secret_basic or client_secret_post, whichever the authorization server supports;
 * `privateKey` (PEM, PKCS#8) signs a private_key_jwt assertion instead, with `algorithm`
 * (defaults to the key's own: ES256/ES384/ES512 for EC keys, RS256 for RSA, EdDSA for Ed25519).
 */
export const ClientCredentialsAuthSchema = z
  .strictObject({
    type: z.literal('client_credentials'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    algorithm: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']).optional(),
    scopes,
  })
  .superRefine((auth, ctx) => {
    if ((auth.clientSecret === undefined) === (auth.privateKey === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of clientSecret or privateKey', path: [] });
    }
    if (auth.algorithm && !auth.privateKey) ctx.addIssue({ code: 'custom', message: 'algorithm is for privateKey (private_key_jwt) only', path: ['algorithm'] });
  });

/**
 * `auth: { type: cross_app }`: enterprise-managed authorization (SEP-990). The identity provider's
 * ID token is exchanged at its token endpoint for an ID-JAG (RFC 8693), which the MCP server's
 * authorization server takes as a JWT-bearer grant (RFC 7523) from `clientId`/`clientSecret`.
 */
export const CrossAppAuthSchema = z.strictObject({
  type: z.literal('cross_app'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  scopes,
  idp: z.strictObject({
    tokenEndpoint: endpointUrl,
    idToken: z.string().min(1),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
  }),
});

/** A server's `auth` block (http and sse servers only). Every value in it is treated as a secret. */
export const AuthSchema = z.discriminatedUnion('type', [OAuthAuthSchema, ClientCredentialsAuthSchema, CrossAppAuthSchema]);

/** A stdio server has no HTTP requests to authorize. */
export const noAuth = z.undefined({ error: 'auth is for http and sse servers only (a stdio server takes its credentials in env)' }).optional();

/** `auth` sets the Authorization header itself: a static one beside it would be overwritten. */
export function refuseTwoAuthorizations(server: { headers?: Record<string, string> | undefined; auth?: unknown }, ctx: z.RefinementCtx): void {
  if (!server.auth || !server.headers) return;
  const key = Object.keys(server.headers).find((name) => name.toLowerCase() === 'authorization');
  if (key) ctx.addIssue({ code: 'custom', message: 'an Authorization header and an auth block exclude each other; keep one', path: ['headers', key] });
}
