import type { ErrorInfo } from '../../machines/types.js';
import type { RuntimeServer } from '../config/schema.js';
import { catchLateDiscover, classifyResult, MODERN_VERSION, probe, silenceWindowMs, type ProbeVerdict } from './negotiate.js';
import type { ProtocolChoice } from '../config/protocolSchema.js';
import type { EraVerdict, OpenOptions, ProtocolConnector, ProtocolSession, SessionEvents } from './session.js';
import type { Channel } from './transport.js';
import { v1Channel, v1Connector } from './v1/session.js';
import { httpChannel, isModernError, modernConnectFailure, openModern } from './v2/index.js';

/**
 * The era chooser (DESIGN §15): which implementation opens a server's session, by its `protocol`
 * setting and the era remembered for it (`OpenOptions.prior`).
 *
 * - `2025-11-25` (and every `sse` server): the legacy handshake on the v1 SDK, as always.
 * - `2026-07-28`: modern only. `server/discover` on the channel, then the v2 Client adopts the
 *   answer; a server without 2026-07-28 is a non-retryable `UnsupportedProtocolVersion`.
 * - `auto` (the default): `server/discover` once, on the real channel (stdio: the real child,
 *   so 50 servers start 50 processes; HTTP: one POST). A modern answer keeps the channel for the
 *   modern session; any JSON-RPC error is followed by `initialize` on the same channel; a channel
 *   that dies, times out or answers garbage is closed and the server started again in legacy mode,
 *   with a warning. The era found is remembered by the caller and handed back as `prior`, so a
 *   reconnect sends no `server/discover` of its own; a remembered era that fails to connect is
 *   forgotten (session/attempt.ts).
 */

/** A pinned era the server does not speak, or a probe that found no way to talk: never retried by backoff. */
export class EraError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code = 'UnsupportedProtocolVersion',
    /** The era found after all, for the next connect. */
    readonly verdict?: EraVerdict,
  ) {
    super(message);
    this.name = 'EraError';
  }
}

/**
 * How long a stdio server may stay silent on `server/discover` before it is taken for legacy and
 * sent `initialize`: half its connect deadline, at most 5 s (`silenceWindowMs`). A slow starter is
 * not misjudged by the short window: its late discover answer is kept (`openAfterSilence`).
 */
function probeTimeoutMs(server: RuntimeServer): number {
  return silenceWindowMs(server.timeouts.connectMs);
}

function choiceOf(server: RuntimeServer): ProtocolChoice {
  return server.protocol ?? 'auto';
}

/** Session events nobody listens to: the handshake that only asks a server for its version. */
const UNHEARD: SessionEvents = {
  lost: () => undefined,
  suspect: () => undefined,
  transportError: () => undefined,
  listChanged: () => undefined,
  resourceUpdated: () => undefined,
  log: () => undefined,
};

/**
 * The protocol version a server found legacy speaks, by its `initialize` answer (on `channel`,
 * the process the probe ran on, which is closed after; or on a fresh legacy transport), for the
 * message of a pinned era it does not speak. Bounded by the probe timeout and the attempt's
 * signal; undefined when the handshake does not succeed (its own error is not the point).
 */
async function legacyVersion(options: OpenOptions, channel: Channel | undefined): Promise<string | undefined> {
  const bound = new AbortController();
  const onAbort = () => bound.abort(options.signal.reason);
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => bound.abort(new Error('the legacy handshake took too long')), probeTimeoutMs(options.server));
  timer.unref?.();
  // No handlers for the server's requests: this session only asks, and closes at once.
  const { serverRequests: _unused, ...asking } = options;
  const quiet: OpenOptions = { ...asking, signal: bound.signal };
  try {
    const session = channel ? await v1Connector.openOn(channel, quiet, UNHEARD) : await v1Connector.open(quiet, UNHEARD);
    await session.close().catch(() => undefined);
    return session.facts.protocolVersion;
  } catch {
    // A failed handshake closed what it opened.
    return undefined;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
  }
}

/** Opens the channel the probe runs on: the v2 transport for HTTP, the stdio child or an embedder's transport. */
function openProbeChannel(options: OpenOptions): Promise<Channel> {
  return options.server.transport === 'http' && !options.custom ? httpChannel(options) : v1Channel(options);
}

async function openNegotiated(options: OpenOptions, events: SessionEvents, pinned: boolean, patient = false): Promise<ProtocolSession> {
  const { server } = options;
  const isHttp = server.transport === 'http' && !options.custom;
  const channel = await openProbeChannel(options);
  const none = { close: async () => undefined };
  let verdict: ProbeVerdict;
  try {
    verdict = await probe(channel.transport, {
      clientInfo: options.clientInfo,
      capabilities: (options.capabilities ?? {}) as Record<string, unknown>,
      // Over HTTP silence is a timeout like any other (the connect deadline); over stdio it is a
      // legacy server that ignores unknown requests, as the v2 SDK decides too.
      // Pinned, silence is no verdict either: the connect deadline bounds the wait.
      timeoutMs: isHttp || pinned || patient ? 2_147_483_647 : probeTimeoutMs(server),
      signal: options.signal,
      http: isHttp,
    });
  } catch (error) {
    await channel.close(none).catch(() => undefined);
    throw error;
  }
  switch (verdict.kind) {
    case 'modern':
      return openModern(options, events, channel, verdict.discover);
    case 'unsupported':
      await channel.close(none).catch(() => undefined);
      throw new EraError(`server "${server.name}" does not speak ${pinned ? MODERN_VERSION : `${MODERN_VERSION} or 2025-11-25`}: ${verdict.why}`, false);
    case 'legacy':
      if (pinned) {
        // Name what it does speak: its legacy handshake says (over stdio on the same process).
        const spoken = await legacyVersion(options, isHttp ? undefined : channel);
        if (isHttp) await channel.close(none).catch(() => undefined);
        const speaks = spoken ? `it speaks ${spoken} (the legacy handshake)` : 'it answered as a legacy (2025-11-25 or older) server does';
        throw new EraError(`server "${server.name}" does not speak ${MODERN_VERSION} (protocol is pinned): ${verdict.why}; ${speaks}. protocol: auto or 2025-11-25 reaches it`, false);
      }
      // HTTP: the probe's transport is the v2 SDK's, and there is no process to keep: the legacy
      // session gets a transport of its own era.
      if (isHttp) {
        await channel.close(none).catch(() => undefined);
        return v1Connector.open(options, events);
      }
      if (verdict.silent) return openAfterSilence(channel, options, events);
      return v1Connector.openOn(channel, options, events);
    case 'broken':
      await channel.close(none).catch(() => undefined);
      if (pinned) throw new EraError(`server "${server.name}" did not answer server/discover: ${verdict.why}`, true, 'ConnectFailed');
      // Its last stderr is still on its way through the pipe when the close is seen: one turn for it.
      await new Promise((resolve) => setImmediate(resolve));
      options.warn?.(`server "${server.name}" broke on server/discover (${verdict.why}${lastWords(options)}); starting it again in legacy mode, and remembering that`);
      try {
        return await v1Connector.open(options, events);
      } catch (error) {
        // The legacy start refused for 2026-07-28: the server is modern after all (its discover
        // broke once); connect again in the modern era, asking it (as openAfterSilence does).
        const refusal = v1Connector.connectFailure(error, undefined);
        if (!options.signal.aborted && refusal.code === 'UnsupportedProtocolVersion' && refusal.message.includes(MODERN_VERSION)) {
          throw new EraError(`server "${server.name}" broke on server/discover but refuses the legacy handshake for ${MODERN_VERSION}; connecting again in the modern era`, true, 'ConnectFailed', { era: 'modern' });
        }
        // Remembered even when the legacy start fails too (a command that cannot start at all):
        // the next attempt starts one process, not two.
        if (error !== null && typeof error === 'object') found.set(error, { era: 'legacy' });
        throw error;
      }
  }
}

/**
 * `initialize` on a stdio channel judged legacy by its silence. A server that was only slow to
 * start (`npx -y …` on a first run) answers the discover late and refuses `initialize` (−32022,
 * naming 2026-07-28): then the modern session goes on on the same process, once the late answer is
 * in (within the connect deadline). Without that answer the connect fails retryable, carrying
 * "modern" as the era to remember, so the next connect waits for the server's answer.
 */
async function openAfterSilence(channel: Channel, options: OpenOptions, events: SessionEvents): Promise<ProtocolSession> {
  const watched = catchLateDiscover(channel.transport);
  const none = { close: async () => undefined };
  const held: Channel = {
    ...channel,
    transport: watched.transport,
    // While held, the legacy Client's failure closes the Client only, not the process.
    close: async (client) => (watched.held() ? void (await client.close().catch(() => undefined)) : channel.close(client)),
  };
  try {
    const session = await v1Connector.openOn(held, options, events);
    watched.release();
    return session;
  } catch (error) {
    const refusal = v1Connector.connectFailure(error, undefined);
    const refusesForModern = refusal.code === 'UnsupportedProtocolVersion' && refusal.message.includes(MODERN_VERSION);
    const late = options.signal.aborted ? undefined : (watched.late() ?? (refusesForModern ? await watched.waitLate(options.signal) : undefined));
    const verdict = late ? classifyResult(late) : undefined;
    watched.release();
    if (verdict?.kind === 'modern' && !options.signal.aborted) {
      options.warn?.(`server "${options.server.name}" answered server/discover only after ${probeTimeoutMs(options.server)} ms (a slow start): it speaks ${MODERN_VERSION}, going on in the modern era on the same process`);
      return openModern(options, events, channel, verdict.discover);
    }
    await channel.close(none).catch(() => undefined);
    if (options.signal.aborted || !refusesForModern) throw error;
    throw new EraError(
      `server "${options.server.name}" did not answer server/discover within ${probeTimeoutMs(options.server)} ms (a slow start) but speaks ${MODERN_VERSION}; connecting again in the modern era`,
      true,
      'ConnectFailed',
      { era: 'modern' },
    );
  }
}

/** Eras found by connects that failed afterwards, by their error (`verdictOf`). */
const found = new WeakMap<object, EraVerdict>();

/** The era a failed connect found after all (a slow modern server, a broken probe), to remember for the next one. */
export function verdictOf(error: unknown): EraVerdict | undefined {
  if (error instanceof EraError) return error.verdict;
  return error !== null && typeof error === 'object' ? found.get(error) : undefined;
}

/**
 * What a stdio server wrote to stderr last, for a message about it ending: a child that could
 * not start ("Cannot find module …") is no protocol problem, and says so there. Masked by the ring.
 */
function lastWords(options: OpenOptions): string {
  if (options.server.transport !== 'stdio') return '';
  const lines = options.stderr.tail().split('\n').map((line) => line.trim()).filter(Boolean);
  // The line that says what went wrong, when one does (runtimes end with a banner, e.g. "Node.js v20").
  const telling = [...lines].reverse().find((line) => /error|cannot|not found|denied|refused|ENOENT|EACCES/i.test(line)) ?? lines.at(-1);
  return telling ? `; its stderr says: ${JSON.stringify(telling.slice(0, 300))}` : '';
}

/** The connector every server uses: it picks the era, then the implementation. */
export const eraConnector: ProtocolConnector = {
  async open(options: OpenOptions, events: SessionEvents): Promise<ProtocolSession> {
    const { server, prior } = options;
    const choice = choiceOf(server);
    if (server.transport === 'sse') {
      if (choice === MODERN_VERSION) throw new EraError(`server "${server.name}" uses the legacy SSE transport, which has no ${MODERN_VERSION}`, false);
      return v1Connector.open(options, events);
    }
    if (choice === '2025-11-25') return v1Connector.open(options, events);
    if (prior?.era === 'legacy' && choice === 'auto') return v1Connector.open(options, events);
    if (prior?.era === 'modern' && prior.discover !== undefined) {
      const channel = await openProbeChannel(options);
      return openModern(options, events, channel, prior.discover as Record<string, unknown>);
    }
    // A modern server known only from its refusal of initialize: ask it, and wait for its answer.
    return openNegotiated(options, events, choice === MODERN_VERSION, prior?.era === 'modern');
  },

  connectFailure(error: unknown, session: ProtocolSession | undefined, maxMessageBytes?: number): ErrorInfo {
    if (error instanceof EraError) return { code: error.code, message: error.message, retryable: error.retryable };
    if (session?.facts.era === 'modern' || isModernError(error)) return modernConnectFailure(error, session);
    return v1Connector.connectFailure(error, session, maxMessageBytes);
  },
};

/** The connector of a server (one for all: the era is chosen per connect). */
export function connectorFor(_server: RuntimeServer): ProtocolConnector {
  return eraConnector;
}
