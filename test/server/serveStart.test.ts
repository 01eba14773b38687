import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { SERVICE_FIXTURE, startService, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE, until } from '../helpers/switchboard.js';

const TOKEN = 'serve-start-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const fixture = (...options: string[]) => `{ transport: stdio, command: ${process.execPath}, args: ${JSON.stringify([SERVICE_FIXTURE, ...options])} }`;

type Listing = { servers: { name: string; state: string; stderrTail: string }[] };

/** A GET with any Host header (fetch cannot set it). */
function get(url: string, path: string, headers: Record<string, string>): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname.replace(/^\[|\]$/g, ''), port: target.port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('switchboard serve around start and stop', () => {
  let service: RunningService | undefined;
  const api = (path: string, init: RequestInit = {}) => fetch(`${service!.url}${path}`, { ...init, headers: { ...auth, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  const servers = async () => ((await (await api('/mcp/servers')).json()) as Listing).servers;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('stops cleanly and exits 0 on SIGTERM while a server is still connecting', async () => {
    const config = writeConfig(`
servers:
  stuck: ${fixture('gate=never')}
defaults: { timeouts: { connectMs: 60000 } }
admin: { token: ${TOKEN} }
`);
    service = await startService(['--config', config], {}, { wait: 'listening' });
    let stuck: Listing['servers'][number] | undefined;
    await until(() => {
      void servers().then((list) => (stuck = list.find((s) => s.name === 'stuck')));
      return stuck?.state === 'connecting' && /pid \d+ up/.test(stuck.stderrTail);
    }, 10_000, 'the server to be connecting');
    expect(((await (await fetch(`${service.url}/readyz`)).json()) as { status: string }).status).toBe('starting');
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(await waitGone(fixturePid(stuck!.stderrTail))).toBe(true);
    expect(service.stderr()).not.toMatch(/"msg":"switchboard ready"/);
  });

  it('forgets a cached health answer when a server connects, and shares one probe among concurrent requests', async () => {
    const gate = join(dirname(writeConfig('')), 'open');
    const config = writeConfig(`
servers:
  late: ${fixture(`gate=${gate}`)}
  pinger: ${fixture()}
defaults: { health: { intervalMs: 0 } }
admin: { token: ${TOKEN} }
`);
    service = await startService(['--config', config], {}, { wait: 'listening' });
    let list: Listing['servers'] = [];
    await until(() => {
      void servers().then((latest) => (list = latest));
      return list.find((s) => s.name === 'pinger')?.state === 'connected' && list.find((s) => s.name === 'late')?.state === 'connecting';
    }, 10_000, 'pinger connected, late connecting');

    // Five concurrent requests, one ping.
    const answers = await Promise.all(Array.from({ length: 5 }, () => api('/mcp/health')));
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    const body = (await answers[0]!.json()) as { servers: Record<string, { ok: boolean }> };
    expect(body.servers).toMatchObject({ pinger: { ok: true }, late: { ok: false } });
    expect((await api('/mcp/call', { method: 'POST', body: JSON.stringify({ tool: 'pinger__mark', arguments: { text: 'MARK' } }) })).status).toBe(200);
    let tail = '';
    await until(() => {
      void servers().then((list) => (tail = list.find((s) => s.name === 'pinger')!.stderrTail));
      return tail.includes('MARK');
    }, 5_000, 'the mark');
    expect(tail.split('\n').filter((line) => line === 'PING')).toHaveLength(1);

    // The gated server connects: the 503 computed before must not be served again.
    writeFileSync(gate, '');
    let late = '';
    await until(() => {
      void servers().then((list) => (late = list.find((s) => s.name === 'late')!.state));
      return late === 'connected';
    }, 10_000, 'late to connect');
    const after = await api('/mcp/health');
    expect(await after.json()).toMatchObject({ healthy: true, servers: { late: { ok: true }, pinger: { ok: true } } });
    expect(after.status).toBe(200);
  });

  it('accepts the bracketed IPv6 loopback when bound to ::1', async () => {
    const config = writeConfig(`servers: {}\nadmin: { token: ${TOKEN} }\n`);
    service = await startService(['--config', config, '--host', '::1']);
    expect(service.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const port = new URL(service.url).port;
    expect(await get(service.url, '/mcp/servers', { ...auth, host: `[::1]:${port}` })).toBe(200);
    expect(await get(service.url, '/mcp/servers', { ...auth, host: `localhost:${port}` })).toBe(200);
    expect(await get(service.url, '/mcp/servers', { ...auth, host: `evil.example:${port}` })).toBe(403);
  });

  it('accepts loopback names and admin.allowedHosts on every interface, and warns about it at start-up', async () => {
    const config = writeConfig(`servers: {}\nadmin: { token: ${TOKEN}, allowedHosts: [box.internal, "other.internal:8080"] }\n`);
    service = await startService(['--config', config, '--host', '0.0.0.0']);
    const port = new URL(service.url).port;
    const url = `http://127.0.0.1:${port}`;
    expect(service.stderr()).toMatch(/"level":"warn","msg":"listening on every interface \(0\.0\.0\.0\)[^"]*admin\.allowedHosts/);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `box.internal:${port}`, 'box.internal', 'other.internal:8080']) {
      expect({ host, status: await get(url, '/mcp/servers', { ...auth, host }) }).toEqual({ host, status: 200 });
    }
    for (const host of [`0.0.0.0:${port}`, `evil.example:${port}`, `other.internal:${port}`]) {
      expect({ host, status: await get(url, '/mcp/servers', { ...auth, host }) }).toEqual({ host, status: 403 });
    }
  });

  it('drops an /mcp/events client that does not read, and keeps streaming to one that does', async () => {
    const config = writeConfig(`
servers:
  fx: ${fixture()}
admin: { token: ${TOKEN} }
`);
    service = await startService(['--config', config]);
    const target = new URL(service.url);
    // The slow client: sends its request, then never reads a byte.
    const slow = connect({ host: target.hostname, port: Number(target.port) });
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.pause();
    slow.write(`GET /mcp/events HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    let slowClosed = false;
    slow.once('close', () => (slowClosed = true));
    // The fast client reads everything.
    const controller = new AbortController();
    const fast = await api('/mcp/events', { signal: controller.signal });
    const reader = fast.body!.getReader();
    let logs = 0;
    let carry = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        carry += Buffer.from(value!).toString();
        const parts = carry.split('\n\n');
        carry = parts.pop()!;
        logs += parts.filter((p) => p.startsWith('event: server.log')).length;
      }
    })();
    // 3 000 log lines of 4 kB: 12 MB of events, far past the 1 MiB queue and the socket buffers.
    const count = 3_000;
    for (let round = 0; round < 3; round++) {
      expect((await api('/mcp/call', { method: 'POST', body: JSON.stringify({ tool: 'fx__flood', arguments: { count: count / 3, size: 4_000 } }) })).status).toBe(200);
    }
    await until(() => /dropped an \/mcp\/events client that does not read/.test(service!.stderr()), 20_000, 'the slow client to be dropped');
    await until(() => logs === count, 20_000, `all ${count} log events on the fast client (got ${logs})`);
    slow.resume();
    let slowBytes = 0;
    slow.on('data', (d: Buffer) => (slowBytes += d.length));
    await until(() => slowClosed, 10_000, 'the slow connection to close');
    expect(slowBytes).toBeLessThan(count * 4_000);
    controller.abort();
    await reading;
    // Only the service's own JSON log lines reach stderr: no stack trace printed by the HTTP layer.
    const stray = service.stderr().split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
    expect(stray).toEqual([]);
  });

  it('keeps an /mcp/events client that reads when one event is larger than the whole queue, sending a truncated note in its place', async () => {
    const config = writeConfig(`
servers:
  fx: ${fixture()}
admin: { token: ${TOKEN} }
`);
    service = await startService(['--config', config]);
    const controller = new AbortController();
    const events = await api('/mcp/events', { signal: controller.signal });
    const reader = events.body!.getReader();
    let text = '';
    let ended = false;
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return void (ended = true);
        text += Buffer.from(value!).toString();
      }
    })();
    await until(() => text.includes('event: ready'), 10_000, 'the ready event');
    // One 1.5 MB log line: within limits.maxMessageBytes, past the 1 MiB queue of /mcp/events on its own.
    expect((await api('/mcp/call', { method: 'POST', body: JSON.stringify({ tool: 'fx__flood', arguments: { count: 1, size: 1_500_000 } }) })).status).toBe(200);
    expect((await api('/mcp/call', { method: 'POST', body: JSON.stringify({ tool: 'fx__flood', arguments: { count: 1, size: 10 } }) })).status).toBe(200);
    await until(() => /event: server\.log\ndata: \{"truncated":\d+\}/.test(text) || ended, 10_000, 'the truncated note');
    await until(() => text.includes('xxxxxxxxxx') || ended, 10_000, 'the next log event');
    expect(ended).toBe(false);
    expect(text).toMatch(/event: server\.log\ndata: \{"truncated":1\d{6}\}/);
    expect(service.stderr()).not.toMatch(/dropped an \/mcp\/events client/);
    controller.abort();
    await reading;
  });

  it('serves --inspect-port N: the bridge page at http://127.0.0.1:N/, the stream only to viewers with the generated admin token, without the config\'s secrets', async () => {
    const secret = 'inspect-env-SECRET-31';
    const config = writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files], env: { API_KEY: "\${INSPECT_SECRET}" } }
`);
    const stateDir = mkdtempSync(join(tmpdir(), 'sb-state-'));
    const port = await freePort();
    service = await startService(['--config', config, '--inspect-port', String(port)], { INSPECT_SECRET: secret, SWITCHBOARD_STATE_DIR: stateDir, SWITCHBOARD_ADMIN_TOKEN: '' });
    const page = /inspector: open (http:\/\/\S+)/.exec(service.stdout())![1]!;
    expect(page).toBe(`http://127.0.0.1:${port}/`);
    expect(service.stdout()).toMatch(/hosted Stately inspector, https:\/\/stately\.ai\/inspect, which needs the internet/);
    const bridge = await fetch(page);
    expect(bridge.status).toBe(200);
    expect(await bridge.text()).toContain('<iframe id="inspector"');
    const inspector = page.replace(/^http:/, 'ws:');
    const token = /admin token: (\S+)/.exec(service.stdout())![1]!;
    const open = (headers: Record<string, string>) =>
      new Promise<{ status?: number; ws?: WebSocket; text: () => string }>((resolve, reject) => {
        let text = '';
        const ws = new WebSocket(inspector, { headers });
        ws.on('message', (data) => (text += `${data.toString()}\n`));
        ws.once('open', () => resolve({ ws, text: () => text }));
        ws.once('unexpected-response', (_req, res) => {
          resolve({ status: res.statusCode ?? 0, text: () => text });
          ws.terminate();
        });
        ws.once('error', (error) => ws.readyState !== WebSocket.CLOSED && reject(error));
      });
    expect((await open({})).status).toBe(401);
    expect((await open({ authorization: 'Bearer not-the-token' })).status).toBe(401);
    const viewer = await open({ authorization: `Bearer ${token}` });
    await until(() => viewer.text().includes('"@xstate.actor"') && viewer.text().includes('"@xstate.snapshot"'), 10_000, 'inspection messages');
    expect(viewer.text()).toContain('serverConnection');
    expect(viewer.text()).not.toContain(secret);
    expect(viewer.text()).not.toContain(token);
    viewer.ws!.close();
  });
});

/** A port that was free a moment ago (the OS picks it; the service binds it right after). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
