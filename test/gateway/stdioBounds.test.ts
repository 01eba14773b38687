import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, waitMarked, waitUnmarked } from '../helpers/processes.js';
import { CLI, writeConfig } from '../helpers/service.js';
import { stdioServer, until } from '../helpers/switchboard.js';

/**
 * `switchboard gateway` under a hostile host (issue 18), as a host runs it: the built CLI as a
 * child process, spoken to line by line on its stdin/stdout. A line too large or not JSON is an
 * error to the host and the session goes on; a host that stops reading stdout loses notifications
 * past `gateway.maxBufferedBytes`, never its responses; one that never reads its responses ends
 * the session instead of growing the gateway.
 */

const FLOOD = fileURLToPath(new URL('../fixtures/floodServer.mjs', import.meta.url));

interface Message {
  id?: string | number | null;
  method?: string;
  result?: { content?: { type: string; text: string }[] } & Record<string, unknown>;
  error?: { code: number; message: string };
}

interface Host {
  child: ChildProcessWithoutNullStreams;
  messages: Message[];
  stderr(): string;
  write(line: string): void;
  request(id: number | string, method: string, params?: Record<string, unknown>): void;
  response(id: number | string | null, timeoutMs?: number): Promise<Message>;
  exited: Promise<number | null>;
}

const hosts: Host[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) {
    host.child.stdout.resume();
    if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGTERM');
    await host.exited;
  }
});

function start(config: Record<string, unknown>): Host {
  const child = spawn(process.execPath, [CLI, 'gateway', '--config', writeConfig(JSON.stringify(config)), '--log-level', 'warn'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: Message[] = [];
  let err = '';
  let rest = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) messages.push(JSON.parse(line) as Message);
  });
  // EPIPE once the gateway is gone is expected in some tests.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const host: Host = {
    child,
    messages,
    exited,
    stderr: () => err,
    write: (line) => void child.stdin.write(line),
    request: (id, method, params = {}) => host.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`),
    response: async (id, timeoutMs = 20_000) => {
      await until(() => messages.some((m) => m.id === id && (m.result !== undefined || m.error !== undefined)), timeoutMs, `the answer to ${String(id)}\n${err}`);
      return messages.find((m) => m.id === id && (m.result !== undefined || m.error !== undefined))!;
    },
  };
  hosts.push(host);
  return host;
}

async function initialize(host: Host): Promise<void> {
  host.request(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hostile', version: '1' } });
  expect((await host.response(0)).result).toHaveProperty('serverInfo');
  host.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
}

const textOf = (message: Message) => message.result?.content?.[0]?.text;

describe('stdio gateway under a hostile host', () => {
  it('answers a line over gateway.maxMessageBytes with -32600 and its id, bad lines with errors, and serves the next line', async () => {
    const marker = `gw-huge-${process.pid}`;
    const host = start({ servers: { files: stdioServer('files', marker) }, defaults: { health: { intervalMs: 0 } } });
    await initialize(host);
    const [upstream] = await waitMarked(marker, 1);
    const huge = 'x'.repeat(30 * 1024 * 1024);
    // The id last, as the SDK writes requests; then one with the id first, then one without an id.
    host.write(`${JSON.stringify({ method: 'tools/call', params: { name: 'files__echo', arguments: { text: huge } }, jsonrpc: '2.0', id: 7 })}\n`);
    host.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'first', method: 'tools/call', params: { name: 'files__echo', arguments: { text: huge } } })}\n`);
    host.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { data: huge } })}\n`);
    host.write('this is not JSON\n');
    host.write(`${JSON.stringify({ jsonrpc: '2.0', id: 8, nonsense: true })}\n`);
    host.request(9, 'tools/call', { name: 'files__echo', arguments: { text: 'still serving' } });
    expect(textOf(await host.response(9))).toBe('still serving');
    for (const id of [7, 'first']) {
      expect((await host.response(id)).error).toEqual({ code: -32600, message: expect.stringMatching(/too large.*31457\d\d\d bytes.*10485760 bytes \(gateway\.maxMessageBytes\)/) });
    }
    const anonymous = host.messages.filter((m) => m.id === null).map((m) => m.error?.code);
    expect(anonymous).toEqual([-32600, -32700]);
    expect((await host.response(8)).error?.code).toBe(-32600);
    expect(host.child.exitCode).toBeNull();
    expect(isAlive(upstream!)).toBe(true);
    host.child.stdin.end();
    expect(await host.exited).toBe(0);
    expect(await waitUnmarked(marker)).toEqual([]);
  });

  it('answers a burst of bad lines from a host that reads, without ending its session, and logs them as a count', async () => {
    const host = start({ servers: { files: stdioServer('files') }, defaults: { health: { intervalMs: 0 } }, gateway: { maxBufferedBytes: 65_536, maxMessageBytes: 4_096 } });
    await initialize(host);
    // 100 000 bad lines in 25 000-line writes: about 9 MB of -32700 answers, far past budget + allowance.
    for (let i = 0; i < 4; i++) host.write('{bad}\n'.repeat(25_000));
    host.request('after', 'tools/call', { name: 'files__echo', arguments: { text: 'still here' } });
    expect(textOf(await host.response('after', 25_000))).toBe('still here');
    expect(host.messages.filter((m) => m.id === null && m.error?.code === -32700)).toHaveLength(100_000);
    expect(host.stderr()).not.toContain('ending the session');
    const refusals = host.stderr().split('\n').filter((line) => line.includes('refused'));
    expect(refusals.length).toBeLessThanOrEqual(3);
    expect(refusals[0]).toContain('refused a line from the stdio host: Parse error');
    host.child.stdin.end();
    expect(await host.exited).toBe(0);
    // The count of the rest is logged by the time the session ends.
    expect(host.stderr()).toMatch(/refused 99999 more line\(s\) from the stdio host/);
  });

  it('drops notifications past gateway.maxBufferedBytes for a host that stops reading, never its responses', async () => {
    const host = start({ servers: { flood: { transport: 'stdio', command: process.execPath, args: [FLOOD] } }, defaults: { health: { intervalMs: 0 } }, gateway: { maxBufferedBytes: 65_536 } });
    await initialize(host);
    host.request(1, 'logging/setLevel', { level: 'debug' });
    await host.response(1);
    host.child.stdout.pause();
    host.request(2, 'tools/call', { name: 'flood__flood', arguments: { count: 3_000, size: 10_000 } });
    await until(() => host.stderr().includes('is not reading; dropping notifications past 65536 queued bytes'), 30_000, 'the warning');
    host.child.stdout.resume();
    expect(textOf(await host.response(2, 30_000))).toBe('sent 3000');
    host.request(3, 'tools/call', { name: 'flood__echo', arguments: { text: 'after the flood' } });
    expect(textOf(await host.response(3))).toBe('after the flood');
    const logs = host.messages.filter((m) => m.method === 'notifications/message').length;
    expect(logs).toBeGreaterThan(0);
    expect(logs).toBeLessThan(3_000);
    await until(() => /caught up; \d+ notification\(s\) were dropped/.test(host.stderr()), 5_000, 'the summary');
    host.child.stdin.end();
    expect(await host.exited).toBe(0);
  });

  it('ends the session of a host that never reads its responses and stops every upstream', async () => {
    const marker = `gw-stall-${process.pid}`;
    const host = start({ servers: { files: stdioServer('files', marker) }, defaults: { health: { intervalMs: 0 } }, gateway: { maxBufferedBytes: 65_536, maxMessageBytes: 262_144 } });
    await initialize(host);
    await waitMarked(marker, 1);
    host.child.stdout.pause();
    const text = 'y'.repeat(100_000);
    for (let id = 1; id <= 150; id++) host.request(id, 'tools/call', { name: 'files__echo', arguments: { text } });
    await until(() => host.stderr().includes('ending the session'), 30_000, 'the session to end');
    expect(host.stderr()).toMatch(/the stdio host has not read \d+ bytes of responses/);
    expect(await waitUnmarked(marker)).toEqual([]);
    // Its last write waits in the pipe (no process can take that back); the host closing it ends the process.
    host.child.stdout.destroy();
    expect(await host.exited).toBe(0);
  });
});
