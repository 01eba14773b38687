import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createGatewayHttpHandler } from '../../src/gateway/index.js';
import { createSwitchboard } from '../../src/index.js';
import { closeDownstreams, connectDownstream } from '../gateway/eras.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';
import { startRecorder } from '../headers/recorder.js';

/** Review of issue 23 part 4 at the gateway: `gateway.forwardHeaders` with broad globs. */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await closeDownstreams();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function serve(forwardHeaders: string[], upstream: Record<string, unknown> = {}) {
  const up = await startV2HttpServer('h');
  cleanups.push(() => up.close());
  const rec = await startRecorder(up.url);
  cleanups.push(() => rec.close());
  const sb = createSwitchboard({ servers: { h: { url: rec.url, protocol: '2025-11-25', ...upstream } }, defaults: { health: { intervalMs: 0 } }, gateway: { forwardHeaders } } as never);
  cleanups.push(() => sb.stop());
  await sb.start();
  const gateway = createGateway(sb);
  cleanups.push(() => gateway.close());
  const handler = createGatewayHttpHandler(gateway);
  const http: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  return { rec, url: new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`) };
}

const GATEWAY_TOKEN = 'Bearer review23-gateway-own-token-XYZ';

describe('review23: forwardHeaders globs', () => {
  it('forwardHeaders ["*"] never forwards the owned / hop-by-hop names, and the call still works', async () => {
    const { rec, url } = await serve(['*']);
    const host = await connectDownstream('legacy', { kind: 'http', url, headers: { 'X-User-Id': 'u-1', Cookie: 'sid=1', 'Proxy-Authorization': 'Basic x' } });
    const before = rec.seen.length;
    const result = await host.callTool({ name: 'h__whoami', arguments: {} });
    expect(result.isError).toBeFalsy();
    const call = rec.seen.slice(before).find((r) => r.rpc === 'tools/call')!;
    expect(call.headers['x-user-id']).toBe('u-1');
    expect(call.headers.cookie).toBeUndefined();
    expect(call.headers['proxy-authorization']).toBeUndefined();
    expect(call.headers.host).not.toBe(url.host);
  });

  it('forwardHeaders ["*"] does not hand the gateway\'s own Authorization (its /mcp credential) to the upstream', async () => {
    const { rec, url } = await serve(['*']);
    const host = await connectDownstream('legacy', { kind: 'http', url, headers: { Authorization: GATEWAY_TOKEN } });
    const before = rec.seen.length;
    await host.callTool({ name: 'h__whoami', arguments: {} });
    const call = rec.seen.slice(before).find((r) => r.rpc === 'tools/call')!;
    expect(call.headers.authorization).not.toBe(GATEWAY_TOKEN);
  });

  it('a forwarded header that the upstream config sets: the call fails InvalidRequest (documented), as a tool error', async () => {
    const { url } = await serve(['X-Api-Key'], { headers: { 'X-Api-Key': 'configured' } });
    const host = await connectDownstream('modern', { kind: 'http', url, headers: { 'X-Api-Key': 'from-user' } });
    const result = await host.callTool({ name: 'h__whoami', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).not.toContain('from-user');
    expect((result._meta as Record<string, { code: string }>)['mcp-switchboard/error']!.code).toBe('InvalidRequest');
  });
});
