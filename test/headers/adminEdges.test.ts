import { afterEach, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../src/server/app.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { runCli, writeConfig } from '../helpers/service.js';
import { stdioServer } from '../helpers/switchboard.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';

/** Review of issue 23: the admin API's search and headers, and the CLI's `tools --search` / `call --header`. */

const TOKEN = 'review23-admin-token-0123456789';
const lifecycle = { accepting: () => true, ready: () => true, begin: () => undefined, end: () => undefined };
const SECRET = 'review23-secret-tenant-value-QAZ';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

async function app(servers: Record<string, unknown>): Promise<{ sb: Switchboard; request: (path: string, init?: { method?: string; body?: unknown }) => Promise<Response> }> {
  const sb = createSwitchboard({ servers, defaults: { health: { intervalMs: 0 } } } as never);
  const admin = createAdminApp(sb, { token: TOKEN, allowedHosts: ['localhost'], redact: (t) => sb.redact(t), lifecycle });
  cleanups.push(() => sb.stop());
  cleanups.push(() => admin.close());
  await sb.start();
  const request = async (path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> =>
    admin.app.request(path, {
      method: init.method ?? 'GET',
      headers: { host: 'localhost', authorization: `Bearer ${TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  return { sb, request };
}

describe('review23: GET /mcp/tools/search', () => {
  it('a bad limit is a 400 JSON error with the API\'s InvalidRequest code (as every other bad input)', async () => {
    const { request } = await app({ files: stdioServer('files') });
    for (const limit of ['abc', '0', '-1', '1.5', '']) {
      const r = await request(`/mcp/tools/search?q=echo&limit=${limit}`);
      expect(r.status, limit).toBe(400);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.message).toMatch(/limit/);
      expect(body.error.code, limit).toBe('InvalidRequest');
    }
  });

  it('a huge limit is clamped, not an error; an unknown server is 404', async () => {
    const { request } = await app({ files: stdioServer('files') });
    const r = await request('/mcp/tools/search?q=echo&limit=100000');
    expect(r.status).toBe(200);
    expect(((await r.json()) as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
    expect((await request('/mcp/tools/search?q=echo&server=nosuch')).status).toBe(404);
  });

  it('an empty or missing q answers no tools (200), never every tool', async () => {
    const { request } = await app({ files: stdioServer('files') });
    for (const path of ['/mcp/tools/search', '/mcp/tools/search?q=', '/mcp/tools/search?q=%20%20']) {
      const r = await request(path);
      expect([200, 400]).toContain(r.status);
      if (r.status === 200) expect(((await r.json()) as { tools: unknown[] }).tools).toEqual([]);
    }
  });
});

describe('review23: POST /mcp/call headers of the wrong shape', () => {
  it('headers that are not an object of strings are a 400 JSON error naming the key', async () => {
    const { request } = await app({ files: stdioServer('files') });
    for (const headers of ['x', 5, ['a'], { 'X-A': 5 }, { 'X-A': null }, { 'X-A': { b: 1 } }, null]) {
      const r = await request('/mcp/call', { method: 'POST', body: { tool: 'files__echo', arguments: { text: 'x' }, headers } });
      expect(r.status, JSON.stringify(headers)).toBe(400);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('InvalidRequest');
      expect(body.error.message, JSON.stringify(headers)).toMatch(/^headers/);
    }
  });

  it('a CRLF value is a 400 that does not print the value; an http server never sees it', async () => {
    const up = await startV2HttpServer('h');
    cleanups.push(() => up.close());
    const { request } = await app({ h: { url: up.url } });
    const before = up.state.requests;
    const r = await request('/mcp/call', { method: 'POST', body: { tool: 'h__echo', arguments: { text: 'x' }, headers: { 'X-T': `${SECRET}\r\nX-Evil: 1` } } });
    expect(r.status).toBe(400);
    const text = await r.text();
    expect(text).not.toContain(SECRET);
    expect(up.state.requests).toBe(before);
  });

  it('a non-ByteString value through the admin API is a 400 InvalidRequest, not a 5xx / breaker failure', async () => {
    const up = await startV2HttpServer('h');
    cleanups.push(() => up.close());
    const { request, sb } = await app({ h: { url: up.url } });
    const r = await request('/mcp/call', { method: 'POST', body: { tool: 'h__echo', arguments: { text: 'x' }, headers: { 'X-T': 'naïve ☃' } } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('InvalidRequest');
    expect(sb.getServer('h')?.breaker?.state ?? 'closed').toBe('closed');
  });
});

describe('review23: the CLI', () => {
  const config = () => writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${stdioServer('files').args[0]}", files] }
`);

  it('tools --search with no query is a usage error (exit 2), not a crash or a full list', async () => {
    const r = await runCli(['tools', '--search', '--config', config()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/search/);
  });

  it('tools --search "" (an empty query) prints no rows or is a usage error, never every tool', async () => {
    const r = await runCli(['tools', '--search', '', '--config', config(), '--json']);
    if (r.code === 0) expect((JSON.parse(r.stdout) as { tools: unknown[] }).tools).toEqual([]);
    else expect(r.code).toBe(2);
  });

  it('call --header without "=" is a usage error (exit 2) naming --header, and never prints the value', async () => {
    const r = await runCli(['call', 'echo', '--args', '{"text":"x"}', '--header', SECRET, '--config', config()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--header/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('call --header with an invalid name or a stdio server: exit 2, value never printed', async () => {
    const bad = await runCli(['call', 'echo', '--args', '{"text":"x"}', '--header', `Bad Name=${SECRET}`, '--config', config()]);
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).not.toContain(SECRET);
    const stdio = await runCli(['call', 'echo', '--args', '{"text":"x"}', '--header', `X-T=${SECRET}`, '--config', config()]);
    expect(stdio.code).toBe(2);
    expect(stdio.stdout + stdio.stderr).not.toContain(SECRET);
  });

  it('call --header "X-T=a=b" keeps everything after the first = as the value (no crash)', async () => {
    const r = await runCli(['call', 'echo', '--args', '{"text":"x"}', '--header', `X-T=${SECRET}=tail`, '--config', config()]);
    // stdio server: refused with exit 2, the value never printed.
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});
