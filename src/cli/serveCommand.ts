import { createGateway, createGatewayRouter } from '../gateway/index.js';
import { createJsonLogger } from '../core/logger.js';
import { startClusterReload } from '../cluster/index.js';
import { createConfigReloader } from '../server/configReload.js';
import { createInspection, INSPECT_PROTOCOL, type Inspection } from '../server/inspector.js';
import { serve, type Service } from '../server/serve.js';
import { createSwitchboard, type Switchboard, type SwitchboardOptions } from '../switchboard/switchboard.js';
import type { CommandInput } from './local.js';
import { followGatewayConfig, reloadTriggers, stopSignal } from './lifecycle.js';
import { out } from './report.js';
import { logLevelFlag, portFlag } from './usage.js';

export const SERVE_HELP = `Usage: switchboard serve [--config F] [--port N] [--host H] [--watch] [--inspect] [--inspect-port N] [--log-level debug|info|warn|error]

Connects every configured server and serves the admin HTTP API (127.0.0.1:7300 by default), the
live view at / and the gateway as streamable HTTP MCP at /mcp (same token).
Without a configured admin token, one is generated, saved to ~/.mcp-switchboard/admin-<port>.token
(mode 0600) and printed once. The API answers while servers connect (/readyz: "starting").
--host 0.0.0.0 or :: listens on every interface: requests must still name the host as localhost,
127.0.0.1, [::1] or one of admin.allowedHosts (DNS-rebinding guard).
Reload: SIGHUP, POST /mcp/config/reload, or --watch (on every change of the file) reads the
config file again; added servers start, removed ones stop, changed ones restart, the others are
not touched. An invalid file is logged and changes nothing.
--inspect serves the Stately inspector bridge on 127.0.0.1 (a free port, or --inspect-port N,
which implies --inspect): open the printed http:// URL and enter the admin token. The page embeds
the hosted inspector at https://stately.ai/inspect, which needs the internet; the relay itself
(a WebSocket on the same port: the token as "Authorization: Bearer <token>" or as the subprotocols
"${INSPECT_PROTOCOL}" and "bearer.<token>") and everything else work offline.
SIGTERM/SIGINT (also while servers are still connecting): stop accepting, finish in-flight calls,
end MCP sessions, exit 0. A second signal ends the process at once.`;

/** `switchboard serve`: runs until a signal, then stops cleanly and returns 0. */
export async function runServe(input: CommandInput, configPath: string): Promise<number> {
  const port = portFlag(input.port);
  const inspectPort = portFlag(input['inspect-port'], '--inspect-port');
  const minimum = logLevelFlag(input['log-level']);
  const signal = stopSignal();
  let board: Switchboard | undefined;
  let inspection: Inspection | undefined;
  let service: Service | undefined;
  let disposeReload: (() => void) | undefined;
  try {
    const logger = createJsonLogger({ minimum, redact: (t) => (service ? service.redact(t) : board ? board.redact(t) : t) });
    inspection = input.inspect || inspectPort !== undefined ? createInspection() : undefined;
    // The gateway's router answers upstream sampling, elicitation and roots: the switchboard gets its handlers.
    const router = createGatewayRouter();
    // The switchboard logs its own events (and the config's warnings) through the same logger.
    const options: SwitchboardOptions = { logger, handlers: router.handlers };
    if (inspection) options.inspect = inspection.inspect;
    // The config is read once, here; a bad one throws ConfigError (exit 2).
    const sb = (board = createSwitchboard({ configPath }, options));
    const gateway = createGateway(sb, { router, logger, tools: sb.gatewayConfig.tools });
    const reloader = createConfigReloader(sb, { configPath, logger, redact: (t) => (service ? service.redact(t) : sb.redact(t)), onReloaded: followGatewayConfig(sb, gateway) });
    service = await serve(sb, {
      logger,
      logEvents: false,
      gateway,
      reload: () => reloader.reload('http'),
      ...(port !== undefined ? { port } : {}),
      ...(input.host ? { host: input.host } : {}),
    });
    const running = service;
    // With a cluster, a reload here reaches every replica (by the file's hash) and theirs reach this one.
    const clusterReload = sb.cluster ? startClusterReload(sb.cluster.context(), reloader) : undefined;
    const localTriggers = reloadTriggers(reloader, { configPath, watch: input.watch === true, logger });
    disposeReload = () => {
      localTriggers();
      clusterReload?.stop();
    };
    const inspector = inspection
      ? await inspection.listen({ token: running.token, allowedOrigins: running.allowedHosts, redact: (t) => running.redact(t), viewUrl: `${running.url}/`, ...(inspectPort !== undefined ? { port: inspectPort } : {}) })
      : undefined;
    out(`switchboard serving ${running.url}`);
    out(`  live view ${running.url}/ · MCP gateway ${running.url}/mcp (streamable HTTP, bearer token)`);
    if (running.tokenFile) out(`admin token: ${running.token}\n(saved to ${running.tokenFile}; shown only now)`);
    if (inspector) {
      out(`inspector: open ${inspector.url} and enter the admin token`);
      out(`  (it embeds the hosted Stately inspector, https://stately.ai/inspect, which needs the internet; the live view at ${running.url}/ works offline)`);
    }
    const by = await signal.promise;
    logger.log('info', 'signal received', { signal: by });
    disposeReload();
    await running.close();
    await inspection?.close();
    return 0;
  } catch (error) {
    disposeReload?.();
    // Nothing may keep the process alive after a failed start (a taken port, a bad config).
    await (service ? service.close() : board?.stop());
    await inspection?.close();
    throw error;
  } finally {
    signal.dispose();
  }
}
