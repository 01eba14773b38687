import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { FAST, until } from '../helpers/switchboard.js';

/** R3-4 probe: a ${VAR} header of an HTTP server that echoes it back in every failure. */

const SECRET = 'sk-r3-http-secret-9876543210';
let sb: Switchboard | undefined;
let server: Server | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

type Mode = '500' | '400-rpc' | '200-html' | '404-text' | '200-rpc-error' | 'sse-error';
async function echoing(mode: Mode): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const auth = String(req.headers.authorization ?? '');
      const id = (() => { try { return JSON.parse(body).id ?? null; } catch { return null; } })();
      if (mode === '500') return res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error for ${auth}`);
      if (mode === '404-text') return res.writeHead(404, { 'content-type': 'text/plain' }).end(`no such thing for ${auth}`);
      if (mode === '400-rpc') return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32600, message: `bad request from ${auth}` } }));
      if (mode === '200-html') return res.writeHead(200, { 'content-type': 'text/html' }).end(`<html>hello ${auth}</html>`);
      if (mode === '200-rpc-error') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32022, message: `unsupported for ${auth}`, data: { supported: ['2099-01-01'], auth } } }));
      return res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`event: message\ndata: not json ${auth}\n\n`);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

describe.each(['auto', '2026-07-28', '2025-11-25'])('HTTP header secrets under protocol %s', (protocol) => {
  it.each(['500', '400-rpc', '200-html', '404-text', '200-rpc-error', 'sse-error'] as const)('server echoing the header: %s', async (mode) => {
    const url = await echoing(mode);
    const seen: string[] = [];
    sb = createSwitchboard(
      { servers: { h: { transport: 'http', url, headers: { Authorization: 'Bearer ${R3_SECRET}' }, protocol, reconnect: { maxAttempts: 1 } } as never }, defaults: FAST as never },
      { env: { R3_SECRET: SECRET }, logger: { log: (level: string, message: string, fields?: unknown) => seen.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`) } } as never,
    );
    for (const type of ['server.stateChanged', 'server.log', 'error'] as const) sb.on(type, (e: unknown) => seen.push(JSON.stringify(e)));
    await sb.start();
    await until(() => sb!.getServer('h')!.lastError !== null, 10_000, 'an error');
    await new Promise((r) => setTimeout(r, 300));
    const all = [...seen, JSON.stringify(sb.listServers()), JSON.stringify(await sb.health().catch((e: Error) => e.message))].join('\n');
    expect(all).not.toContain(SECRET);
  });
});
