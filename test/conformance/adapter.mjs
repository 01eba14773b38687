/**
 * The conformance adapter's logic, apart from the process around it (client.mjs) so that
 * adapter.test.ts can run it in process. It only ever touches the library through the
 * `createSwitchboard` it is handed: the public API.
 */

/** The name of the one server every scenario configures. */
export const SERVER = 'conformance';

/**
 * Server config every scenario starts from. One connect attempt and no replays: a retried
 * connect or call would show the suite's server traffic it did not ask for. No health pings
 * (they would add requests to the logs the checks read).
 */
export const BASE_SERVER = {
  transport: 'http',
  reconnect: { maxAttempts: 1 },
  replay: 'never',
  health: { intervalMs: 0 },
  timeouts: { connectMs: 10_000, callMs: 15_000, shutdownMs: 2_000 },
};

/**
 * The suite's MCP_CONFORMANCE_CONTEXT (JSON text, may be absent) as `CONFORMANCE_<KEY>`
 * variables: keys upper-cased, runs of other characters as `_`, nested keys joined by `_`;
 * non-string leaves as JSON. `{ client_id: 'a', idp: { token_endpoint: 'u' } }` gives
 * `CONFORMANCE_CLIENT_ID=a`, `CONFORMANCE_IDP_TOKEN_ENDPOINT=u`.
 */
export function contextEnv(json) {
  const env = {};
  if (!json) return env;
  const visit = (prefix, value) => {
    if (isPlain(value)) {
      for (const [key, inner] of Object.entries(value)) visit(`${prefix}_${key.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`, inner);
    } else {
      env[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  };
  visit('CONFORMANCE', JSON.parse(json));
  return env;
}

function isPlain(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `over` merged into `base`: plain objects key by key, anything else replaces. */
export function merge(base, over) {
  const out = { ...base };
  for (const [key, value] of Object.entries(over ?? {})) out[key] = isPlain(out[key]) && isPlain(value) ? merge(out[key], value) : value;
  return out;
}

/**
 * The interactive step as a browser does it against the suite's authorization servers, which
 * approve at once: fetch the authorization URL without following its redirect and hand back the
 * code from the Location header (checking it answers our `state`). A host with a real user would
 * show or open the URL instead (or return nothing and let the library's loopback listener catch
 * the redirect).
 */
export async function followRedirect({ authorizationUrl }) {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  await response.body?.cancel();
  const location = response.headers.get('location');
  if (!location) throw new Error(`the authorization endpoint did not redirect (HTTP ${response.status})`);
  const redirect = new URL(location);
  if (redirect.searchParams.get('state') !== authorizationUrl.searchParams.get('state')) throw new Error('the redirect does not carry our state');
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`the redirect carries no code (${redirect.searchParams.get('error') ?? 'no error either'})`);
  // RFC 9207: the issuer the redirect names goes back as caught, unchecked; comparing it with
  // the authorization server's metadata is the library's job (DESIGN §11, `{ code, iss? }`).
  const iss = redirect.searchParams.get('iss');
  return iss === null ? { code } : { code, iss };
}

/**
 * The steps of `entry`: its `calls`, then (with `contextCalls`) the `toolCalls` of the suite's
 * MCP_CONFORMANCE_CONTEXT (`[{ name, arguments }]`) as tool calls.
 */
export function entrySteps(entry, contextJson) {
  const steps = [...(entry.calls ?? [])];
  if (entry.contextCalls) {
    const toolCalls = contextJson ? JSON.parse(contextJson).toolCalls : undefined;
    if (!Array.isArray(toolCalls)) throw new Error('the scenario wants the toolCalls of MCP_CONFORMANCE_CONTEXT, which has none');
    for (const call of toolCalls) steps.push({ tool: call.name, arguments: call.arguments ?? {} });
  }
  return steps;
}

/** Runs one step through the public API; resolves with its result. */
function runStep(sb, step) {
  if (step.resource !== undefined) return sb.readResource(step.resource, { server: SERVER });
  if (step.prompt !== undefined) return sb.getPrompt(step.prompt, step.arguments ?? {}, { server: SERVER });
  return sb.callTool(step.tool, step.arguments ?? {}, { server: SERVER });
}

/** A step's name in diagnostics. */
function stepName(step) {
  return step.resource ?? step.prompt ?? step.tool;
}

/**
 * Runs one scenario entry (see scenarios.mjs) against `url`: start, the entry's steps, stop.
 * `env` is the process environment (the context is read from its MCP_CONFORMANCE_CONTEXT);
 * `write` receives diagnostic lines. Resolves 0 when every step worked, 1 when a call returned
 * `isError` or a `refused` step was not refused; rejects when the server did not connect or a
 * step threw.
 */
export async function runEntry(createSwitchboard, entry, url, { env = process.env, write = () => undefined } = {}) {
  const steps = entrySteps(entry, env.MCP_CONFORMANCE_CONTEXT);
  const config = { servers: { [SERVER]: merge({ ...BASE_SERVER, url }, entry.server) } };
  const sb = createSwitchboard(config, {
    env: { ...env, ...contextEnv(env.MCP_CONFORMANCE_CONTEXT) },
    clientInfo: { name: 'mcp-switchboard-conformance', version: '0.1.0' },
    logger: { log: (level, message) => write(`${level} ${message}`) },
    // What an embedder with OAuth servers passes: the consent step, and tokens kept in memory
    // (a file store under ~ would carry tokens from one scenario run into the next).
    authorize: followRedirect,
    tokenStore: 'memory',
    ...entry.options,
  });
  let code = 0;
  try {
    await sb.start();
    const status = sb.getServer(SERVER);
    if (status.state !== 'connected') throw new Error(`server not connected: ${status.state} ${JSON.stringify(status.lastError ?? null)}`);
    write(`connected (${JSON.stringify(status.protocol ?? null)}); tools: ${sb.listTools(SERVER).map((t) => t.name).join(', ') || '(none)'}`);
    for (const step of steps) {
      if (step.refused) {
        // The server must never see this call: the library refuses it (an error), or it is a fault.
        const outcome = await runStep(sb, step).then(
          () => 'answered',
          (error) => `refused (${error?.code ?? error?.name}: ${error?.message})`,
        );
        write(`${stepName(step)}: ${outcome}`);
        if (outcome === 'answered') code = 1;
        continue;
      }
      const result = await runStep(sb, step);
      write(`${stepName(step)}: ${JSON.stringify(result.content ?? result.contents ?? result.messages ?? result)}`);
      if (result.isError) code = 1;
    }
  } finally {
    await sb.stop();
  }
  return code;
}
