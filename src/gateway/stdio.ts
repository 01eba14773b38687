import type { Readable, Writable } from 'node:stream';
import type { Gateway } from './gateway.js';
import { StdioGatewayTransport } from './stdioTransport.js';

/**
 * The gateway over stdio (DESIGN §12): the host (Claude Desktop, Cursor, …) starts
 * `switchboard gateway` and speaks MCP on its stdin/stdout. The SDK's StdioServerTransport does
 * not notice that stdin ended, so this does: a host that quits closes our stdin, and every
 * upstream must stop then. stdout carries only the protocol; logs go elsewhere (stderr). Reads
 * and writes are bounded (`StdioGatewayTransport`): a too-large or bad line is an error to the
 * host, never the end of the session; a host that stops reading loses notifications, not memory.
 */

/** Why a stdio session ended. `stdout stalled`: the host stopped reading its responses. */
export type StdioEnd = 'stdin closed' | 'stdout closed' | 'stdout stalled' | 'transport closed';

/** A running stdio session. */
export interface StdioGateway {
  /** Resolves once the host is gone (stdin ended, stdout broke or stalled) or the session closed. */
  ended: Promise<StdioEnd>;
}

/** Where `serveStdio` speaks, and its bounds. */
export interface StdioOptions {
  /** Defaults to `process.stdin`. */
  stdin?: Readable;
  /** Defaults to `process.stdout`. */
  stdout?: Writable;
  /** Longest line the host may send. Defaults to the config's `gateway.maxMessageBytes` (10 MiB). */
  maxMessageBytes?: number;
  /** Bytes queued for a host that does not read before notifications are dropped. Defaults to `gateway.maxBufferedBytes` (1 MiB). */
  maxBufferedBytes?: number;
  /** The gateway profile the session sees (one the config has, else this throws). Defaults to every server. */
  profile?: string;
}

/**
 * Serves one gateway session on stdin/stdout. The caller reacts to `ended` (and to signals) by
 * `await gateway.close(); await sb.stop();` and exiting.
 */
export async function serveStdio(gateway: Gateway, io: StdioOptions = {}): Promise<StdioGateway> {
  // Before anything is attached to stdin: an unknown profile leaves nothing behind.
  if (io.profile !== undefined && !gateway.profiles.includes(io.profile)) throw new Error(`no gateway profile named "${io.profile}"`);
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const limits = gateway.limits;
  let settle: (reason: StdioEnd) => void = () => undefined;
  const ended = new Promise<StdioEnd>((resolve) => {
    settle = resolve;
  });
  const transport = new StdioGatewayTransport(stdin, stdout, {
    maxMessageBytes: io.maxMessageBytes ?? limits.maxMessageBytes,
    maxBufferedBytes: io.maxBufferedBytes ?? limits.maxBufferedBytes,
    logger: gateway.logger,
    onStalled: () => settle('stdout stalled'),
  });
  const onStdinEnd = () => settle('stdin closed');
  // EPIPE and friends: the host is gone; writing on would only throw again.
  const onStdoutError = () => settle('stdout closed');
  stdin.once('end', onStdinEnd);
  stdin.once('close', onStdinEnd);
  stdout.once('error', onStdoutError);
  // Set before the gateway connects: the SDK chains its own close handler after this one.
  transport.onclose = () => settle('transport closed');
  void ended.then(() => {
    stdin.off('end', onStdinEnd);
    stdin.off('close', onStdinEnd);
    stdout.off('error', onStdoutError);
  });
  await gateway.connect(transport, { profile: io.profile });
  return { ended };
}
