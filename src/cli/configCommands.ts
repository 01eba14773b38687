import { parseConfigText } from '../config/parse.js';
import { ConfigError, isSwitchboardError, SwitchboardError, type ConfigIssue } from '../core/errors.js';
import type { ReloadResult } from '../servers/index.js';
import { addServerEntry, checkConfigText, readIfPresent, removeServerEntry, type ServersKey } from './configEdit.js';
import { gatewayLaunch, HOST_NAMES, HOSTS, writeHostEntry, type HostName } from './hostConfig.js';
import { configPath, type Command, type CommandInput } from './local.js';
import { RemoteClient, remoteError, type RemoteErrorBody } from './remote.js';
import { note, out, outJson } from './report.js';
import { UsageError } from './usage.js';

/**
 * Config from the command line (DESIGN §18): `add` and `remove` edit our config file (configEdit.ts),
 * `reload` asks a running `serve` to read it again, `client connect` writes a host's gateway entry
 * (hostConfig.ts). Values given for env and headers are written as given and never printed.
 */

/** `K=V` flags (`--env`, `--header`) as a record; `what` names the flag in errors, never the value. */
export function pairs(values: string[] | undefined, flag: string, keyPattern: RegExp): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const record: Record<string, string> = {};
  for (const value of values) {
    const split = value.indexOf('=');
    const key = split === -1 ? '' : value.slice(0, split);
    if (!keyPattern.test(key)) throw new UsageError(`${flag} takes NAME=VALUE${key ? `; "${key}" is not a valid name` : ''}`);
    record[key] = value.slice(split + 1);
  }
  return record;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A server's entry in our format and in an `mcpServers` file, from `add`'s flags. */
function entryFromFlags(input: CommandInput): { transport: 'stdio' | 'http' | 'sse'; shown: string; entryFor: (key: ServersKey) => Record<string, unknown> } {
  const commandLine = input.commandLine ?? [];
  if (input.url !== undefined && commandLine.length > 0) throw new UsageError('give either --url U or -- <command> [args...], not both');
  if (input.url !== undefined) {
    if (input.env?.length) throw new UsageError('--env is for a stdio server (-- <command>); an http server takes --header');
    const transport = input.transport ?? 'http';
    if (transport !== 'http' && transport !== 'sse') throw new UsageError(`--transport must be http or sse with --url, got "${transport}"`);
    const headers = pairs(input.header, '--header', HEADER_NAME);
    let shown: string;
    try {
      shown = new URL(input.url).origin;
    } catch {
      shown = 'an invalid URL';
    }
    return {
      transport,
      shown,
      entryFor: (key) => ({
        ...(key === 'servers' ? { transport } : input.transport !== undefined || transport === 'sse' ? { type: transport } : {}),
        url: input.url,
        ...(headers ? { headers } : {}),
      }),
    };
  }
  const [command, ...args] = commandLine;
  if (!command) {
    throw new UsageError("give the server's command after --, e.g. switchboard add files -- npx -y @modelcontextprotocol/server-filesystem ~/notes; or --url U");
  }
  if (input.transport !== undefined && input.transport !== 'stdio') {
    throw new UsageError(`--transport ${input.transport} needs --url; a command is a stdio server`);
  }
  if (input.header?.length) throw new UsageError('--header is for an http server (--url); a stdio server takes --env');
  const env = pairs(input.env, '--env', ENV_NAME);
  return {
    transport: 'stdio',
    shown: command,
    entryFor: (key) => ({
      ...(key === 'servers' ? { transport: 'stdio' } : {}),
      command,
      ...(args.length > 0 ? { args } : {}),
      ...(env ? { env } : {}),
    }),
  };
}

/** A note for each `${VAR}` the config uses that this shell lacks (its name and key path, never a value). */
function noteUnset(unset: ConfigIssue[], who: string): void {
  for (const issue of unset) {
    const what = issue.message.replace(/ \(give a default.*$/, '');
    note(`note: ${issue.path}: ${what} here; ${who} must have it (or give a default with \${NAME:-value})`);
  }
}

const ADD_HELP = `Usage: switchboard add <name> [--env K=V]... [--force] [--config F] [--json] -- <command> [args...]
       switchboard add <name> --url U [--header K=V]... [--transport http|sse] [--force] [--config F] [--json]

Adds a server to the config file (created, mode 0600, when missing): a stdio server from the
command after --, or an http (default) or sse server from --url. The file may be YAML or JSON, in
our format or an mcpServers file; its comments, order and layout stay as they are. The result is
validated before anything is written (a problem is named by its key path and nothing changes),
and written atomically (a temp file renamed over it). A name that exists is refused unless
--force (then replaced where it stands). --env and --header values are written as given (use
\${VAR} to keep a secret out of the file) and never printed. A running 'switchboard serve' picks
the server up on 'switchboard reload' (or SIGHUP, or --watch).`;

const REMOVE_HELP = `Usage: switchboard remove <name> [--config F] [--json]

Removes a server from the config file, keeping its comments, order and layout; validated first
and written atomically. An unknown name is an error naming it (exit 1). Apply it to a running
'switchboard serve' with 'switchboard reload'.`;

const RELOAD_HELP = `Usage: switchboard reload [--url U] [--token T] [--config F] [--json]

Asks a running 'switchboard serve' to read its config file again (POST /mcp/config/reload) and
prints what changed: added servers start, removed ones stop, changed ones restart, the others are
not touched. Without --url, the service at the config's admin host and port (default
http://127.0.0.1:7300). The token: --token, the config's admin.token (without --url),
$SWITCHBOARD_ADMIN_TOKEN, or the file serve wrote for that port
(~/.mcp-switchboard/admin-<port>.token). A config the service refuses is printed with
every problem (exit 2); the running config is then unchanged.`;

const CLIENT_HELP = `Usage: switchboard client connect <${HOST_NAMES.join('|')}> [--config F] [--profile P] [--host-config PATH] [--name N] [--json]

Writes one entry into the host's MCP config that starts this installation's gateway: this Node
(${process.execPath}) running this package's dist/src/cli/main.js with gateway --config <absolute
path> (--profile P when given) and --cwd <this folder> (relative paths in the config resolve
there). Files: claude ${HOSTS.claude.path()}
(Claude Desktop; %APPDATA%\\Claude\\ on Windows, ~/Library/Application Support/Claude/ on macOS),
cursor ~/.cursor/mcp.json, vscode .vscode/mcp.json in this folder (key "servers", type "stdio").
--host-config names another file. The entry is called "switchboard" (--name N for another);
running it again updates that entry. Other entries, keys and comments stay; the file is written
atomically. Restart the host (or reload its MCP servers) afterwards.`;

/**
 * Where the config's `serve` listens: its admin host and port (127.0.0.1:7300 by default), and
 * its admin token when the config sets one (else the token file serve wrote is read).
 */
async function serviceOf(path: string): Promise<{ url: string; token?: string }> {
  const text = await readIfPresent(path).catch(() => undefined);
  let host = '127.0.0.1';
  let port = 7300;
  let token: string | undefined;
  if (text !== undefined) {
    try {
      const { config, unset } = checkConfigText(text, path);
      if (config?.admin.host) host = config.admin.host;
      if (config?.admin.port !== undefined) port = config.admin.port;
      // A stand-in is no token.
      if (config?.admin.token && !unset.some((i) => i.path === 'admin.token')) token = config.admin.token;
    } catch {
      // The service reports what is wrong with its file; ask it at the default address.
    }
  }
  if (port === 0) throw new UsageError(`${path} lets serve pick a free port (admin.port: 0): give --url`);
  // A wildcard bind is reached on loopback; an IPv6 address needs brackets.
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { url: `http://${reach}:${port}`, ...(token ? { token } : {}) };
}

/** A `--profile` the config does not define is a ConfigError naming `gateway.profiles.<name>`. */
function checkProfile(text: string, path: string, profile: string): void {
  const profiles = (parseConfigText(text, path) as { gateway?: { profiles?: Record<string, unknown> } }).gateway?.profiles ?? {};
  if (Object.hasOwn(profiles, profile)) return;
  const known = Object.keys(profiles).join(', ') || 'none';
  throw new ConfigError([{ path: `gateway.profiles.${profile}`, message: `no such profile (${known} configured)` }], path);
}

/** The problems of a refused config, one line each, as ConfigError's message lists them. */
function issueLines(issues: ConfigIssue[]): string {
  return `${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`;
}

/** Human lines for a reload result. */
function printReload(result: ReloadResult): void {
  const list = (names: string[]) => (names.length > 0 ? names.join(', ') : 'none');
  out(`reloaded: added ${list(result.added)}; removed ${list(result.removed)}; changed ${list(result.changed)}; ${result.unchanged.length} unchanged`);
}

export const configCommands = {
  add: {
    help: ADD_HELP,
    async run(input) {
      const [name, ...extra] = input.positionals;
      if (!name) throw new UsageError('name the server: switchboard add <name> -- <command> [args...]');
      // Not echoed: words meant for the server's command line may hold a token.
      if (extra.length > 0) throw new UsageError(`put the server's command after --: switchboard add ${name} -- <command> [args...]`);
      const { transport, shown, entryFor } = entryFromFlags(input);
      const path = configPath(input);
      const outcome = await addServerEntry(path, name, entryFor, { force: input.force === true });
      const { created, replaced, unsetVariables } = outcome;
      if (input.json) outJson({ server: name, transport, file: path, created, replaced, unsetVariables: unsetVariables.map((i) => i.path) });
      else {
        out(`${replaced ? 'replaced' : 'added'} server "${name}" (${transport}, ${shown}) in ${path}${created ? ' (new file)' : ''}`);
        // Only this server's: the file's other references were noted when they were written.
        const own = unsetVariables.filter((i) => i.path.startsWith(`${outcome.key}.${name}.`));
        noteUnset(own, 'the process that runs this config');
        out("apply it to a running 'switchboard serve' with 'switchboard reload'");
      }
      return 0;
    },
  },
  remove: {
    help: REMOVE_HELP,
    async run(input) {
      const [name, ...extra] = input.positionals;
      if (!name) throw new UsageError('name the server to remove: switchboard remove <name>');
      if (extra.length > 0) throw new UsageError(`remove takes one name; unexpected "${extra[0]}"`);
      const path = configPath(input);
      await removeServerEntry(path, name);
      if (input.json) outJson({ removed: name, file: path });
      else out(`removed server "${name}" from ${path}`);
      return 0;
    },
  },
  reload: {
    help: RELOAD_HELP,
    async run(input) {
      if (input.positionals.length > 0) throw new UsageError(`reload takes no arguments; unexpected "${input.positionals[0]}"`);
      const { url, token } = input.url !== undefined ? { url: input.url, token: undefined } : await serviceOf(configPath(input));
      type Answer = ReloadResult & { error?: RemoteErrorBody };
      let response;
      try {
        response = await new RemoteClient(url, input.token ?? token).request<Answer>('POST', '/mcp/config/reload');
      } catch (error) {
        const why = (error as Error).message;
        throw new SwitchboardError('ServerUnavailable', `no switchboard serve answers at ${url} (${why}); start one with 'switchboard serve', or give --url`);
      }
      const { status, body, retryAfter } = response;
      if (status >= 400) {
        const error = remoteError(status, body?.error, retryAfter);
        if (isSwitchboardError(error, 'ConfigError')) {
          // The service names its file and every problem; without its message, the problems alone.
          const said = typeof body.error?.message === 'string' ? error.message : issueLines(error.issues);
          error.message = `the switchboard serve at ${url} refused its config file; the running config is unchanged.\n${said}`;
        }
        throw error;
      }
      if (input.json) outJson(body);
      else printReload(body);
      return 0;
    },
  },
  client: {
    help: CLIENT_HELP,
    async run(input) {
      const [verb, hostName, ...extra] = input.positionals;
      const synopsis = `switchboard client connect <${HOST_NAMES.join('|')}>`;
      if (verb !== 'connect') throw new UsageError(verb ? `unknown client command "${verb}"; use: ${synopsis}` : synopsis);
      if (!hostName || !(HOST_NAMES as readonly string[]).includes(hostName)) {
        throw new UsageError(`name the host: one of ${HOST_NAMES.join(', ')}${hostName ? `, got "${hostName}"` : ''}`);
      }
      if (extra.length > 0) throw new UsageError(`unexpected "${extra[0]}"`);
      const host = HOSTS[hostName as HostName];
      const path = configPath(input);
      // The gateway must start with this config: check it now rather than in the host's log.
      const text = await readIfPresent(path);
      if (text === undefined) {
        throw new SwitchboardError('InvalidRequest', `${path} does not exist: create it first (switchboard add <name> -- <command>), or give --config`);
      }
      const { unset } = checkConfigText(text, path);
      if (input.profile !== undefined) checkProfile(text, path, input.profile);
      const name = input.name ?? 'switchboard';
      if (name.trim() === '') throw new UsageError('--name must not be empty');
      const hostPath = input['host-config'] ?? host.path();
      const launch = gatewayLaunch({ configPath: path, profile: input.profile });
      const { updated } = await writeHostEntry(host, hostPath, name, launch);
      if (input.json) outJson({ host: hostName, file: hostPath, entry: name, updated, ...launch });
      else {
        out(`${updated ? 'updated' : 'added'} the "${name}" entry in ${hostPath} (${host.label}):`);
        const quoted = [launch.command, ...launch.args].map((a) => (/[\s"'\\]/.test(a) ? JSON.stringify(a) : a));
        out(`  ${quoted.join(' ')}`);
        noteUnset(unset, `${host.label} starts the gateway with its own environment, which`);
        out(`restart ${host.label} (or reload its MCP servers) to start it`);
      }
      return 0;
    },
  },
} satisfies Record<string, Command>;
