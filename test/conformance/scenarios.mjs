import { modernScenarios } from './scenarios-modern.mjs';

/**
 * The conformance scenarios this project runs, as data: adding one is adding an entry here.
 * This file holds the legacy set (the 0.1.16 suite, the 2025-11-25 wire);
 * scenarios-modern.mjs the 2026-07-28 one. The two sets share names (`tools_call`,
 * `auth/metadata-default`, ...): an entry is found by set and name.
 *
 * Each entry:
 * - `name`: the suite's scenario name (`conformance list --client`).
 * - `required`: a failure fails `npm run conformance` (and CI). Defaults to true.
 * - `server`: extra config of the one `transport: http` server (merged over the adapter's
 *   defaults). Values may use `${CONFORMANCE_*}`: the adapter puts every field of the suite's
 *   `MCP_CONFORMANCE_CONTEXT` JSON into the switchboard's `env` option under that prefix (key
 *   upper-cased, nested keys joined by `_`), so the library's own `${VAR}` expansion (and masking)
 *   handles credentials, e.g. `auth: { type: 'client_credentials', clientId: '${CONFORMANCE_CLIENT_ID}' }`.
 * - `options`: extra `createSwitchboard` options (handlers, authorize, ...).
 * - `calls`: tools called in order after `start()`, each `{ tool, arguments? }`; the adapter
 *   exits non-zero when one throws or returns `isError: true`.
 */

export const scenarios = [
  // initialize + clientInfo; the suite's server answers tools/list with no tools.
  { name: 'initialize', calls: [] },
  // A stateless streamable-HTTP server with one tool.
  { name: 'tools_call', calls: [{ tool: 'add_numbers', arguments: { a: 2, b: 3 } }] },
  {
    // SEP-1034: the handler returns no content; the switchboard must fill in the schema's defaults.
    name: 'elicitation-sep1034-client-defaults',
    options: { handlers: { elicitation: async () => ({ action: 'accept', content: {} }) } },
    calls: [{ tool: 'test_client_elicitation_defaults' }],
  },
  // SEP-1699: the tools/call SSE stream closes after a priming event with `retry: 500`; the
  // answer comes on the GET the client must open 500 ms later with Last-Event-ID.
  { name: 'sse-retry', calls: [{ tool: 'test_reconnection' }] },

  // Authorization (DESIGN §11). Every auth scenario's MCP server has one tool, `test-tool`; the
  // adapter passes `authorize: followRedirect` and `tokenStore: 'memory'`. The `auth` blocks are
  // what a user would write; credentials come from the suite's context as ${CONFORMANCE_*}.
  ...[
    // RFC 9728 + RFC 8414/OIDC discovery at every location the spec allows.
    'auth/metadata-default',
    'auth/metadata-var1',
    'auth/metadata-var2',
    'auth/metadata-var3',
    // Scope selection (SEP-835): WWW-Authenticate, then scopes_supported, else none.
    'auth/scope-from-www-authenticate',
    'auth/scope-from-scopes-supported',
    'auth/scope-omitted-when-undefined',
    // tools/list needs mcp:basic (401), tools/call mcp:basic + mcp:write (403 insufficient_scope).
    'auth/scope-step-up',
    // Token endpoint client authentication as the dynamic registration says.
    'auth/token-endpoint-auth-basic',
    'auth/token-endpoint-auth-post',
    'auth/token-endpoint-auth-none',
    // The 2025-03-26 revision: no resource metadata; the server's origin as authorization server.
    'auth/2025-03-26-oauth-metadata-backcompat',
    'auth/2025-03-26-oauth-endpoint-fallback',
    // SEP-2207: offline_access asked for only when the authorization server lists it.
    'auth/offline-access-scope',
    'auth/offline-access-not-supported',
  ].map((name) => ({ name, server: { auth: { type: 'oauth' } }, calls: [{ tool: 'test-tool' }] })),
  {
    // The authorization server supports Client ID Metadata Documents: the URL is the client id.
    name: 'auth/basic-cimd',
    server: { auth: { type: 'oauth', clientMetadataUrl: 'https://conformance-test.local/client-metadata.json' } },
    calls: [{ tool: 'test-tool' }],
  },
  {
    // No registration endpoint: a pre-registered confidential client.
    name: 'auth/pre-registration',
    server: { auth: { type: 'oauth', clientId: '${CONFORMANCE_CLIENT_ID}', clientSecret: '${CONFORMANCE_CLIENT_SECRET}' } },
    calls: [{ tool: 'test-tool' }],
  },
  // The resource metadata names another server: the client must refuse (and so fail to connect).
  { name: 'auth/resource-mismatch', server: { auth: { type: 'oauth' } }, calls: [] },
  // Every request with a token gets 403 insufficient_scope: the client re-authorizes once, then
  // gives up (the suite allows at most 3 authorizations; the connect fails, as it should).
  { name: 'auth/scope-retry-limit', server: { auth: { type: 'oauth' } }, calls: [] },
  {
    name: 'auth/client-credentials-basic',
    server: { auth: { type: 'client_credentials', clientId: '${CONFORMANCE_CLIENT_ID}', clientSecret: '${CONFORMANCE_CLIENT_SECRET}' } },
    calls: [],
  },
  {
    // private_key_jwt (RFC 7523 §2.2) with the PEM key the suite hands over.
    name: 'auth/client-credentials-jwt',
    server: {
      auth: {
        type: 'client_credentials',
        clientId: '${CONFORMANCE_CLIENT_ID}',
        privateKey: '${CONFORMANCE_PRIVATE_KEY_PEM}',
        algorithm: '${CONFORMANCE_SIGNING_ALGORITHM:-ES256}',
      },
    },
    calls: [],
  },
  {
    // SEP-990: the IdP's ID token -> ID-JAG (token exchange) -> access token (JWT-bearer grant).
    name: 'auth/cross-app-access-complete-flow',
    server: {
      auth: {
        type: 'cross_app',
        clientId: '${CONFORMANCE_CLIENT_ID}',
        clientSecret: '${CONFORMANCE_CLIENT_SECRET}',
        idp: { tokenEndpoint: '${CONFORMANCE_IDP_TOKEN_ENDPOINT}', idToken: '${CONFORMANCE_IDP_ID_TOKEN}', clientId: '${CONFORMANCE_IDP_CLIENT_ID}' },
      },
    },
    calls: [{ tool: 'test-tool' }],
  },
];

/**
 * Every set by name: `legacy` runs on the 0.1.16 suite (test/conformance), `modern` on the
 * prerelease with `--spec-version 2026-07-28` (test/conformance/modern).
 */
export const sets = { legacy: scenarios, modern: modernScenarios };

/** The entry named `name` in `set` (default `legacy`), or undefined (also for an unknown set). */
export function findScenario(name, set = 'legacy') {
  return Object.hasOwn(sets, set) ? sets[set].find((s) => s.name === name) : undefined;
}
