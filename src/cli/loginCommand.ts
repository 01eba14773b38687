import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { navigationProblem } from '../auth/guardedFetch.js';
import { defaultTokenDir, fileTokenStore } from '../auth/index.js';
import { openSharedTokens } from '../cluster/index.js';
import { loginServer } from '../servers/index.js';
import { loadConfigFile } from '../config/load.js';
import { SwitchboardError } from '../core/errors.js';
import { configPath, type CommandInput } from './local.js';
import { RemoteClient } from './remote.js';
import { terminalText } from './terminal.js';
import { UsageError } from './usage.js';

/**
 * `switchboard login <server>`: completes a server's OAuth consent from a terminal (DESIGN §11):
 * prints the URL, opens a browser where there is one, waits for the redirect on the loopback
 * listener, stores the tokens and connects once to check them. With `--url`, the running service
 * then reconnects the server so it uses the new tokens.
 */

export const LOGIN_HELP = `Usage: switchboard login <server> [--config F] [--force] [--no-browser] [--url U]

Authorizes an OAuth server (auth: { type: oauth } in the config): prints the authorization URL,
opens a browser when there is one, waits for the redirect on a 127.0.0.1 listener, stores the
tokens (~/.mcp-switchboard/oauth/, mode 0600) and connects once to check them. --force asks for
consent again even when tokens are stored. With --url, a running 'switchboard serve' reconnects
the server afterwards.`;

/**
 * How to open `url` in the desktop's browser on `platform`: one program and the URL as one
 * argument, never a shell (cmd's `start` would run whatever follows an `&` in the query). Undefined
 * for anything `navigationProblem` refuses: a `file:` URL or a custom scheme would open a file or
 * launch whatever handler claims it, plain http may only go to loopback, and a user name or
 * password (`https://accounts.google.com@evil.com/`) disguises the host. The library refuses such
 * URLs already; this is the second lock.
 */
export function browserCommand(url: string, platform: NodeJS.Platform = process.platform): { command: string; args: string[] } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  // The library's own rule (https, http to loopback, no user@ in front of the host) once more.
  if (navigationProblem(parsed)) return undefined;
  // The parsed form: percent-encoded, so no space, quote or control character reaches the opener.
  const href = parsed.href;
  if (platform === 'darwin') return { command: 'open', args: [href] };
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', href] };
  return { command: 'xdg-open', args: [href] };
}

/** Opens a URL in the desktop's browser, when there is one; failures are ignored (the URL is printed). */
function openBrowser(opener: { command: string; args: string[] }): void {
  try {
    const child = spawn(opener.command, opener.args, { detached: true, stdio: 'ignore', shell: false });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser here: the printed URL is enough.
  }
}

export async function runLogin(input: CommandInput & { force?: boolean; 'no-browser'?: boolean }): Promise<number> {
  const name = input.positionals[0];
  if (!name) throw new UsageError('name the server to log in to: switchboard login <server>');
  const config = await loadConfigFile(configPath(input));
  const server = Object.hasOwn(config.servers, name) ? config.servers[name]! : undefined;
  if (!server) throw new SwitchboardError('ServerNotFound', `no server named "${name}" in ${configPath(input)}`);
  // With a cluster, tokens go to the shared store (encrypted in Redis) as a replica's would (DESIGN §16).
  const shared = config.cluster ? await openSharedTokens(config.cluster, fileTokenStore(), (level, message) => process.stderr.write(`${level}: ${message}\n`)) : undefined;
  let result;
  try {
    result = await loginServer(server, {
      ...(shared ? { tokenStore: shared.store } : {}),
      force: input.force === true,
      authorize: async ({ authorizationUrl }) => {
        // Neither opened nor shown for a person to click: only https (http to loopback), no user@host.
        const opener = browserCommand(authorizationUrl.href);
        if (!opener) throw new SwitchboardError('AuthRequired', `refused to open the authorization URL of "${name}": ${navigationProblem(authorizationUrl) ?? 'it is not an http(s) URL'}`);
        process.stderr.write(`Open this URL to authorize "${terminalText(name)}":\n${terminalText(authorizationUrl.href)}\n`);
        if (!input['no-browser']) openBrowser(opener);
      },
    });
  } finally {
    await shared?.close();
  }
  const where = join(defaultTokenDir(), `${result.key}.json`);
  process.stdout.write(result.consented ? `authorized "${name}"; tokens stored in ${where}\n` : `"${name}" is already authorized (tokens in ${where}); use --force to ask again\n`);
  if (input.url) await new RemoteClient(input.url, input.token).ok('POST', `/mcp/servers/${encodeURIComponent(name)}/reconnect`);
  return 0;
}
