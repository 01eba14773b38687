import type { CallToolResult } from '../protocol/index.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import type { HealthReport } from '../servers/index.js';
import type { ToolInfo } from '../../machines/types.js';
import { configCommands, HEADER_NAME, pairs } from './configCommands.js';
import { configPath, notFound, same, withLocal, type Command, type Listing } from './local.js';
import { RemoteClient } from './remote.js';
import { out, outJson, printHealth, printResult, printTools, protocolsOf, unavailableOf, withLastErrors } from './report.js';
import { GATEWAY_HELP, runGateway } from './gatewayCommand.js';
import { LOGIN_HELP, runLogin } from './loginCommand.js';
import { runServe, SERVE_HELP } from './serveCommand.js';
import { surfaceCommands } from './surfaceCommands.js';
import { argsFlag, integerFlag, UsageError } from './usage.js';

export type { CommandInput } from './local.js';

/** Every command by name; `main` dispatches on it. */
export const commands = {
  serve: {
    help: SERVE_HELP,
    run: (input) => runServe(input, configPath(input)),
  },
  gateway: {
    help: GATEWAY_HELP,
    run: (input) => runGateway(input, configPath(input)),
  },
  login: {
    help: LOGIN_HELP,
    run: (input) => runLogin(input),
  },
  tools: {
    help: `Usage: switchboard tools [--search Q] [--server S] [--config F | --url U] [--json]

Lists every tool with its server and qualified name; with --search Q, the ten that best match Q
(name, title, description and parameter names, typos tolerated), best first. Servers that are not connected are named on
stderr with their last error and stderr lines (with --json: { tools, unavailable }). The exit
status stays 0 when listing worked, even if some servers are not connected.`,
    async run(input) {
      if (input.url) {
        const remote = new RemoteClient(input.url, input.token);
        const search = input.search !== undefined ? `/mcp/tools/search?${new URLSearchParams({ q: input.search, ...(input.server !== undefined ? { server: input.server } : {}) })}` : undefined;
        const path = search ?? (input.server ? `/mcp/servers/${encodeURIComponent(input.server)}/tools` : '/mcp/tools');
        const { tools } = await remote.ok<{ tools: ToolInfo[] }>('GET', path);
        const { servers } = await remote.ok<Listing>('GET', '/mcp/servers');
        printTools(tools, unavailableOf(servers, same, input.server), input.json);
        return 0;
      }
      await withLocal(input, async (sb) => {
        if (input.server !== undefined && !sb.getServer(input.server)) throw notFound(input.server);
        const tools = input.search !== undefined ? await sb.searchTools(input.search, { server: input.server }) : sb.listTools(input.server);
        printTools(tools, unavailableOf(sb.listServers(), (t) => sb.redact(t), input.server), input.json);
      });
      return 0;
    },
  },
  call: {
    help: 'Usage: switchboard call <tool> [--args JSON] [--server S] [--timeout MS] [--header K=V]... [--config F | --url U] [--json]\n\nCalls a tool by bare, qualified (server__tool) or --server name and prints its text content\n(structuredContent when it has no text; everything with --json). Exit 1 when the tool reports isError.\n--header adds a header to that call\'s HTTP request (http and sse servers; a secret: never printed).',
    async run(input) {
      const tool = input.positionals[0];
      if (!tool) throw new UsageError('name the tool to call: switchboard call <tool>');
      const args = argsFlag(input.args);
      const timeoutMs = integerFlag(input.timeout, '--timeout');
      const headers = pairs(input.header, '--header', HEADER_NAME);
      if (input.url) {
        const body: Record<string, unknown> = { tool, arguments: args };
        if (input.server) body.server = input.server;
        if (timeoutMs !== undefined) body.timeoutMs = timeoutMs;
        if (headers) body.headers = headers;
        return printResult(await new RemoteClient(input.url, input.token).ok<CallToolResult>('POST', '/mcp/call', body), input.json);
      }
      const result = await withLocal(input, (sb) =>
        sb.callTool(tool, args, { ...(input.server ? { server: input.server } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(headers ? { headers } : {}) }),
      );
      return printResult(result, input.json);
    },
  },
  health: {
    help: "Usage: switchboard health [--server S] [--config F | --url U] [--json]\n\nPings every server; a connected server shows its protocol (version and era), one that is not\nconnected its state and last error. Exit 1 when any is unhealthy.",
    async run(input) {
      if (input.url) {
        const remote = new RemoteClient(input.url, input.token);
        const body = await remote.ok<{ servers: Record<string, HealthReport> }>('GET', '/mcp/health', undefined, [503]);
        if (input.server !== undefined && !Object.hasOwn(body.servers, input.server)) throw notFound(input.server);
        const servers = input.server !== undefined ? { [input.server]: body.servers[input.server]! } : body.servers;
        const { servers: listing } = await remote.ok<Listing>('GET', '/mcp/servers');
        return printHealth(withLastErrors(servers, unavailableOf(listing, same), protocolsOf(listing)), input.json);
      }
      return printHealth(
        await withLocal(input, async (sb) => {
          const reports = await sb.health(input.server);
          // Read after the probes: a server that reconnected meanwhile shows its new session.
          const listing = sb.listServers();
          return withLastErrors(reports, unavailableOf(listing, (t) => sb.redact(t)), protocolsOf(listing));
        }),
        input.json,
      );
    },
  },
  validate: {
    help: 'Usage: switchboard validate [--config F] [--json]\n\nChecks a config file and prints every problem with its key path (exit 2 when invalid).\nWith --json: { valid, servers, warnings } or { valid: false, issues } on stdout.',
    async run(input) {
      let config;
      try {
        config = await loadConfigFile(configPath(input));
      } catch (error) {
        if (!(error instanceof ConfigError) || !input.json) throw error;
        outJson({ valid: false, issues: error.issues });
        return 2;
      }
      const servers = Object.values(config.servers).map((s) => ({ name: s.name, transport: s.transport, enabled: s.enabled, protocol: s.protocol }));
      if (input.json) outJson({ valid: true, servers, warnings: config.warnings });
      else {
        out(`${configPath(input)}: valid, ${servers.length} server${servers.length === 1 ? '' : 's'}`);
        for (const warning of config.warnings) out(`warning: ${warning}`);
      }
      return 0;
    },
  },
  ...surfaceCommands,
  ...configCommands,
} satisfies Record<string, Command>;

export type CommandName = keyof typeof commands;
