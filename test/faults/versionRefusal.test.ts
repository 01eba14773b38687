import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { classifyConnectError } from '../../src/protocol/v1/classify.js';
import { FAST, recordEvents } from '../helpers/switchboard.js';

const FRAMING = fileURLToPath(new URL('../fixtures/framingServer.mjs', import.meta.url));

/** An HTTP MCP endpoint that answers every initialize with a version refusal, counting them. */
async function refusingHttpServer(status: 200 | 400, padBytes = 0): Promise<{ url: string; initializes: () => number; close: () => Promise<void> }> {
  let initializes = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number; method?: string }) : {};
    if (body.method !== 'initialize') {
      res.writeHead(405).end();
      return;
    }
    initializes++;
    const data = { supported: ['2026-07-28'], requested: '2025-11-25', ...(padBytes ? { pad: 'x'.repeat(padBytes) } : {}) };
    const error = { code: -32022, message: 'Unsupported protocol version', data };
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body.id, error }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    initializes: () => initializes,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A version refusal is non-retryable: the server goes to `error` at once, without re-spawning. */
describe('protocol version refusals', () => {
  let sb: Switchboard | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    for (const close of closers.splice(0)) await close();
  });

  const stdioCases = [
    { mode: 'refuse-32022', offers: 'it offers 2026-07-28' },
    { mode: 'refuse-32022-bare', offers: 'did not say which versions it offers' },
    { mode: 'refuse-32602', offers: 'it offers 2024-11-05' },
  ];
  for (const { mode, offers } of stdioCases) {
    it(`sends a stdio server that refuses initialize (${mode}) to error after one spawn`, async () => {
      sb = createSwitchboard({ servers: { modern: { transport: 'stdio', command: process.execPath, args: [FRAMING, mode] } as never }, defaults: FAST as never });
      const events = recordEvents(sb);
      await sb.start();
      const server = sb.getServer('modern')!;
      expect(server).toMatchObject({ state: 'error', lastError: { code: 'UnsupportedProtocolVersion', retryable: false } });
      expect(server.lastError!.message).toContain(offers);
      expect([...server.stderrTail.matchAll(/framing pid \d+ up/g)]).toHaveLength(1);
      expect(events.filter((e) => e.type === 'server.stateChanged' && e.to === 'connecting')).toHaveLength(1);
      await expect(sb.callTool('modern__do')).rejects.toMatchObject({ code: 'ServerUnavailable' });
    });
  }

  for (const status of [200, 400] as const) {
    it(`sends an HTTP server that refuses initialize with -32022 (HTTP ${status}) to error after one attempt`, async () => {
      const http = await refusingHttpServer(status);
      closers.push(http.close);
      sb = createSwitchboard({ servers: { modern: { transport: 'http', url: http.url } as never }, defaults: FAST as never });
      await sb.start();
      expect(sb.getServer('modern')).toMatchObject({ state: 'error', lastError: { code: 'UnsupportedProtocolVersion', retryable: false } });
      expect(sb.getServer('modern')!.lastError!.message).toContain('it offers 2026-07-28');
      expect(http.initializes()).toBe(1);
    });
  }

  it('recognizes a refusal in an HTTP 400 body padded past 64 KiB, up to limits.maxMessageBytes', async () => {
    const http = await refusingHttpServer(400, 200 * 1024);
    closers.push(http.close);
    sb = createSwitchboard({ servers: { modern: { transport: 'http', url: http.url } as never }, defaults: { ...FAST, limits: { maxMessageBytes: 1024 * 1024 } } as never });
    await sb.start();
    expect(sb.getServer('modern')).toMatchObject({ state: 'error', lastError: { code: 'UnsupportedProtocolVersion', retryable: false } });
    expect(sb.getServer('modern')!.lastError!.message).toContain('it offers 2026-07-28');
    expect(http.initializes()).toBe(1);
  });

  it('searches an error body for a refusal up to the given limits.maxMessageBytes (10 MiB by default)', () => {
    const body = (pad: number) => JSON.stringify({ jsonrpc: '2.0', id: 0, error: { code: -32022, message: 'x', data: { pad: 'x'.repeat(pad) } } });
    const padded = new StreamableHTTPError(400, `Error POSTing to endpoint: ${body(3 * 1024 * 1024)}`);
    expect(classifyConnectError(padded)).toMatchObject({ code: 'UnsupportedProtocolVersion', retryable: false });
    expect(classifyConnectError(padded, undefined, 4 * 1024 * 1024).code).toBe('UnsupportedProtocolVersion');
    expect(classifyConnectError(padded, undefined, 1024 * 1024).code).not.toBe('UnsupportedProtocolVersion');
  });

  it('classifies every form of refusal as non-retryable UnsupportedProtocolVersion, and nothing else', () => {
    const refusals = [
      new McpError(-32022, 'Unsupported protocol version', { supported: ['2026-07-28'] }),
      new McpError(-32602, 'Unsupported protocol version'),
      new StreamableHTTPError(400, 'Error POSTing to endpoint: {"jsonrpc":"2.0","id":0,"error":{"code":-32022,"message":"x"}}'),
      new Error('Error POSTing to endpoint (HTTP 400): Bad Request: Unsupported protocol version'),
      new Error("Server's protocol version is not supported: 1999-01-01"),
    ];
    for (const error of refusals) expect(classifyConnectError(error)).toMatchObject({ code: 'UnsupportedProtocolVersion', retryable: false });
    const others = [new McpError(-32602, 'Invalid params'), new StreamableHTTPError(400, 'Error POSTing to endpoint: bad'), new Error('boom')];
    for (const error of others) expect(classifyConnectError(error).code).not.toBe('UnsupportedProtocolVersion');
  });
});
