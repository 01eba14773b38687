import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitMarked, waitUnmarked } from '../helpers/processes.js';
import { CLI, runCli, SERVICE_FIXTURE, toolsOnceListed, writeConfig } from '../helpers/service.js';
import { until } from '../helpers/switchboard.js';

/**
 * `switchboard gateway` as a host runs it (DESIGN §12): the built CLI over stdio, driven by a
 * plain SDK Client, then by raw JSON lines to see its exit code when stdin closes or SIGTERM comes.
 * Every upstream process carries a marker argument, so the tests see each one start and end.
 */

const MARK = `mark=gateway-test-${process.pid}`;
const fixture = (name: string) => `  ${name}: { transport: stdio, command: ${process.execPath}, args: ${JSON.stringify([SERVICE_FIXTURE, MARK, `name=${name}`])} }`;
const yaml = (names: string[], gateway = '') => `servers:\n${names.map(fixture).join('\n')}\n${gateway}`;

const linesOf = (text: string) => text.trim().split('\n').filter(Boolean);

describe('switchboard gateway over stdio with an SDK client', () => {
  let config: string;
  let transport: StdioClientTransport;
  let client: Client;
  let stderr = '';
  let listChanged = 0;
  const errors: Error[] = [];

  beforeAll(async () => {
    config = writeConfig(yaml(['alpha']));
    transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'gateway', '--config', config], stderr: 'pipe' });
    transport.stderr!.on('data', (d) => (stderr += d));
    client = new Client({ name: 'host', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
    client.onerror = (error) => errors.push(error);
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
    expect(await waitUnmarked(MARK)).toEqual([]);
  });

  it('lists the tools under qualified names and calls one; an unknown tool is a JSON-RPC error', async () => {
    expect(client.getServerVersion()?.name).toBe('mcp-switchboard');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['alpha__echo_args', 'alpha__flood', 'alpha__mark', 'alpha__structured']);
    const result = (await client.callTool({ name: 'alpha__echo_args', arguments: { q: 'hi' } })) as CallToolResult;
    expect(result).toEqual({ content: [{ type: 'text', text: '{"q":"hi"}' }] });
    await expect(client.callTool({ name: 'nope__nothing' })).rejects.toThrow(/nope__nothing/);
  });

  it('reloads on SIGHUP: an added server appears with list_changed, a gateway.tools filter hides tools', async () => {
    writeFileSync(config, yaml(['alpha', 'beta']));
    process.kill(transport.pid!, 'SIGHUP');
    await until(() => listChanged >= 1, 15_000, 'list_changed after the reload');
    await until(() => /"msg":"config reloaded","trigger":"SIGHUP"/.test(stderr), 5_000, 'the reload log line');
    // The first list_changed may come before beta's tools are in (a reload changes the catalog twice).
    const after = await toolsOnceListed(client, 'beta__echo_args');
    expect(after).toEqual(expect.arrayContaining(['alpha__echo_args', 'beta__echo_args']));
    expect(((await client.callTool({ name: 'beta__echo_args', arguments: { b: 1 } })) as CallToolResult).content).toEqual([{ type: 'text', text: '{"b":1}' }]);

    const before = listChanged;
    writeFileSync(config, yaml(['alpha', 'beta'], 'gateway: { tools: { deny: ["*__flood", "beta__*"] } }\n'));
    process.kill(transport.pid!, 'SIGHUP');
    await until(() => listChanged > before, 10_000, 'list_changed after the filter changed');
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['alpha__echo_args', 'alpha__mark', 'alpha__structured']);
  });

  it('writes nothing but the protocol on stdout and JSON lines on stderr', () => {
    // A stray byte on stdout would reach the client as a parse error.
    expect(errors).toEqual([]);
    expect(linesOf(stderr).length).toBeGreaterThan(0);
    for (const line of linesOf(stderr)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('stops every upstream when the host closes stdin', async () => {
    expect((await waitMarked(MARK, 2)).length).toBe(2);
    await client.close();
    expect(await waitUnmarked(MARK)).toEqual([]);
    // It stopped by itself on the closed stdin, not on the SIGTERM the SDK sends 2 s later.
    expect(stderr).toMatch(/"msg":"gateway: stopping \(stdin closed\)"/);
    expect(stderr).toMatch(/"msg":"gateway: stopped"/);
  });
});

/** A gateway child spoken to in raw JSON lines. */
function startRaw(config: string): { child: ChildProcessWithoutNullStreams; stdout: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'gateway', '--config', config], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  return { child, stdout: () => out, exited };
}

describe('switchboard gateway exit', () => {
  const mark = `${MARK}-exit`;
  let config: string;
  beforeAll(() => {
    config = writeConfig(`servers:\n  one: { transport: stdio, command: ${process.execPath}, args: ${JSON.stringify([SERVICE_FIXTURE, mark])} }\n`);
  });

  for (const how of ['stdin closed', 'SIGTERM'] as const) {
    it(`exits 0 with no upstream left when ${how === 'SIGTERM' ? 'SIGTERM arrives' : 'stdin closes'}`, async () => {
      const gateway = startRaw(config);
      await until(() => linesOf(gateway.stdout()).some((l) => (JSON.parse(l) as { id?: number }).id === 2), 15_000, 'tools/list answered');
      const answer = linesOf(gateway.stdout()).map((l) => JSON.parse(l) as { id?: number; result?: { tools: { name: string }[] } }).find((m) => m.id === 2)!;
      expect(answer.result!.tools.map((t) => t.name)).toContain('one__echo_args');
      expect(await waitMarked(mark, 1)).toHaveLength(1);
      if (how === 'SIGTERM') gateway.child.kill('SIGTERM');
      else gateway.child.stdin.end();
      expect(await gateway.exited).toBe(0);
      expect(await waitUnmarked(mark)).toEqual([]);
      // Every stdout line is a JSON-RPC message.
      for (const line of linesOf(gateway.stdout())) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    });
  }

  it('exits 2 on a bad config, with nothing on stdout', async () => {
    const result = await runCli(['gateway', '--config', writeConfig('servers: { a: { transport: nope } }\n')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/invalid config/);
  });
});
