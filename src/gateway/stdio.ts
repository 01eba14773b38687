import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Gateway } from './gateway.js';

/**
 * The gateway over stdio (DESIGN §12): the host (Claude Desktop, Cursor, …) starts
 * `switchboard gateway` and speaks MCP on its stdin/stdout. The SDK's StdioServerTransport does
 * not notice that stdin ended, so this does: a host that quits closes our stdin, and every
 * upstream must stop then. stdout carries only the protocol; logs go elsewhere (stderr).
 */

/** Why a stdio session ended. */
export type StdioEnd = 'stdin closed' | 'stdout closed' | 'transport closed';

/** A running stdio session. */
export interface StdioGateway {
  /** Resolves once the host is gone (stdin ended, stdout broke) or the session closed. */
  ended: Promise<StdioEnd>;
}

/**
 * Serves one gateway session on stdin/stdout. The caller reacts to `ended` (and to signals) by
 * `await gateway.close(); await sb.stop();` and exiting. Defaults to `process.stdin`/`process.stdout`.
 */
export async function serveStdio(gateway: Gateway, io: { stdin?: Readable; stdout?: Writable } = {}): Promise<StdioGateway> {
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const transport = new StdioServerTransport(stdin, stdout);
  let settle: (reason: StdioEnd) => void = () => undefined;
  const ended = new Promise<StdioEnd>((resolve) => {
    settle = resolve;
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
  await gateway.connect(transport);
  return { ended };
}
