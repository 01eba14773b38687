import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/service.js';

/**
 * `switchboard client connect` writes a host's gateway entry; the entry is then started exactly
 * as the host would (its command and args, from a folder of the host's own) and spoken to over MCP.
 */

const MEDIA_SERVER = fileURLToPath(new URL('./mediaServer.mjs', import.meta.url));

/** A project folder whose config names its server by a relative path (as a checkout's config does). */
function project(extra = ''): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-project-'));
  mkdirSync(join(dir, 'servers'));
  copyFileSync(MEDIA_SERVER, join(dir, 'servers', 'media.mjs'));
  const config = join(dir, 'switchboard.yaml');
  writeFileSync(config, `servers:\n  media: { command: node, args: ["servers/media.mjs"] }\n${extra}`);
  return { dir, config };
}

type Entry = { type?: string; command: string; args: string[] };
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, Entry>>;

describe('switchboard client connect', () => {
  it('writes one gateway entry into a Claude Desktop file, keeps the other entries and keys, and updates it when run again', async () => {
    const { dir, config } = project('gateway:\n  profiles:\n    writing: { servers: [media] }\n');
    const host = join(mkdtempSync(join(tmpdir(), 'sb-host-')), 'claude_desktop_config.json');
    const original = `{
  "mcpServers": {
    "memory": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-memory"]
    }
  },
  "globalShortcut": "Ctrl+Space"
}
`;
    writeFileSync(host, original);
    const first = await runCli(['client', 'connect', 'claude', '--config', config, '--host-config', host, '--cwd', dir]);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('added the "switchboard" entry') });
    const written = read(host);
    expect(Object.keys(written)).toEqual(['mcpServers', 'globalShortcut']);
    expect(written.mcpServers!.memory).toEqual({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] });
    // This Node and this installation's own CLI, never a package name that is not published.
    expect(written.mcpServers!.switchboard).toEqual({ command: process.execPath, args: [CLI, 'gateway', '--config', config, '--cwd', dir] });
    // Only the entry was added: the rest of the text is as it was.
    expect(readFileSync(host, 'utf8').replace(/,\n    "switchboard": \{[\s\S]*?\n    \}/, '')).toBe(original);

    const again = await runCli(['client', 'connect', 'claude', '--config', config, '--host-config', host, '--cwd', dir, '--profile', 'writing']);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('updated the "switchboard" entry') });
    const updated = read(host);
    expect(Object.keys(updated.mcpServers!)).toEqual(['memory', 'switchboard']);
    // One entry in the text too (JSON.parse would hide a second one of the same name).
    expect(readFileSync(host, 'utf8').match(/"switchboard"/g)).toHaveLength(1);
    expect(updated.mcpServers!.switchboard!.args).toEqual([CLI, 'gateway', '--config', config, '--profile', 'writing', '--cwd', dir]);
    expect(readdirSync(join(host, '..'))).toEqual(['claude_desktop_config.json']);
  });

  it('finds each host file in its documented place: Claude under XDG_CONFIG_HOME or ~/.config, Cursor in ~/.cursor, VS Code in ./.vscode', async () => {
    const { dir, config } = project();
    const home = mkdtempSync(join(tmpdir(), 'sb-home-'));
    const env = { HOME: home, XDG_CONFIG_HOME: '' };
    expect((await runCli(['client', 'connect', 'claude', '--config', config], env)).code).toBe(0);
    expect(read(join(home, '.config', 'Claude', 'claude_desktop_config.json')).mcpServers!.switchboard!.command).toBe(process.execPath);
    expect((await runCli(['client', 'connect', 'claude', '--config', config], { ...env, XDG_CONFIG_HOME: join(home, 'xdg') })).code).toBe(0);
    expect(read(join(home, 'xdg', 'Claude', 'claude_desktop_config.json')).mcpServers!.switchboard).toBeDefined();
    expect((await runCli(['client', 'connect', 'cursor', '--config', config], env)).code).toBe(0);
    expect(read(join(home, '.cursor', 'mcp.json')).mcpServers!.switchboard!.args).toContain(config);
    // VS Code's file is the folder's own: --cwd makes the CLI work from the project folder.
    expect((await runCli(['client', 'connect', 'vscode', '--config', config, '--cwd', dir], env)).code).toBe(0);
    expect(read(join(dir, '.vscode', 'mcp.json')).servers!.switchboard).toMatchObject({ type: 'stdio', command: process.execPath });
  });

  it("writes VS Code's servers entry with type stdio and keeps the file's comments", async () => {
    const { dir, config } = project();
    const host = join(dir, 'mcp.json');
    const original = `{
  // Servers of this workspace
  "servers": {
    "github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" } // remote
  },
  "inputs": [],
}
`;
    writeFileSync(host, original);
    expect((await runCli(['client', 'connect', 'vscode', '--config', config, '--host-config', host, '--cwd', dir])).code).toBe(0);
    const text = readFileSync(host, 'utf8');
    expect(text.startsWith(`{
  // Servers of this workspace
  "servers": {
    "github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" }, // remote
    "switchboard": {
      "type": "stdio",
      "command": ${JSON.stringify(process.execPath)},`)).toBe(true);
    expect(text.endsWith(`    }
  },
  "inputs": [],
}
`)).toBe(true);
  });

  it('writes an entry that really starts: the host runs it from its own folder and lists and calls tools over stdio', async () => {
    const { dir, config } = project();
    const host = join(dir, 'cursor-mcp.json');
    expect((await runCli(['client', 'connect', 'cursor', '--config', config, '--host-config', host, '--cwd', dir])).code).toBe(0);
    const entry = read(host).mcpServers!.switchboard!;
    // A host starts servers in a folder of its own (Claude Desktop: /), with its own environment.
    const transport = new StdioClientTransport({ command: entry.command, args: entry.args, cwd: '/', stderr: 'pipe' });
    let stderr = '';
    transport.stderr!.on('data', (d) => (stderr += d));
    const client = new Client({ name: 'host', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()?.name).toBe('mcp-switchboard');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['media__echo', 'media__media']);
      const result = (await client.callTool({ name: 'media__echo', arguments: { text: 'through the gateway' } })) as CallToolResult;
      expect(result.content).toEqual([{ type: 'text', text: 'through the gateway' }]);
    } finally {
      await client.close();
    }
    expect(stderr).not.toContain('ENOENT');
  });

  it('refuses an unknown profile, an unknown host and a config that does not validate, writing nothing', async () => {
    const { dir, config } = project();
    const host = join(dir, 'host.json');
    const profile = await runCli(['client', 'connect', 'claude', '--config', config, '--host-config', host, '--profile', 'nope']);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toContain('gateway.profiles.nope: no such profile');
    const unknownHost = await runCli(['client', 'connect', 'zed', '--config', config, '--host-config', host]);
    expect(unknownHost.code).toBe(2);
    expect(unknownHost.stderr).toContain('one of claude, cursor, vscode, got "zed"');
    writeFileSync(config, 'servers:\n  media: { command: node, colour: red }\n');
    const invalid = await runCli(['client', 'connect', 'claude', '--config', config, '--host-config', host]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('servers.media.colour');
    writeFileSync(host, '{ "mcpServers": { broken');
    writeFileSync(config, 'servers:\n  media: { command: node }\n');
    const broken = await runCli(['client', 'connect', 'claude', '--config', config, '--host-config', host]);
    // A host file that is not JSON is a config problem (exit 2), named, and left as it was.
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`cannot update ${host}: it is not valid JSON`);
    const brokenJson = await runCli(['client', 'connect', 'claude', '--config', config, '--host-config', host, '--json']);
    expect(brokenJson.code).toBe(2);
    expect(JSON.parse(brokenJson.stderr)).toMatchObject({ error: { code: 'ConfigError', issues: [{ path: '', message: expect.stringContaining('not valid JSON') }] } });
    expect(readFileSync(host, 'utf8')).toBe('{ "mcpServers": { broken');
  });
});
