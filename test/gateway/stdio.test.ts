import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, waitGone, waitMarked, waitUnmarked } from '../helpers/processes.js';
import { stdioServer, until } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream, ERAS } from './eras.js';

/**
 * The gateway over stdio as a host runs it (DESIGN §12): a child process serves the gateway on
 * its stdin/stdout over a switchboard whose upstream is a stdio fixture server; a plain SDK Client
 * drives it over StdioClientTransport. When the host closes stdin (or sends SIGTERM), no upstream
 * process is left. Upstreams are found in /proc by a marker argument unique to this test run.
 */

const SCRIPT = fileURLToPath(new URL('./stdioGateway.mjs', import.meta.url));
const MEMORY = fileURLToPath(new URL('./stdioGatewayMemory.mjs', import.meta.url));
const clients: Client[] = [];
afterEach(async () => {
  await closeDownstreams();
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

async function start(marker: string): Promise<{ client: Client; transport: StdioClientTransport; stderr: string[] }> {
  const config = { servers: { files: stdioServer('files', marker) }, defaults: { health: { intervalMs: 0 } } };
  const transport = new StdioClientTransport({ command: process.execPath, args: [SCRIPT, JSON.stringify(config), JSON.stringify({ tools: { deny: ['*__crash'] } })], stderr: 'pipe' });
  const stderr: string[] = [];
  transport.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: 'host', version: '1.0.0' });
  // Anything but protocol on the gateway's stdout would show up here as a parse error.
  client.onerror = (error) => stderr.push(`CLIENT ERROR ${error.message}`);
  await client.connect(transport);
  clients.push(client);
  return { client, transport, stderr };
}

describe('gateway over stdio', () => {
  it('calls a qualified tool and leaves no upstream process after the host closes stdin', async () => {
    const marker = `gw-stdin-${process.pid}`;
    const { client, transport, stderr } = await start(marker);
    const [upstream] = await waitMarked(marker, 1);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('files__echo');
    expect(names).not.toContain('files__crash');
    expect(await client.callTool({ name: 'files__echo', arguments: { text: 'over stdio' } })).toEqual({ content: [{ type: 'text', text: 'over stdio' }] });
    const gateway = transport.pid!;
    // The SDK client's close() ends the child's stdin first (a signal only follows after 2 s);
    // the stderr line below shows that stdin, not a signal, stopped the gateway.
    await client.close();
    expect(await waitGone(gateway, 10_000)).toBe(true);
    expect(await waitUnmarked(marker)).toEqual([]);
    expect(isAlive(upstream!)).toBe(false);
    const lines = stderr.join('');
    expect(lines).not.toContain('CLIENT ERROR');
    expect(lines).toContain('gateway: stopping (stdin closed)');
    expect(lines).toContain('gateway: stopped');
  });

  it('stops every upstream on SIGTERM', async () => {
    const marker = `gw-term-${process.pid}`;
    const { client, transport, stderr } = await start(marker);
    await waitMarked(marker, 1);
    expect((await client.callTool({ name: 'files__whoami' })).content).toEqual([{ type: 'text', text: 'files' }]);
    process.kill(transport.pid!, 'SIGTERM');
    expect(await waitGone(transport.pid!, 10_000)).toBe(true);
    expect(await waitUnmarked(marker)).toEqual([]);
    await until(() => stderr.join('').includes('gateway: stopping (SIGTERM)'), 5_000, 'the SIGTERM line');
  });
});

describe.each(ERAS)('gateway over stdio (%s client)', (era) => {
  it('serves tools, progress, prompts, completion, resources, errors and an upstream elicitation answered by the client', async () => {
    // The child ends when the client closes its stdin (closeDownstreams in afterEach).
    const client = await connectDownstream(era, { kind: 'stdio', server: { command: process.execPath, args: [MEMORY] } }, { answer: true });
    expect(client.version()).toBe(era === 'modern' ? '2026-07-28' : '2025-11-25');
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['up__add', 'up__ask', 'up__cancelled', 'up__watch']);
    expect(await client.callTool({ name: 'up__add', arguments: { a: 2, b: 3 } })).toMatchObject({ content: [{ type: 'text', text: '5' }], structuredContent: { sum: 5 } });
    expect((await client.callTool({ name: 'up__ask' })).content).toEqual([{ type: 'text', text: 'accept Ada' }]);
    expect((await client.getPrompt({ name: 'up__greet', arguments: { who: 'Ada' } })).messages[0]!.content).toEqual({ type: 'text', text: 'Hello Ada' });
    expect((await client.complete({ ref: { type: 'ref/prompt', name: 'up__greet' }, argument: { name: 'who', value: 'a' } })).completion.values).toEqual(['ada', 'alan']);
    expect((await client.readResource({ uri: 'mem://up/readme' })).contents).toEqual([{ uri: 'mem://up/readme', text: 'readme of up' }]);
    await expect(client.callTool({ name: 'up__nope' })).rejects.toMatchObject({ code: -32602 });
    // Progress crosses, then the client cancels: the upstream call is cancelled, the session goes on.
    const seen: number[] = [];
    const controller = new AbortController();
    const watching = client.callTool({ name: 'up__watch' }, { signal: controller.signal, onprogress: (p) => seen.push(p.progress) });
    await until(() => seen.length === 2, 10_000, 'both progress notifications');
    expect(seen).toEqual([1, 2]);
    controller.abort();
    await expect(watching).rejects.toThrow();
    const cancelled = async () => ((await client.callTool({ name: 'up__cancelled' })).content as { text: string }[])[0]!.text;
    const deadline = Date.now() + 10_000;
    while ((await cancelled()) !== '1' && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(await cancelled()).toBe('1');
  });
});
