import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { markedProcesses, waitGone, waitMarked } from '../helpers/processes.js';
import { runCli } from '../helpers/service.js';
import { STDIO_FIXTURE } from '../helpers/switchboard.js';

/**
 * A new user's first hour (issue 22), with real processes only: servers added from the CLI to a
 * config that did not exist, a host connected with `client connect`, the host starting the
 * written gateway entry as it would (from `/`, by command and args) and listing tools once — while
 * one server is still starting — then calling a tool just after a server was killed. Nothing of it
 * may reach the model as an error.
 */

const SLOW_FIXTURE = fileURLToPath(new URL('../gateway/slowStartServer.mjs', import.meta.url));
const MARKER = `first-hour-${process.pid}`;

describe('the first hour: add servers, connect a host, call through a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'first-hour-'));
  const config = join(dir, 'switchboard.yaml');
  const hostConfig = join(dir, 'claude_desktop_config.json');
  let client: Client | undefined;

  afterAll(async () => {
    await client?.close();
    for (const pid of markedProcesses(MARKER)) expect(await waitGone(pid)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds two servers from the CLI and writes one gateway entry into the host config', async () => {
    const fs = await runCli(['add', 'fs', '--config', config, '--', process.execPath, STDIO_FIXTURE, 'fs', MARKER]);
    expect(fs.code, fs.stderr).toBe(0);
    // Takes 2.5 s to answer, as a first npx -y does while it downloads.
    const slow = await runCli(['add', 'slow', '--config', config, '--', process.execPath, SLOW_FIXTURE, 'slow', '2500', MARKER]);
    expect(slow.code, slow.stderr).toBe(0);
    const connect = await runCli(['client', 'connect', 'claude', '--config', config, '--host-config', hostConfig]);
    expect(connect.code, connect.stderr).toBe(0);
    const written = JSON.parse(readFileSync(hostConfig, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    expect(Object.keys(written.mcpServers)).toEqual(['switchboard']);
    expect(written.mcpServers.switchboard!.command).toBe(process.execPath);
  });

  it('lists every tool on the host\'s first list, the slow server\'s too, and calls through a restart without an error', async () => {
    const entry = (JSON.parse(readFileSync(hostConfig, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> }).mcpServers.switchboard!;
    // As a host starts it: its command and args, from a folder of its own.
    client = new Client({ name: 'host', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: entry.command, args: entry.args, cwd: '/', stderr: 'ignore' }));
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('fs__echo');
    expect(names).toContain('slow__echo');

    const [pid] = await waitMarked(MARKER, 2);
    const fsPid = markedProcesses(MARKER).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(STDIO_FIXTURE))!;
    expect(pid).toBeGreaterThan(0);
    process.kill(fsPid, 'SIGKILL');
    expect(await waitGone(fsPid)).toBe(true);
    // Right after the crash: the gateway waits for the reconnect instead of answering with an error.
    const result = (await client.callTool({ name: 'fs__echo', arguments: { text: 'still here' } })) as { isError?: boolean; content: { type: string; text?: string }[] };
    expect(result.isError ?? false).toBe(false);
    expect(result.content).toEqual([{ type: 'text', text: 'still here' }]);
    expect(markedProcesses(MARKER).filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(STDIO_FIXTURE))).toHaveLength(1);
  });
});
