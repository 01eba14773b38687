import { LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';

/**
 * Recognizes a server that will not speak this client's protocol version, however it says so: a
 * 2026-07-28-era server that rejects older clients answers `initialize` with −32022 and
 * `data.supported` (research/sdk-v2-notes.md), over stdio as a JSON-RPC error and over HTTP in the
 * body of a 200 or a 400; 2025-era servers send "Unsupported protocol version" (−32602 in the spec's
 * example); and the SDK itself refuses a version it does not know. No retry can change the answer,
 * so a refusal is non-retryable (DESIGN §4, §15).
 */

/** JSON-RPC code of a refused protocol version (MCP 2026-07-28). */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

const REFUSAL_TEXT = /unsupported protocol version|protocol version (?:is )?not supported/i;
/** The SDK's own check: "Server's protocol version is not supported: <version>". */
const SDK_CHECK = /protocol version is not supported: (\S{1,64})/i;
/**
 * Default bound on an error's text searched for a JSON-RPC error: `limits.maxMessageBytes`'s default.
 * The HTTP body in it was read under the server's own `limits.maxMessageBytes` already, so a refusal
 * padded past any smaller fixed bound is still recognized (it was retried as HTTP 400).
 */
const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
/** Room for the SDK's text around the body ("Error POSTing to endpoint (HTTP 400): …"). */
const PREFIX_SLACK = 1024;

interface RpcError {
  code: unknown;
  message: unknown;
  data?: unknown;
}

/** A version string as the server wrote it, made safe to show (it is server-controlled text). */
function version(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.-]{1,40}$/.test(value) ? value : undefined;
}

/** The JSON-RPC error a failed request carries: as an McpError, or in the text of an HTTP error body. */
function rpcError(error: unknown, maxBody: number): RpcError | undefined {
  if (error instanceof McpError) return { code: error.code, message: error.message, data: error.data };
  if (!(error instanceof Error) || error.message.length > maxBody + PREFIX_SLACK) return undefined;
  const start = error.message.indexOf('{');
  if (start === -1) return undefined;
  try {
    const body = JSON.parse(error.message.slice(start)) as { error?: RpcError } | null;
    return body && typeof body.error === 'object' && body.error !== null ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the client speaks, for messages: the legacy handshake (the v1 SDK negotiates 2025-11-25 and
 * the published revisions before it) and, with `protocol: auto` or `2026-07-28`, the modern era.
 */
const OURS = `this client speaks ${LATEST_PROTOCOL_VERSION} (and older) in the legacy handshake, and 2026-07-28 with protocol: auto or "2026-07-28"`;
/** What to do when the server offers the modern era: the switchboard reaches it, unpinned. */
const TO_MODERN = 'protocol: auto or "2026-07-28" reaches it';

/**
 * The message of a version refusal, naming the versions the server offers when it says; undefined
 * when `error` (from a failed connect) is no version refusal. `maxBodyBytes` is the server's
 * `limits.maxMessageBytes` (defaults to its default, 10 MiB): an error body up to it is searched.
 */
export function versionRefusal(error: unknown, maxBodyBytes = DEFAULT_MAX_BODY): string | undefined {
  const answer = rpcError(error, maxBodyBytes);
  if (answer && (answer.code === UNSUPPORTED_PROTOCOL_VERSION || (typeof answer.message === 'string' && REFUSAL_TEXT.test(answer.message)))) {
    const data = (typeof answer.data === 'object' && answer.data !== null ? answer.data : {}) as { supported?: unknown; requested?: unknown };
    const offered = Array.isArray(data.supported) ? data.supported.slice(0, 10).map(version).filter((v) => v !== undefined) : [];
    const requested = version(data.requested) ?? LATEST_PROTOCOL_VERSION;
    const offers = offered.length > 0 ? `it offers ${offered.join(', ')}` : 'it did not say which versions it offers';
    return `the server refused protocol version ${requested} (${offers}); ${offered.includes('2026-07-28') ? TO_MODERN : OURS}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  const chosen = SDK_CHECK.exec(message);
  if (chosen) return `the server chose protocol version ${version(chosen[1]) ?? '(unreadable)'}, which this client does not speak (${OURS})`;
  if (REFUSAL_TEXT.test(message)) return `the server refused this client's protocol version (${OURS})`;
  return undefined;
}
