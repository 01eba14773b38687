import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { defaultTokenDir, loginServer } from '../auth/index.js';
import { loadConfigFile } from '../config/load.js';
import { SwitchboardError } from '../errors.js';
import { configPath, type CommandInput } from './local.js';
import { RemoteClient } from './remote.js';
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

/** Opens a URL in the desktop's browser, when there is one; failures are ignored (the URL is printed). */
function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
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
  const result = await loginServer(server, {
    force: input.force === true,
    authorize: async ({ authorizationUrl }) => {
      process.stderr.write(`Open this URL to authorize "${name}":\n${authorizationUrl.href}\n`);
      if (!input['no-browser']) openBrowser(authorizationUrl.href);
    },
  });
  const where = join(defaultTokenDir(), `${result.key}.json`);
  process.stdout.write(result.consented ? `authorized "${name}"; tokens stored in ${where}\n` : `"${name}" is already authorized (tokens in ${where}); use --force to ask again\n`);
  if (input.url) await new RemoteClient(input.url, input.token).ok('POST', `/mcp/servers/${encodeURIComponent(name)}/reconnect`);
  return 0;
}
