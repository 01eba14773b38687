import { createJsonLogger } from '../logger.js';
import { createInspection, INSPECT_PROTOCOL, type Inspection } from '../server/inspector.js';
import { serve, type Service } from '../server/serve.js';
import { createSwitchboard, type Switchboard, type SwitchboardOptions } from '../switchboard.js';
import type { CommandInput } from './commands.js';
import { out } from './report.js';
import { logLevelFlag, portFlag } from './usage.js';

export const SERVE_HELP = `Usage: switchboard serve [--config F] [--port N] [--host H] [--inspect] [--log-level debug|info|warn|error]

Connects every configured server and serves the admin HTTP API (127.0.0.1:7300 by default).
Without a configured admin token, one is generated, saved to ~/.mcp-switchboard/admin-<port>.token
(mode 0600) and printed once. The API answers while servers connect (/readyz: "starting").
--host 0.0.0.0 or :: listens on every interface: requests must still name the host as localhost,
127.0.0.1, [::1] or one of admin.allowedHosts (DNS-rebinding guard).
--inspect serves the Stately inspection stream on a WebSocket at 127.0.0.1; viewers present the
admin token as "Authorization: Bearer <token>" or as the subprotocols "${INSPECT_PROTOCOL}" and
"bearer.<token>".
SIGTERM/SIGINT (also while servers are still connecting): stop accepting, finish in-flight calls,
exit 0. A second signal ends the process at once.`;

/**
 * Resolves on the first SIGTERM or SIGINT; installed before anything starts, and kept until the
 * stop is done: `signal-exit` (used by the library) re-raises a signal when no other listener is
 * left, which would kill the process in the middle of its clean stop. A second signal exits at
 * once (the way out of a stuck stop).
 */
function stopSignal(): { promise: Promise<string>; dispose(): void } {
  let resolve!: (signal: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  let received: string | undefined;
  const on = (signal: 'SIGTERM' | 'SIGINT') => () => {
    if (received) process.exit(signal === 'SIGINT' ? 130 : 143);
    received = signal;
    resolve(signal);
  };
  const onTerm = on('SIGTERM');
  const onInt = on('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  return {
    promise,
    dispose: () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    },
  };
}

/** `switchboard serve`: runs until a signal, then stops cleanly and returns 0. */
export async function runServe(input: CommandInput, configPath: string): Promise<number> {
  const port = portFlag(input.port);
  const minimum = logLevelFlag(input['log-level']);
  const signal = stopSignal();
  let board: Switchboard | undefined;
  let inspection: Inspection | undefined;
  let service: Service | undefined;
  try {
    const logger = createJsonLogger({ minimum, redact: (t) => (service ? service.redact(t) : board ? board.redact(t) : t) });
    inspection = input.inspect ? createInspection() : undefined;
    // The switchboard logs its own events (and the config's warnings) through the same logger.
    const options: SwitchboardOptions = { logger };
    if (inspection) options.inspect = inspection.inspect;
    // The config is read once, here; a bad one throws ConfigError (exit 2).
    board = createSwitchboard({ configPath }, options);
    service = await serve(board, { logger, logEvents: false, ...(port !== undefined ? { port } : {}), ...(input.host ? { host: input.host } : {}) });
    const running = service;
    const inspectorUrl = inspection ? await inspection.listen({ token: running.token, allowedOrigins: running.allowedHosts, redact: (t) => running.redact(t) }) : undefined;
    out(`switchboard serving ${running.url}`);
    if (running.tokenFile) out(`admin token: ${running.token}\n(saved to ${running.tokenFile}; shown only now)`);
    if (inspectorUrl) out(`inspector: ${inspectorUrl} (send the admin token: Authorization: Bearer, or subprotocols ${INSPECT_PROTOCOL} + bearer.<token>)`);
    const by = await signal.promise;
    logger.log('info', 'signal received', { signal: by });
    await running.close();
    await inspection?.close();
    return 0;
  } catch (error) {
    // Nothing may keep the process alive after a failed start (a taken port, a bad config).
    await (service ? service.close() : board?.stop());
    await inspection?.close();
    throw error;
  } finally {
    signal.dispose();
  }
}
