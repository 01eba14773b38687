/**
 * The 2026-07-28 client scenarios (the `modern` set of `npm run conformance`), as data: the 32
 * that `conformance list --client --requirements 2026-07-28` names in the prerelease suite
 * (test/conformance/modern), run with `--spec-version 2026-07-28`. Entries have the shape
 * scenarios.mjs describes; `calls` may also read a resource (`{ resource }`) or get a prompt
 * (`{ prompt, arguments? }`), a call with `refused: true` must be refused by the library (it
 * must never reach the server), and `contextCalls: true` appends the `toolCalls` the suite
 * hands over in MCP_CONFORMANCE_CONTEXT.
 *
 * Every server here runs with `protocol: 'auto'`, the product default: no scenario of this
 * set needs a pin. The suite's servers answer `server/discover` (request-metadata rejects the
 * first request with -32022 naming 2026-07-28, which `auto` must retry with) and refuse or
 * ignore `initialize`, so `auto` is also what a user pointing the switchboard at them gets.
 */

/** What the 2026-07-28 auth scenarios' MCP servers serve: one tool. */
const TEST_TOOL = [{ tool: 'test-tool' }];

/** Every modern entry's server config starts from this. */
const MODERN_SERVER = { protocol: 'auto' };

const entries = [
  // The stateless mock of the 2026-07-28 wire with one tool (every message is schema-checked).
  { name: 'tools_call', calls: [{ tool: 'add_numbers', arguments: { a: 2, b: 3 } }] },
  // SEP-2575: MCP-Protocol-Version header and the per-request _meta (protocolVersion,
  // clientCapabilities, clientInfo) on every POST; the first request is refused with -32022
  // { supported: ['2026-07-28'] } and must be retried at 2026-07-28.
  { name: 'request-metadata', calls: [] },
  {
    // SEP-2322 (input_required): requestState echoed unchanged on the retry with a new JSON-RPC
    // id, none sent when none was given, nothing carried into an unrelated call, and a result
    // without resultType taken as complete. The elicitation handler answers every input request.
    name: 'sep-2322-client-request-state',
    options: { handlers: { elicitation: async () => ({ action: 'accept', content: { confirmed: true } }) } },
    calls: [{ tool: 'test_mrtr_echo_state' }, { tool: 'test_mrtr_no_state' }, { tool: 'test_mrtr_unrelated' }, { tool: 'test_mrtr_no_result_type' }],
  },
  {
    // SEP-2243: Mcp-Method on every POST, Mcp-Name on tools/call, resources/read (the URI as
    // sent, percent-encoding included) and prompts/get.
    name: 'http-standard-headers',
    calls: [{ tool: 'test_headers' }, { tool: 'my-hyphenated-tool' }, { resource: 'file:///path/to/file%20name.txt' }, { prompt: 'test_prompt' }],
  },
  // SEP-2243: x-mcp-header parameters mirrored as Mcp-Param-* (Base64 where unsafe, omitted
  // when null); the suite names the two calls and their arguments in its context.
  { name: 'http-custom-headers', contextCalls: true, calls: [] },
  {
    // SEP-2243: tools with an invalid x-mcp-header must be dropped, the valid one kept. The
    // adapter asks for every one of them; the library must refuse the invalid ones itself.
    name: 'http-invalid-tool-headers',
    calls: [
      { tool: 'valid_tool', arguments: { region: 'us-west1' } },
      ...[
        ['invalid_empty_header', { value: 'x' }],
        ['invalid_object_header', { data: {} }],
        ['invalid_array_header', { items: ['x'] }],
        ['invalid_null_header', { nil: null }],
        ['invalid_number_header', { score: 1.5 }],
        ['invalid_duplicate_same_case', { field1: 'a', field2: 'b' }],
        ['invalid_duplicate_diff_case', { field1: 'a', field2: 'b' }],
        ['invalid_space_in_name', { value: 'x' }],
        ['invalid_colon_in_name', { value: 'x' }],
        ['invalid_non_ascii_name', { value: 'x' }],
        ['invalid_control_char_name', { value: 'x' }],
      ].map(([tool, args]) => ({ tool, arguments: args, refused: true })),
    ],
  },
  // SEP-2106: a tool whose inputSchema has a network `$ref` (a canary URL) is listed, and the
  // canary is never fetched.
  { name: 'json-schema-ref-no-deref', calls: [] },

  // Authorization (DESIGN §11) on the 2026-07-28 wire: the same `auth` blocks as the legacy set.
  ...[
    'auth/metadata-default',
    'auth/metadata-var1',
    'auth/metadata-var2',
    'auth/metadata-var3',
    'auth/scope-from-www-authenticate',
    'auth/scope-from-scopes-supported',
    'auth/scope-omitted-when-undefined',
    // tools/list needs mcp:basic (401), tools/call mcp:basic + mcp:write (403 insufficient_scope).
    'auth/scope-step-up',
    'auth/token-endpoint-auth-basic',
    'auth/token-endpoint-auth-post',
    'auth/token-endpoint-auth-none',
    'auth/offline-access-scope',
    'auth/offline-access-not-supported',
    // SEP-2352: after the first authorized request the resource metadata names a second
    // authorization server and the old token gets 401: register anew there, never reuse the
    // first server's client id.
    'auth/authorization-server-migration',
    // RFC 9207 (SEP-2468): a correct `iss` in the redirect, or none where none is advertised,
    // is accepted.
    'auth/iss-supported',
    'auth/iss-not-advertised',
  ].map((name) => ({ name, server: { auth: { type: 'oauth' } }, calls: TEST_TOOL })),
  ...[
    // The connect must fail: the resource metadata names another server.
    'auth/resource-mismatch',
    // Every token gets 403 insufficient_scope: re-authorize once, then give up.
    'auth/scope-retry-limit',
    // RFC 9207: reject the redirect (send no token request) when `iss` is advertised but
    // missing, names another issuer, is unexpected and wrong, or only matches after URL
    // normalization (a trailing slash).
    'auth/iss-supported-missing',
    'auth/iss-wrong-issuer',
    'auth/iss-unexpected',
    'auth/iss-normalized',
    // RFC 8414 §3.3: metadata whose `issuer` differs from the URL it was fetched for is unusable.
    'auth/metadata-issuer-mismatch',
  ].map((name) => ({ name, server: { auth: { type: 'oauth' } }, calls: [] })),
  {
    name: 'auth/basic-cimd',
    server: { auth: { type: 'oauth', clientMetadataUrl: 'https://conformance-test.local/client-metadata.json' } },
    calls: TEST_TOOL,
  },
  {
    name: 'auth/pre-registration',
    server: { auth: { type: 'oauth', clientId: '${CONFORMANCE_CLIENT_ID}', clientSecret: '${CONFORMANCE_CLIENT_SECRET}' } },
    calls: TEST_TOOL,
  },
];

/** The modern set: every entry's server with `protocol: 'auto'` unless it says otherwise. */
export const modernScenarios = entries.map((entry) => ({ ...entry, server: { ...MODERN_SERVER, ...entry.server } }));
