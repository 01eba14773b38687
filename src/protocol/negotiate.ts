import { isSubstituteData } from './failure.js';
import { screenMessages, type McpTransport } from './transport.js';

/**
 * The era probe (DESIGN §15): one `server/discover` request on a transport that is started and not
 * yet given to any SDK Client, and what its answer says. A modern answer keeps the transport for
 * the modern session; any JSON-RPC error is a legacy server, answered next by `initialize` on the
 * same transport (over stdio: the same process). Only a transport that closes, fails or answers
 * garbage makes the caller start over in legacy mode. The rules follow the v2 SDK's own probe
 * classifier (`@modelcontextprotocol/client` 2.4.0, probeClassifier.ts), so an `auto` server is
 * judged as that SDK would judge it, but the probe runs on our transport, once, and its outcome is
 * remembered by the caller.
 */

/** How long the probe waits for an answer after a line that is not JSON-RPC (a banner, a log line). */
const GARBLED_GRACE_MS = 2_000;

/**
 * The longest a connect waits for an answer that a working server may never send: silence on
 * `server/discover` over stdio (a legacy server that ignores unknown requests) and a modern
 * server's acknowledgement of `subscriptions/listen`. 5 s is far above a live server's answer
 * (milliseconds) and keeps a silent legacy server from waiting 30 s under a stdio server's 60 s
 * connect deadline; a slow starter loses nothing by it (its late discover answer is still taken,
 * `catchLateDiscover`).
 */
export const SILENCE_CAP_MS = 5_000;

/** How long a connect waits for such an answer: half the connect deadline, at most `SILENCE_CAP_MS`. */
export function silenceWindowMs(connectMs: number): number {
  return Math.max(1, Math.min(SILENCE_CAP_MS, Math.floor(connectMs / 2)));
}

/** The modern revision this client speaks. */
export const MODERN_VERSION = '2026-07-28';

/** The legacy revisions the v1 SDK negotiates (its `initialize` also accepts older ones). */
const LEGACY_PREFIX = '2024-|2025-';

/** What one probe found. */
export type ProbeVerdict =
  | { kind: 'modern'; discover: Record<string, unknown> }
  /** `silent`: judged by silence alone (the probe timed out), not by an answer. */
  | { kind: 'legacy'; why: string; silent?: boolean }
  /** The transport died, timed out or answered garbage: start over in legacy mode (stdio). */
  | { kind: 'broken'; why: string }
  /** The server speaks only modern versions we do not (or rejected ours): not retryable. */
  | { kind: 'unsupported'; supported: string[]; why: string };

/** A refusal that names our version as supported: the probe asks once more. */
export interface Corrective {
  kind: 'corrective';
  supported: string[];
}

/** The `server/discover` request with the per-request `_meta` envelope of the modern wire. */
export function discoverRequest(id: string, clientInfo: { name: string; version: string }, capabilities: Record<string, unknown>): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'server/discover',
    params: {
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
        'io.modelcontextprotocol/clientInfo': clientInfo,
        'io.modelcontextprotocol/clientCapabilities': capabilities,
      },
    },
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function supportedList(data: unknown): string[] | undefined {
  if (!isObject(data) || !Array.isArray(data.supported)) return undefined;
  const list = data.supported.filter((v): v is string => typeof v === 'string');
  return list.length > 0 ? list : undefined;
}

/**
 * True for the error answer our stdio framing puts in place of a server's answer it could not pass
 * on (v1/classify.ts `substituteError`: over `limits.maxMessageBytes`, or a broken envelope).
 */
const isSubstitute = (error: Record<string, unknown>): boolean => isSubstituteData(error.data);

const isLegacyVersion = (version: string) => new RegExp(`^(${LEGACY_PREFIX})`).test(version);

/** Classifies a discover result: modern when it offers our version; legacy or unsupported otherwise. */
export function classifyResult(result: unknown): ProbeVerdict {
  if (!isObject(result) || !Array.isArray(result.supportedVersions) || !isObject(result.capabilities)) {
    // Not a DiscoverResult: a server that answers unknown methods with an empty result is legacy.
    return { kind: 'legacy', why: 'the server/discover answer is not a DiscoverResult' };
  }
  const offered = result.supportedVersions.filter((v): v is string => typeof v === 'string');
  if (offered.includes(MODERN_VERSION)) return { kind: 'modern', discover: result };
  if (offered.some(isLegacyVersion) || offered.length === 0) return { kind: 'legacy', why: `the server offers ${offered.join(', ') || 'no version'} in server/discover` };
  return { kind: 'unsupported', supported: offered, why: `the server offers only ${offered.join(', ')}` };
}

/** Classifies a JSON-RPC error answer to the discover: legacy, unless the server names only modern versions we lack. */
export function classifyError(error: { code?: unknown; message?: unknown; data?: unknown }): ProbeVerdict | Corrective {
  const code = typeof error.code === 'number' ? error.code : undefined;
  if (code === -32022) {
    const supported = supportedList(error.data);
    // It refused the version we sent but names ours among what it supports: ask once more (SEP-2575,
    // "retry with a supported version"; the v2 SDK's corrective round).
    if (supported?.includes(MODERN_VERSION)) return { kind: 'corrective', supported };
    if (supported && !supported.includes(MODERN_VERSION) && !supported.some(isLegacyVersion)) {
      return { kind: 'unsupported', supported, why: `the server supports only ${supported.join(', ')}` };
    }
  }
  return { kind: 'legacy', why: `the server answered server/discover with ${code ?? 'an error'}${typeof error.message === 'string' ? ` (${error.message.slice(0, 200)})` : ''}` };
}

/**
 * Classifies an HTTP answer that was not a JSON-RPC message (the v2 transport's `SdkHttpError`,
 * read structurally: `data.status`, `data.text`): a JSON-RPC error body by its code, any other
 * 4xx as a legacy server (a 2025 server answers a request without a session with 400 or 404),
 * 401/403 and 5xx as errors of the connect itself. Undefined for anything else.
 */
function classifyHttpFailure(error: unknown): ProbeVerdict | Corrective | Error | undefined {
  const data = (error as { data?: { status?: unknown; text?: unknown } } | null)?.data;
  const status = typeof data?.status === 'number' ? data.status : undefined;
  if (status === undefined) return undefined;
  if (status === 401 || status === 403 || status >= 500) return error as Error;
  if (typeof data?.text === 'string') {
    try {
      const body = JSON.parse(data.text) as { error?: unknown };
      if (isObject(body.error)) return classifyError(body.error);
    } catch {
      // Not JSON: the status says enough.
    }
  }
  return { kind: 'legacy', why: `the server answered server/discover with HTTP ${status}` };
}

/**
 * What makes an HTTP answer unusable rather than failed: a 200 whose body is not JSON, not a
 * JSON-RPC message, of a content type that carries none, or over `limits.maxMessageBytes` (the
 * v2 transport's errors, read structurally down their `cause` chain). Undefined for anything
 * else (a network failure is a failed connect, retried).
 */
function unusableAnswer(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (current instanceof SyntaxError) return 'it is not JSON';
    if (current.name === 'ZodError' || current.name === '$ZodError') return 'it is not a JSON-RPC message';
    if (current.name === 'MessageTooLargeError' || current.message.includes('(limits.maxMessageBytes)')) return 'it is larger than limits.maxMessageBytes';
    if (code === 'CLIENT_HTTP_UNEXPECTED_CONTENT') return 'its content type carries no JSON-RPC message';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Over HTTP (the v2 transport): a verdict from a failed POST or its answer, or the error itself. */
function classifyHttpError(error: unknown): ProbeVerdict | Corrective | Error {
  const byStatus = classifyHttpFailure(error);
  if (byStatus) return byStatus;
  const unusable = unusableAnswer(error);
  if (unusable) return { kind: 'broken', why: `the server's answer to server/discover was unusable: ${unusable}` };
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Sends one `server/discover` on `transport` (started, no Client attached) and waits for its
 * answer, the transport's close or error, `timeoutMs`, or `signal`. The transport's handlers are
 * ours during the probe and cleared after it: the Client that takes the transport sets its own.
 * `timeoutVerdict` is what silence means (stdio: legacy, as the v2 SDK decides; HTTP has none).
 */
export function probe(
  transport: McpTransport,
  options: {
    clientInfo: { name: string; version: string };
    capabilities: Record<string, unknown>;
    timeoutMs: number;
    signal: AbortSignal;
    /** Over HTTP (the v2 transport): a failed POST is classified by its status. Defaults to false. */
    http?: boolean;
  },
): Promise<ProbeVerdict> {
  let id = 'switchboard-discover-1';
  let corrected = false;
  return new Promise<ProbeVerdict>((resolve, reject) => {
    let settled = false;
    const send = () => {
      transport.send(discoverRequest(id, options.clientInfo, options.capabilities)).catch((error: unknown) => {
        // Stdio: a child that cannot take the request (its stdin broke: it exited) broke on it.
        finish(options.http ? classifyHttpError(error) : { kind: 'broken', why: `the request could not be written: ${(error as Error)?.message ?? error}` });
      });
    };
    const finish = (verdict: ProbeVerdict | Corrective | Error) => {
      if (settled) return;
      if (!(verdict instanceof Error) && verdict.kind === 'corrective') {
        // One more discover, with a new id; a second refusal is final.
        if (!corrected) {
          corrected = true;
          id = 'switchboard-discover-2';
          send();
          return;
        }
        verdict = { kind: 'unsupported', supported: verdict.supported, why: `the server refused ${MODERN_VERSION} twice though it names it among ${verdict.supported.join(', ')}` };
      }
      settled = true;
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      options.signal.removeEventListener('abort', onAbort);
      transport.onmessage = undefined;
      transport.onerror = undefined;
      transport.onclose = undefined;
      if (verdict instanceof Error) reject(verdict);
      else resolve(verdict);
    };
    const onAbort = () => finish(options.signal.reason instanceof Error ? options.signal.reason : new Error('the probe was aborted'));
    // Stdio: a line that is not JSON-RPC (a banner, a log line on stdout) is not taken for the
    // answer; the answer may still follow (as the v2 SDK's probe window waits). Only silence after
    // it makes the probe broken.
    let garbled: string | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const timer = setTimeout(
      () => finish(garbled ? { kind: 'broken', why: `the server's answer to server/discover was unusable: ${garbled}` } : { kind: 'legacy', why: `the server did not answer server/discover within ${options.timeoutMs} ms`, silent: true }),
      options.timeoutMs,
    );
    timer.unref?.();
    transport.onmessage = (message: unknown) => {
      if (!isObject(message) || message.id !== id || 'method' in message) return;
      // Our stdio framing's stand-in for an answer it could not pass on (over the size cap, or not
      // a JSON-RPC response): the server sent garbage, which is no legacy verdict.
      if (isObject(message.error) && isSubstitute(message.error)) finish({ kind: 'broken', why: `the server's answer to server/discover was unusable: ${String(message.error.message).slice(0, 200)}` });
      else if (isObject(message.error)) finish(classifyError(message.error));
      else if ('result' in message) finish(classifyResult(message.result));
      else finish({ kind: 'broken', why: 'the server answered server/discover with neither a result nor an error' });
    };
    transport.onerror = (error: Error) => {
      // HTTP: an answer streamed as SSE fails here only, so an unusable one is judged here too; a
      // failed send says the rest (below). Stdio: a line that is not JSON-RPC.
      if (options.http) {
        const verdict = classifyHttpError(error);
        if (!(verdict instanceof Error)) finish(verdict);
        return;
      }
      if (garbled !== undefined) return;
      garbled = error.message;
      // The answer gets a grace period after a stray line (pinned, the probe has no timeout of its own).
      const grace = setTimeout(() => finish({ kind: 'broken', why: `the server's answer to server/discover was unusable: ${garbled}` }), Math.min(options.timeoutMs, GARBLED_GRACE_MS));
      grace.unref?.();
      graceTimer = grace;
    };
    transport.onclose = () => finish({ kind: 'broken', why: 'the server closed the connection on server/discover' });
    if (options.signal.aborted) {
      onAbort();
      return;
    }
    options.signal.addEventListener('abort', onAbort, { once: true });
    send();
  });
}

/**
 * A transport that was started already, handed to an SDK Client (whose `connect()` starts its
 * transport, the v2 Client's adopting connect more than once): a plain object of our own that
 * forwards to it, so no SDK class crosses from one era's implementation to the other's, and whose
 * `start()` does nothing. The optional version setters the v2 Client calls are forwarded too.
 */
export function handover(inner: McpTransport): McpTransport {
  const target = inner as McpTransport & { setProtocolVersion?: (v: string) => void; setSupportedProtocolVersions?: (v: string[]) => void };
  const outer: McpTransport & { setProtocolVersion?: (v: string) => void; setSupportedProtocolVersions?: (v: string[]) => void } = {
    start: async () => undefined,
    send: (message, options) => inner.send(message, options),
    close: () => inner.close(),
    get sessionId() {
      return inner.sessionId;
    },
  };
  // Read by the v2 Client to cancel a request over HTTP by closing its own response stream (the
  // 2026-07-28 way) instead of posting notifications/cancelled, which a modern server ignores.
  Object.defineProperty(outer, 'hasPerRequestStream', { enumerable: true, get: () => (inner as { hasPerRequestStream?: unknown }).hasPerRequestStream });
  if (target.setProtocolVersion) outer.setProtocolVersion = (v) => target.setProtocolVersion?.(v);
  if (target.setSupportedProtocolVersions) outer.setSupportedProtocolVersions = (v) => target.setSupportedProtocolVersions?.(v);
  // The Client sets its handlers on the outer object; they are the inner one's.
  for (const key of ['onclose', 'onerror', 'onmessage'] as const) {
    Object.defineProperty(outer, key, {
      configurable: true,
      enumerable: true,
      get: () => inner[key],
      set: (handler: never) => {
        inner[key] = handler;
      },
    });
  }
  return outer;
}

/** A channel judged legacy by silence, watched for a late answer to the probe (`catchLateDiscover`). */
export interface WatchedChannel {
  /** What the legacy Client gets: the late answer never reaches it, and closing it is held. */
  transport: McpTransport;
  /** The late answer, once it came. */
  late(): Record<string, unknown> | undefined;
  /** Waits for the late answer until `signal` aborts or the channel closes (then undefined). */
  waitLate(signal: AbortSignal): Promise<Record<string, unknown> | undefined>;
  /** While held, the legacy Client's close leaves the process running (so the modern session can take it). */
  held(): boolean;
  /** Ends the hold: from now on closing closes. */
  release(): void;
}

/**
 * The channel of a server judged legacy by its silence, as the legacy Client gets it: a late answer
 * to the probe (a slow starter) is kept here instead of reaching that Client, and while the legacy
 * handshake runs the process is held, so that a server that refuses `initialize` and turns out to
 * speak 2026-07-28 can go on in the modern era on the same process.
 */
export function catchLateDiscover(inner: McpTransport): WatchedChannel {
  let answer: Record<string, unknown> | undefined;
  let holding = true;
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const outer = handover(inner);
  outer.close = () => (holding ? Promise.resolve() : inner.close());
  // The late answer to the probe is kept here, never reaching the legacy Client.
  screenMessages(outer, inner, (message) => {
    const { id, result } = (message ?? {}) as { id?: unknown; result?: unknown };
    if (typeof id !== 'string' || !id.startsWith('switchboard-discover-')) return true;
    if (isObject(result)) answer = result;
    wake();
    return false;
  });
  let closeHandler: McpTransport['onclose'];
  Object.defineProperty(outer, 'onclose', {
    configurable: true,
    enumerable: true,
    get: () => closeHandler,
    set: (next: McpTransport['onclose']) => {
      closeHandler = next;
      inner.onclose = () => {
        ended = true;
        wake();
        next?.();
      };
    },
  });
  return {
    transport: outer,
    late: () => answer,
    held: () => holding,
    release: () => {
      holding = false;
    },
    waitLate: (signal) =>
      new Promise((resolve) => {
        const done = () => {
          if (answer === undefined && !ended && !signal.aborted) return;
          waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve(answer);
        };
        waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
        done();
      }),
  };
}
