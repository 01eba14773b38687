import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError, SwitchboardError } from '../errors.js';
import type { HealthReport } from '../health.js';
import { createJsonLogger, type LogLevel } from '../logger.js';
import { startInspector } from '../server/inspector.js';
import { serve } from '../server/serve.js';
import { createSwitchboard, type Switchboard } from '../switchboard.js';
import type { ToolInfo } from '../../machines/types.js';
import { short, table } from './format.js';
import { RemoteClient } from './remote.js';

export interface CommandInput {
  config?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  json?: boolean | undefined;
  args?: string | undefined;
  server?: string | undefined;
  timeout?: string | undefined;
  port?: string | undefined;
  host?: string | undefined;
  inspect?: boolean | undefined;
  'log-level'?: string | undefined;
  positionals: string[];
}

interface Command {
  help: string;
  run(input: CommandInput): Promise<number>;
}

const configPath = (input: CommandInput) => input.config ?? process.env.SWITCHBOARD_CONFIG ?? 'config/switchboard.yaml';
const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** Runs `work` against a switchboard started from the config, then stops it. */
async function withLocal<T>(input: CommandInput, work: (sb: Switchboard) => Promise<T>): Promise<T> {
  const sb = createSwitchboard({ configPath: configPath(input) });
  try {
    await sb.start();
    return await work(sb);
  } finally {
    await sb.stop();
  }
}

function toInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError([{ path: flag, message: 'must be a non-negative integer' }]);
  return n;
}

function printTools(tools: ToolInfo[], json: boolean | undefined): void {
  if (json) {
    out(JSON.stringify(tools, null, 2));
    return;
  }
  out(table(['TOOL', 'SERVER', 'QUALIFIED NAME', 'DESCRIPTION'], tools.map((t) => [t.name, t.server, t.qualifiedName, short(t.description)])));
}

function printResult(result: CallToolResult, json: boolean | undefined): number {
  if (json) out(JSON.stringify(result, null, 2));
  else {
    for (const item of result.content ?? []) out(item.type === 'text' ? item.text : JSON.stringify(item));
    if (result.structuredContent) out(JSON.stringify(result.structuredContent, null, 2));
  }
  return result.isError ? 1 : 0;
}

function printHealth(reports: Record<string, HealthReport>, json: boolean | undefined): number {
  const healthy = Object.values(reports).every((r) => r.ok);
  if (json) out(JSON.stringify({ healthy, servers: reports }, null, 2));
  else {
    out(table(['SERVER', 'OK', 'LATENCY', 'ERROR'], Object.entries(reports).map(([name, r]) => [name, r.ok ? 'yes' : 'no', r.latencyMs !== undefined ? `${r.latencyMs} ms` : '', r.error?.message ?? ''])));
  }
  return healthy ? 0 : 1;
}

export const commands = {
  serve: {
    help: `Usage: switchboard serve [--config F] [--port N] [--host H] [--inspect] [--log-level debug|info|warn|error]

Connects every configured server and serves the admin HTTP API (127.0.0.1:7300 by default).
Without a configured admin token, one is generated, saved to ~/.mcp-switchboard/admin-<port>.token
(mode 0600) and printed once. SIGTERM/SIGINT: stop accepting, finish in-flight calls, exit 0.`,
    async run(input) {
      const port = toInteger(input.port, '--port');
      const inspector = input.inspect ? await startInspector() : undefined;
      let sb: Switchboard | undefined;
      let service: Awaited<ReturnType<typeof serve>>;
      try {
        // The config is read once, here; a bad one throws ConfigError (exit 2).
        sb = createSwitchboard({ configPath: configPath(input) }, inspector ? { inspect: inspector.inspect } : {});
        const board = sb;
        const logger = createJsonLogger({ minimum: (input['log-level'] as LogLevel | undefined) ?? 'info', redact: (t) => board.redact(t) });
        for (const warning of sb.warnings) logger.log('warn', warning);
        service = await serve(sb, { logger, ...(port !== undefined ? { port } : {}), ...(input.host ? { host: input.host } : {}) });
      } catch (error) {
        // Nothing may keep the process alive after a failed start (a taken port, a bad config).
        await sb?.stop();
        await inspector?.close();
        throw error;
      }
      out(`switchboard serving ${service.url}`);
      if (service.tokenFile) out(`admin token: ${service.token}\n(saved to ${service.tokenFile}; shown only now)`);
      if (inspector) out(`inspector: ${inspector.url} (open https://stately.ai/inspect?server=${inspector.url})`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await service.close();
      await inspector?.close();
      return 0;
    },
  },
  tools: {
    help: 'Usage: switchboard tools [--server S] [--config F | --url U] [--json]\n\nLists every tool with its server and qualified name.',
    async run(input) {
      if (input.url) {
        const path = input.server ? `/mcp/servers/${encodeURIComponent(input.server)}/tools` : '/mcp/tools';
        printTools((await new RemoteClient(input.url, input.token).ok<{ tools: ToolInfo[] }>('GET', path)).tools, input.json);
      } else {
        printTools(await withLocal(input, async (sb) => sb.listTools(input.server)), input.json);
      }
      return 0;
    },
  },
  call: {
    help: 'Usage: switchboard call <tool> [--args JSON] [--server S] [--timeout MS] [--config F | --url U] [--json]\n\nCalls a tool by bare, qualified (server__tool) or --server name. Exit 1 when the tool reports isError.',
    async run(input) {
      const tool = input.positionals[0];
      if (!tool) throw new ConfigError([{ path: 'tool', message: 'name the tool to call' }]);
      let args: Record<string, unknown> = {};
      if (input.args) {
        try {
          args = JSON.parse(input.args) as Record<string, unknown>;
        } catch {
          throw new ConfigError([{ path: '--args', message: 'must be a JSON object' }]);
        }
        if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new ConfigError([{ path: '--args', message: 'must be a JSON object' }]);
      }
      const timeoutMs = toInteger(input.timeout, '--timeout');
      if (input.url) {
        const body: Record<string, unknown> = { tool, arguments: args };
        if (input.server) body.server = input.server;
        if (timeoutMs !== undefined) body.timeoutMs = timeoutMs;
        return printResult(await new RemoteClient(input.url, input.token).ok<CallToolResult>('POST', '/mcp/call', body), input.json);
      }
      const result = await withLocal(input, (sb) =>
        sb.callTool(tool, args, { ...(input.server ? { server: input.server } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) }),
      );
      return printResult(result, input.json);
    },
  },
  health: {
    help: 'Usage: switchboard health [--server S] [--config F | --url U] [--json]\n\nPings every server; exit 1 when any is unhealthy.',
    async run(input) {
      if (input.url) {
        const body = await new RemoteClient(input.url, input.token).ok<{ servers: Record<string, HealthReport> }>('GET', '/mcp/health', undefined, [503]);
        if (input.server && !body.servers[input.server]) throw new SwitchboardError('ServerNotFound', `no server named "${input.server}"`);
        const servers = input.server ? { [input.server]: body.servers[input.server]! } : body.servers;
        return printHealth(servers, input.json);
      }
      return printHealth(await withLocal(input, (sb) => sb.health(input.server)), input.json);
    },
  },
  validate: {
    help: 'Usage: switchboard validate [--config F] [--json]\n\nChecks a config file and prints every problem with its key path (exit 2 when invalid).',
    async run(input) {
      const config = await loadConfigFile(configPath(input));
      const servers = Object.values(config.servers).map((s) => ({ name: s.name, transport: s.transport, enabled: s.enabled }));
      if (input.json) out(JSON.stringify({ valid: true, servers, warnings: config.warnings }, null, 2));
      else {
        out(`${configPath(input)}: valid, ${servers.length} server${servers.length === 1 ? '' : 's'}`);
        for (const warning of config.warnings) out(`warning: ${warning}`);
      }
      return 0;
    },
  },
} satisfies Record<string, Command>;

export type CommandName = keyof typeof commands;
