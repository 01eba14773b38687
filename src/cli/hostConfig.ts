import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { withFileLock, writeFileAtomic } from './atomicWrite.js';
import { readIfPresent } from './configEdit.js';
import { JsonSyntaxError, memberOf, nodeAt, parseJsonNodes, setJsonMember } from './jsonEdit.js';
import { keepingLineEndings } from './lineEndings.js';

/**
 * `switchboard client connect <host>`: one gateway entry in a desktop host's MCP config (DESIGN
 * §12, §18). The entry starts this installation's own CLI with this Node (`process.execPath`,
 * `dist/src/cli/main.js` beside this file), never a package name: the package is not published,
 * and a host's PATH often has no `node` or another version of it. The host's file is edited as
 * text (jsonEdit.ts): its other entries, keys and comments stay; a second run updates the entry.
 */

export const HOST_NAMES = ['claude', 'cursor', 'vscode'] as const;
export type HostName = (typeof HOST_NAMES)[number];

/** What differs between hosts: where the file is, which key holds servers, what an entry looks like. */
export interface Host {
  label: string;
  /** The host's config file for this user (or, for VS Code, this folder). */
  path(): string;
  key: 'mcpServers' | 'servers';
  entry(launch: Launch): Record<string, unknown>;
}

/** A command line that starts the gateway. */
export interface Launch {
  command: string;
  args: string[];
}

/**
 * Claude Desktop's file: `~/Library/Application Support/Claude/` on macOS, `%APPDATA%\Claude\`
 * on Windows, `$XDG_CONFIG_HOME/Claude/` (default `~/.config/Claude/`) elsewhere.
 */
export function claudeConfigPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  const file = 'claude_desktop_config.json';
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Claude', file);
  if (platform === 'win32') return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'Claude', file);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'Claude', file);
}

export const HOSTS: Record<HostName, Host> = {
  claude: { label: 'Claude Desktop', path: () => claudeConfigPath(), key: 'mcpServers', entry: ({ command, args }) => ({ command, args }) },
  cursor: { label: 'Cursor', path: () => join(homedir(), '.cursor', 'mcp.json'), key: 'mcpServers', entry: ({ command, args }) => ({ command, args }) },
  // VS Code's workspace file: `servers`, and `type` is required.
  vscode: { label: 'VS Code', path: () => resolve('.vscode', 'mcp.json'), key: 'servers', entry: ({ command, args }) => ({ type: 'stdio', command, args }) },
};

/** This installation's CLI script: `main.js` beside this module in `dist/src/cli/`. */
export function cliScript(): string {
  const script = fileURLToPath(new URL('./main.js', import.meta.url));
  if (!existsSync(script)) throw new Error(`${script} does not exist: build the package (npm run build) and run the CLI from dist/`);
  return script;
}

/**
 * The gateway's command line for a host: this Node, this CLI, `gateway --config <absolute path>`,
 * `--profile` when given, and `--cwd` (the folder relative paths in the config are resolved
 * against: a host starts its servers in a folder of its own).
 */
export function gatewayLaunch(options: { configPath: string; profile?: string | undefined; cwd?: string }): Launch {
  const args = [cliScript(), 'gateway', '--config', resolve(options.configPath)];
  if (options.profile !== undefined) args.push('--profile', options.profile);
  args.push('--cwd', options.cwd ?? process.cwd());
  return { command: process.execPath, args };
}

/** A host file that cannot be edited: a ConfigError (exit 2) naming the file and the key; nothing is written. */
function refused(path: string, key: string, problem: string): ConfigError {
  const error = new ConfigError([{ path: key, message: problem }], path);
  error.message = `cannot update ${path}: ${key ? `its "${key}" is` : 'it is'} ${problem}; nothing was written: fix it, or name another file with --host-config`;
  return error;
}

/** Writes entry `name` into the host's file at `path`; `updated` when one of that name was there. */
export async function writeHostEntry(host: Host, path: string, name: string, launch: Launch): Promise<{ updated: boolean }> {
  return withFileLock(path, async () => {
    const text = (await readIfPresent(path)) ?? '';
    let updated = false;
    if (text.trim() !== '') {
      let root;
      try {
        root = parseJsonNodes(text);
      } catch (error) {
        if (error instanceof JsonSyntaxError) throw refused(path, '', `not valid JSON (${error.message})`);
        throw error;
      }
      if (root.kind !== 'object') throw refused(path, '', 'not a JSON object');
      const servers = nodeAt(root, [host.key]);
      if (servers !== undefined && servers.kind !== 'object') throw refused(path, host.key, 'not an object');
      updated = memberOf(servers, name) !== undefined;
    }
    writeFileAtomic(path, keepingLineEndings(text, (lf) => setJsonMember(lf, [host.key, name], host.entry(launch))));
    return { updated };
  });
}
