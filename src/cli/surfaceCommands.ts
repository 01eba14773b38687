import type { GetPromptResult, ReadResourceResult } from '../protocol/index.js';
import type { PromptInfo, ResourceInfo, ResourceTemplateInfo } from '../../machines/types.js';
import type { RequestOptions } from '../switchboard/surface.js';
import { notFound, same, withLocal, type Command, type CommandInput, type Listing } from './local.js';
import { RemoteClient } from './remote.js';
import { unavailableOf } from './report.js';
import { printPrompt, printPrompts, printRead, printResources } from './surfaceReport.js';
import { argsFlag, integerFlag, UsageError } from './usage.js';

/**
 * The commands of the client surface beyond tools (DESIGN §10): `resources`, `read`, `prompts`
 * and `prompt`. Each one works standalone (start the configured servers, do it, stop them) and
 * against a running `serve` with `--url` (through the admin API's routes), with the same output,
 * the same `--json` document and the same exit statuses.
 */

const COMMON = '[--server S] [--config F | --url U] [--json]';

/** `?server=S` for a listing route, or nothing. */
const serverQuery = (input: CommandInput) => (input.server !== undefined ? `?${new URLSearchParams({ server: input.server })}` : '');

/** `--server` and `--timeout` as the library's request options (standalone) and body keys (`--url`). */
function routing(input: CommandInput): { server?: string; timeoutMs?: number } {
  const timeoutMs = integerFlag(input.timeout, '--timeout');
  const options: { server?: string; timeoutMs?: number } = {};
  if (input.server !== undefined) options.server = input.server;
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  return options;
}

/** `--args` for a prompt: a JSON object of strings (MCP prompt arguments are strings). */
function promptArgs(value: string | undefined): Record<string, string> {
  const args = argsFlag(value);
  for (const [key, v] of Object.entries(args)) {
    if (typeof v !== 'string') throw new UsageError(`--args values of a prompt must be strings; "${key}" is ${JSON.stringify(v)}`);
  }
  return args as Record<string, string>;
}

export const surfaceCommands = {
  resources: {
    help: `Usage: switchboard resources ${COMMON}

Lists every resource (URI, SERVER, NAME, MIME), then the resource templates under their own
heading (URI TEMPLATE, SERVER, NAME, MIME); read either with 'switchboard read <uri>'. Servers
that are not connected are named on stderr with their last error (with --json:
{ resources, resourceTemplates, unavailable }). Exit 0 when listing worked.`,
    async run(input) {
      if (input.url) {
        const remote = new RemoteClient(input.url, input.token);
        const { resources } = await remote.ok<{ resources: ResourceInfo[] }>('GET', `/mcp/resources${serverQuery(input)}`);
        const { resourceTemplates } = await remote.ok<{ resourceTemplates: ResourceTemplateInfo[] }>('GET', `/mcp/resource-templates${serverQuery(input)}`);
        const { servers } = await remote.ok<Listing>('GET', '/mcp/servers');
        printResources(resources, resourceTemplates, unavailableOf(servers, same, input.server), input.json);
        return 0;
      }
      await withLocal(input, async (sb) => {
        if (input.server !== undefined && !sb.getServer(input.server)) throw notFound(input.server);
        printResources(sb.listResources(input.server), sb.listResourceTemplates(input.server), unavailableOf(sb.listServers(), (t) => sb.redact(t), input.server), input.json);
      });
      return 0;
    },
  },
  read: {
    help: `Usage: switchboard read <uri> [--timeout MS] ${COMMON}

Reads a resource, routed to the server that lists the uri or has a matching template (--server
to choose). Prints each text content as is and each blob as "<N bytes of MIME>"; with --json the
whole ReadResourceResult.`,
    async run(input) {
      const uri = input.positionals[0];
      if (!uri) throw new UsageError('name the resource to read: switchboard read <uri>');
      const options = routing(input);
      if (input.url) {
        const result = await new RemoteClient(input.url, input.token).ok<ReadResourceResult>('POST', '/mcp/resources/read', { uri, ...options });
        return printRead(result, input.json);
      }
      return printRead(await withLocal(input, (sb) => sb.readResource(uri, options satisfies RequestOptions)), input.json);
    },
  },
  prompts: {
    help: `Usage: switchboard prompts ${COMMON}

Lists every prompt (PROMPT, SERVER, QUALIFIED NAME, ARGUMENTS, DESCRIPTION); optional arguments
end with "?". Servers that are not connected are named on stderr with their last error (with
--json: { prompts, unavailable }, each prompt with "available"). Exit 0 when listing worked.`,
    async run(input) {
      if (input.url) {
        const remote = new RemoteClient(input.url, input.token);
        const { prompts } = await remote.ok<{ prompts: PromptInfo[] }>('GET', `/mcp/prompts${serverQuery(input)}`);
        const { servers } = await remote.ok<Listing>('GET', '/mcp/servers');
        printPrompts(prompts, unavailableOf(servers, same, input.server), input.json);
        return 0;
      }
      await withLocal(input, async (sb) => {
        if (input.server !== undefined && !sb.getServer(input.server)) throw notFound(input.server);
        printPrompts(sb.listPrompts(input.server), unavailableOf(sb.listServers(), (t) => sb.redact(t), input.server), input.json);
      });
      return 0;
    },
  },
  prompt: {
    help: `Usage: switchboard prompt <name> [--args JSON] [--timeout MS] ${COMMON}

Gets a prompt by bare, qualified (server__prompt) or --server name; --args is a JSON object of
strings, e.g. --args '{"who":"Ada"}'. Prints each message as "role: text"; with --json the whole
GetPromptResult.`,
    async run(input) {
      const name = input.positionals[0];
      if (!name) throw new UsageError('name the prompt to get: switchboard prompt <name>');
      const args = promptArgs(input.args);
      const options = routing(input);
      if (input.url) {
        const result = await new RemoteClient(input.url, input.token).ok<GetPromptResult>('POST', '/mcp/prompts/get', { name, arguments: args, ...options });
        return printPrompt(result, input.json);
      }
      return printPrompt(await withLocal(input, (sb) => sb.getPrompt(name, args, options)), input.json);
    },
  },
} satisfies Record<string, Command>;
