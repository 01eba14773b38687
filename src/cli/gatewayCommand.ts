import { createGateway, createGatewayRouter, serveStdio } from '../gateway/index.js';
import { createJsonLogger } from '../core/logger.js';
import { startClusterReload } from '../cluster/index.js';
import { createConfigReloader } from '../server/configReload.js';
import { createSwitchboard, type Switchboard } from '../switchboard/switchboard.js';
import type { CommandInput } from './local.js';
import { followGatewayConfig, reloadTriggers, stopSignal } from './lifecycle.js';
import { logLevelFlag, UsageError } from './usage.js';

export const GATEWAY_HELP = `Usage: switchboard gateway [--config F] [--profile NAME] [--watch] [--log-level debug|info|warn|error]

Serves every configured server as one MCP server over stdio, for hosts that start MCP servers
as commands (Claude Desktop, Cursor, VS Code, agent frameworks): tools under their qualified
names (server__tool), prompts, resources, templates and completion, each server supervised
(reconnects, circuit breaker, deadlines). gateway.tools.allow/deny in the config filters the
tools (globs on qualified names, deny wins). --profile NAME serves only that entry of
gateway.profiles: its servers, its tools (exit 2 when the config has no such profile).
The host's initialize is answered at once; its first tools/list (and prompts, resources) waits up
to gateway.initialWaitMs (15 s) for servers still starting, so a host that lists once sees them;
later ones come with list_changed. stdout carries only the protocol; every log line goes
to stderr as JSON. A line over gateway.maxMessageBytes (10 MiB) or one that is not JSON-RPC is
answered with a JSON-RPC error and the session goes on (stdin is read only as fast as the host
reads stdout); a host that stops reading stdout loses notifications past gateway.maxBufferedBytes
(1 MiB), never responses, and one that reads none of its responses for 10 s while more than that
waits loses its session. SIGHUP (and, with --watch, every change of the file) reloads the config; an
invalid file is logged and changes nothing. Closing stdin, SIGTERM or SIGINT stops every
upstream server and exits 0.`;

/** `switchboard gateway`: MCP over stdin/stdout until the host goes away or a signal arrives. */
export async function runGateway(input: CommandInput, configPath: string): Promise<number> {
  const minimum = logLevelFlag(input['log-level']);
  const profile = input.profile;
  const signal = stopSignal();
  let board: Switchboard | undefined;
  let disposeReload: (() => void) | undefined;
  // stderr only: stdout is the protocol, one stray byte there breaks the host's session.
  const logger = createJsonLogger({ minimum, redact: (t) => (board ? board.redact(t) : t) });
  try {
    const router = createGatewayRouter();
    // A bad config throws ConfigError here (exit 2, the message on stderr).
    const sb = (board = createSwitchboard({ configPath }, { logger, handlers: router.handlers }));
    if (profile !== undefined && !Object.hasOwn(sb.gatewayConfig.profiles, profile)) {
      const known = Object.keys(sb.gatewayConfig.profiles).map((p) => `"${p}"`).join(', ') || 'none';
      throw new UsageError(`--profile: ${configPath} has no gateway profile named "${profile}" (gateway.profiles has ${known})`);
    }
    const gateway = createGateway(sb, { router, logger, tools: sb.gatewayConfig.tools });
    const reloader = createConfigReloader(sb, { configPath, logger, onReloaded: followGatewayConfig(sb, gateway) });
    // With a cluster, a reload here reaches every replica (by the file's hash) and theirs reach this one.
    const clusterReload = sb.cluster ? startClusterReload(sb.cluster.context(), reloader) : undefined;
    const localTriggers = reloadTriggers(reloader, { configPath, watch: input.watch === true, logger });
    disposeReload = () => {
      localTriggers();
      clusterReload?.stop();
    };
    // The host's initialize is answered at once (a cold `npx -y` server may take a minute, longer
    // than a host waits for initialize); its first list waits for servers still starting, up to
    // gateway.initialWaitMs, so a host that lists tools once still sees them (gateway/firstList.ts).
    let stopping = false;
    void sb.start().then(
      () => stopping || logger.log('info', 'gateway: servers started', { servers: sb.listServers().map((s) => ({ name: s.name, state: s.state })) }),
      () => undefined,
    );
    const { maxMessageBytes, maxBufferedBytes } = sb.gatewayConfig;
    const { ended } = await serveStdio(gateway, { maxMessageBytes, maxBufferedBytes, ...(profile === undefined ? {} : { profile }) });
    logger.log('info', 'gateway: serving MCP on stdio', profile === undefined ? {} : { profile });
    // A signal stops at once, also while servers are still starting.
    const reason: string = await Promise.race([ended, signal.promise]);
    stopping = true;
    logger.log('info', `gateway: stopping (${reason})`);
    disposeReload();
    await gateway.close();
    // gateway.close() ended the stdio session, which stops reading stdin: nothing holds the process now.
    await sb.stop();
    logger.log('info', 'gateway: stopped');
    // The host is gone or asked us to stop: log lines still queued for a stderr it never reads
    // would keep this process alive for ever. They get a moment, then the process ends.
    setTimeout(() => process.exit(0), 2_000).unref();
    return 0;
  } catch (error) {
    disposeReload?.();
    await board?.stop();
    throw error;
  } finally {
    signal.dispose();
  }
}
