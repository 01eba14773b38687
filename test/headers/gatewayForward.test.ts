import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createGatewayHttpHandler } from '../../src/gateway/index.js';
import { createSwitchboard } from '../../src/index.js';
import { closeDownstreams, connectDownstream, ERAS } from '../gateway/eras.js';
import { stdioServer } from '../helpers/switchboard.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';
import { startRecorder } from './recorder.js';

/**
 * `gateway.forwardHeaders` (issue 23 item 4): `/mcp` passes the downstream request's headers named
 * there (names or globs) on to the upstream call, in both downstream eras; others stay behind, a
 * stdio upstream gets nothing (and its call still works).
 */

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await closeDownstreams();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function serve() {
  const up = await startV2HttpServer('h');
  cleanups.push(() => up.close());
  const rec = await startRecorder(up.url);
  cleanups.push(() => rec.close());
  const sb = createSwitchboard({
    servers: { h: { url: rec.url, protocol: '2025-11-25' }, local: stdioServer('local') },
    defaults: { health: { intervalMs: 0 } },
    gateway: { forwardHeaders: ['X-User-Id', 'x-tenant-*', 'content-type'] },
  } as never);
  cleanups.push(() => sb.stop());
  await sb.start();
  const gateway = createGateway(sb);
  cleanups.push(() => gateway.close());
  const handler = createGatewayHttpHandler(gateway);
  const http: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    http.closeAllConnections();
    http.close(() => resolve());
  }));
  const url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  return { rec, url };
}

describe.each(ERAS)('gateway.forwardHeaders over /mcp (%s downstream)', (era) => {
  it('passes the named headers on to that upstream call only', async () => {
    const { rec, url } = await serve();
    const headers = { 'X-User-Id': 'u-42', 'X-Tenant-Region': 'eu-1', 'X-Other': 'stay-home' };
    const host = await connectDownstream(era, { kind: 'http', url, headers });
    const before = rec.seen.length;
    const result = await host.callTool({ name: 'h__whoami', arguments: {} });
    expect(result.isError).toBeFalsy();
    await host.readResource({ uri: 'res://a' });
    const sent = rec.seen.slice(before).filter((r) => r.rpc === 'tools/call' || r.rpc === 'resources/read');
    expect(sent.map((r) => r.rpc)).toEqual(['tools/call', 'resources/read']);
    for (const r of sent) {
      expect(r.headers['x-user-id']).toBe('u-42');
      expect(r.headers['x-tenant-region']).toBe('eu-1');
      expect(r.headers['x-other']).toBeUndefined();
      // Named in forwardHeaders but owned by the transport: the upstream's own value stays.
      expect(r.headers['content-type']).toBe('application/json');
    }
    // The switchboard's own traffic (handshake, lists) carries none of them.
    expect(rec.seen.filter((r) => r.rpc !== 'tools/call' && r.rpc !== 'resources/read' && r.headers['x-user-id'] !== undefined)).toEqual([]);
    // A stdio upstream has no request to put them on: its call goes through without them.
    const local = await host.callTool({ name: 'local__whoami', arguments: {} });
    expect(local.isError).toBeFalsy();
  });
});
