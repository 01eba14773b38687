#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, isSwitchboardError, ruleOf } from '../core/errors.js';
import { packageVersion } from '../core/version.js';
import { commands, type CommandName } from './commands.js';
import { errorJson } from './report.js';
import { jsonText, terminalText } from './terminal.js';
import { UsageError } from './usage.js';

/**
 * `switchboard <command>`: serve, gateway, login, tools, call, resources, read, prompts, prompt,
 * health, validate, add, remove, reload, client. Exit codes: 0 ok, 1 a failed call or unhealthy
 * server, 2 bad config or usage, 130 cancelled (DESIGN §5, §8).
 */

const USAGE = `Usage: switchboard <command> [options]

Commands:
  serve      run the switchboard with its admin HTTP API, live view and MCP gateway at /mcp
  gateway    every configured server as one MCP server over stdio (for Claude Desktop, Cursor, …)
  login      authorize an OAuth server from a terminal and store its tokens
  tools      list every tool and where it routes
  call       call a tool:  switchboard call <tool> [--args JSON] [--server S]
  resources  list every resource and resource template
  read       read a resource:  switchboard read <uri> [--server S]
  prompts    list every prompt and where it routes
  prompt     get a prompt:  switchboard prompt <name> [--args JSON] [--server S]
  health     ping every server
  validate   check a config file and list every problem
  add        add a server to the config:  switchboard add <name> -- <command> [args...]  (or --url U)
  remove     remove a server from the config:  switchboard remove <name>
  reload     make a running 'switchboard serve' read its config again
  client     write the gateway into a host's config:  switchboard client connect <claude|cursor|vscode>

Common options:
  --config F   config file (default: $SWITCHBOARD_CONFIG or config/switchboard.yaml)
  --url U      talk to a running 'switchboard serve' instead of starting servers here
  --token T    admin token for --url (default: $SWITCHBOARD_ADMIN_TOKEN or the token file)
  --cwd D      run as if started in folder D (relative paths in the config resolve there)
  --json       machine-readable output
  -h, --help   help for a command
  -v, --version  print the version`;

const OPTIONS = {
  config: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
  args: { type: 'string' },
  server: { type: 'string' },
  timeout: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  inspect: { type: 'boolean', default: false },
  'inspect-port': { type: 'string' },
  watch: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  'no-browser': { type: 'boolean', default: false },
  'log-level': { type: 'string' },
  env: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  transport: { type: 'string' },
  profile: { type: 'string' },
  'host-config': { type: 'string' },
  name: { type: 'string' },
  cwd: { type: 'string' },
  search: { type: 'string' },
} as const;

/** Error text on stderr: escaped for the terminal (messages may quote servers, see terminal.ts). */
const fail = (text: string): void => {
  process.stderr.write(`${terminalText(text, { multiline: true })}\n`);
};

/**
 * `--cwd D`: the process works in D, as if started there. A host starts the gateway in a folder of
 * its own (often `/`); `client connect` records the folder the config's relative paths mean.
 */
function changeDirectory(dir: string): void {
  try {
    process.chdir(dir);
  } catch (error) {
    throw new UsageError(`--cwd ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    fail(`usage: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  // Words after `--` are a server's command line (`add <name> -- npx -y …`), kept apart.
  const terminator = parsed.tokens.find((t) => t.kind === 'option-terminator')?.index ?? argv.length;
  const words = parsed.tokens.flatMap((t) => (t.kind === 'positional' && t.index < terminator ? [t.value] : []));
  const commandLine = argv.slice(terminator + 1);
  const [name, ...rest] = words;
  if (!name || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name || parsed.values.help ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name as CommandName] : undefined;
  if (!command) {
    fail(`usage: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    if (parsed.values.cwd !== undefined) changeDirectory(parsed.values.cwd);
    // Only `add` takes a command line; elsewhere `--` just ends the options (`call -- -odd-name`).
    const input = name === 'add' ? { positionals: rest, commandLine } : { positionals: [...rest, ...commandLine] };
    return await command.run({ ...parsed.values, ...input });
  } catch (error) {
    const json = parsed.values.json;
    if (error instanceof UsageError) {
      fail(`usage: ${error.message}\n\n${command.help}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      if (json) process.stderr.write(`${jsonText(errorJson(error), 0)}\n`);
      else fail(error.message);
      return 2;
    }
    if (isSwitchboardError(error)) {
      if (json) process.stderr.write(`${jsonText(errorJson(error), 0)}\n`);
      else fail(`${error.code}: ${error.message}`);
      return ruleOf(error.code)?.exit ?? 1;
    }
    fail(`error: ${(error as Error)?.message ?? error}`);
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
// serve keeps running until a signal; every other command ends here.
if (exitCode !== -1) process.exitCode = exitCode;
