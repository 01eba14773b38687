/**
 * The conformance scenarios this project runs, as data: adding one is adding an entry here.
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
];

/** The entry named `name`, or undefined. */
export function findScenario(name) {
  return scenarios.find((s) => s.name === name);
}
