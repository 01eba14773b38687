import type { ChildProcess } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RuntimeServer } from '../../../config/schema.js';
import type { Clock } from '../../../core/clock.js';
import type { StderrRing } from '../../stderrRing.js';
import type { Built } from './built.js';
import { findSetsid, resolveCommand, terminateGroup, trackGroup } from './processGroup.js';
import { FramingLostError, ScreeningReadBuffer } from './stdioFraming.js';
import { coalesceWrites } from './stdioWrites.js';

/**
 * The stdio transport of one connect attempt, on SDK 1.32.2's `StdioClientTransport` (DESIGN §4:
 * no transport of our own): the server runs in its own process group (`setsid`, processGroup.ts),
 * its stdout is read through our framing (size cap, broken lines: stdioFraming.ts), its writes are
 * coalesced (stdioWrites.ts) and its stderr drains into the server's ring. Closing ends the whole
 * group; so does a server whose stdout ends or whose stdin breaks while it keeps running.
 */

function screenStdout(transport: StdioClientTransport, buffer: ScreeningReadBuffer): void {
  const target = transport as unknown as { _readBuffer?: unknown };
  // A private field of SDK 1.32.2's StdioClientTransport (its ReadBuffer). Only where the SDK keeps
  // the field we replace; elsewhere its own `maxBufferSize` still caps.
  if ('_readBuffer' in target) target._readBuffer = buffer;
}

/**
 * Lets the session report its transport closed now (`fire`), and only once: the SDK reports it again
 * when the process exits, which for a server that ignores SIGTERM is a grace period later.
 */
function closeOnce(transport: Transport): () => void {
  let handler: Transport['onclose'];
  let fired = false;
  Object.defineProperty(transport, 'onclose', {
    configurable: true,
    get: () => (fired ? undefined : handler),
    set: (next: Transport['onclose']) => {
      handler = next;
    },
  });
  return () => {
    const current = fired ? undefined : handler;
    fired = true;
    current?.();
  };
}

/**
 * Keeps the highest numeric id of the requests sent on `transport` (the SDK numbers them upwards),
 * so the framing can tell an answer to a sent request from another message glued onto a line.
 */
function trackSentIds(transport: Transport): () => number | undefined {
  let highest: number | undefined;
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    const { id, method } = message as { id?: unknown; method?: unknown };
    if (typeof method === 'string' && typeof id === 'number' && (highest === undefined || id > highest)) highest = id;
    return send(message, options);
  };
  return () => highest;
}

/**
 * Calls `lost` once the server's pipes can carry no more messages: its stdout ended or closed (no
 * answer can arrive), or its stdin failed (EPIPE: no request can reach it). SDK 1.32.2 reports a
 * close only when the process exits and its pipes are closed, so a server that closes its stdout and
 * keeps running held every call until its deadline. Such a session ends at once, as on a crash.
 * The child is a private field of SDK 1.32.2's StdioClientTransport (`_process`).
 */
function watchPipes(transport: StdioClientTransport, lost: () => void): void {
  const child = (transport as unknown as { _process?: ChildProcess })._process;
  if (!child) return;
  let fired = false;
  const once = () => {
    if (fired) return;
    fired = true;
    lost();
  };
  child.stdout?.once('end', once);
  child.stdout?.once('close', once);
  // The SDK reports a stdin error to `onerror` only; a broken pipe never heals.
  child.stdin?.on('error', once);
}

export function buildStdioTransport(
  server: RuntimeServer & { transport: 'stdio' },
  stderr: StderrRing,
  clock: Clock | undefined,
  withTimeout: <T>(p: Promise<T>, ms: number) => Promise<T | undefined>,
): Built {
  const env = { ...getDefaultEnvironment(), ...(server.env ?? {}) };
  const command = resolveCommand(server.command, server.cwd, env.PATH);
  const setsid = findSetsid();
  const params: ConstructorParameters<typeof StdioClientTransport>[0] = {
    command: setsid ?? command,
    args: setsid ? [command, ...(server.args ?? [])] : (server.args ?? []),
    env,
    stderr: 'pipe',
    maxBufferSize: server.limits.maxMessageBytes,
  };
  if (server.cwd) params.cwd = server.cwd;
  const transport = new StdioClientTransport(params);
  let group: number | null = null;
  let fault: FramingLostError | undefined;
  let ending: Promise<void> | undefined;
  const endGroup = () => (ending ??= group ? terminateGroup(group, server.timeouts.shutdownMs, setsid !== null) : Promise.resolve());
  const fireClose = closeOnce(transport);
  // Framing lost: nothing more can be read from this process. End its group now and fail or
  // replay its requests at once (closing the Client waits for the process to go).
  coalesceWrites(transport);
  const highestSentId = trackSentIds(transport);
  const framing = new ScreeningReadBuffer(
    server.limits.maxMessageBytes,
    (error) => {
      fault = error;
      void endGroup();
      fireClose();
    },
    { highestSentId, ...(clock ? { clock } : {}) },
  );
  screenStdout(transport, framing);
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  // The group is taken at spawn: the SDK forgets its child on close and on exit (`pid` is null
  // then), and Client.connect closes the transport itself when initialize fails, before our own
  // close runs. A group kept only as `transport.pid` leaked on a crash, a failed initialize and
  // most aborted connects.
  let untrack: () => void = () => undefined;
  const originalStart = transport.start.bind(transport);
  transport.start = () => {
    // A new process: the last one's stderr may have stopped anywhere, even inside a secret.
    stderr.newSegment();
    const started = originalStart();
    // spawn() ran synchronously inside start(): the pid is known now, before 'spawn' fires.
    group = transport.pid;
    if (group) untrack = trackGroup(group, setsid !== null);
    watchPipes(transport, () => {
      void endGroup();
      fireClose();
    });
    return started;
  };
  let closing: Promise<void> | undefined;
  return {
    transport,
    retryAfterMs: () => undefined,
    fault: () => fault,
    trustClient: () => framing.trustClient(),
    close: (client: Pick<Client, 'close'>) =>
      (closing ??= (async () => {
        const closed = withTimeout(client.close(), server.timeouts.shutdownMs + 2_500);
        await endGroup();
        untrack();
        await closed;
      })()),
  };
}

