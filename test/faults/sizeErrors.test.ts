import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
// @ts-expect-error plain JS fixture shared with the stdio child process
import { buildBigServer } from '../fixtures/bigAnswers.mjs';
import { FAST } from '../helpers/switchboard.js';

const BIG = fileURLToPath(new URL('../fixtures/bigAnswers.mjs', import.meta.url));
const MiB = 1024 * 1024;

/** The big-answers server over streamable HTTP, answering with JSON bodies or SSE streams. */
async function bigHttpServer(json: boolean): Promise<{ url: string; close: () => Promise<void> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const id = req.headers['mcp-session-id'] as string | undefined;
    let transport = id ? sessions.get(id) : undefined;
    if (!transport) {
      const created = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), enableJsonResponse: json, onsessioninitialized: (sid) => void sessions.set(sid, created) });
      await buildBigServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: async () => {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every answer over `limits.maxMessageBytes` is a ProtocolError, on every transport and method. */
describe('oversized answers to every method', () => {
  let sb: Switchboard | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    for (const close of closers.splice(0)) await close();
  });

  const targets = {
    stdio: async () => ({ transport: 'stdio', command: process.execPath, args: [BIG] }),
    'http json': async () => {
      const http = await bigHttpServer(true);
      closers.push(http.close);
      return { transport: 'http', url: http.url };
    },
    'http sse': async () => {
      const http = await bigHttpServer(false);
      closers.push(http.close);
      return { transport: 'http', url: http.url };
    },
  };
  const requests = {
    'resources/read': (s: Switchboard, bytes: number) => s.readResource(`big://${bytes}`, { server: 'big' }),
    'prompts/get': (s: Switchboard, bytes: number) => s.getPrompt('big', { bytes: String(bytes) }, { server: 'big' }),
  };

  for (const [over, target] of Object.entries(targets)) {
    for (const [method, request] of Object.entries(requests)) {
      it(`fails ${method} answered with 3 MiB over ${over} with ProtocolError under a 1 MiB cap, counted by the breaker`, async () => {
        sb = createSwitchboard({ servers: { big: (await target()) as never }, defaults: { ...FAST, limits: { maxMessageBytes: MiB }, timeouts: { ...FAST.timeouts, callMs: 20_000 } } as never });
        await sb.start();
        expect(sb.getServer('big')!.state).toBe('connected');
        await expect(request(sb, 3 * MiB)).rejects.toMatchObject({ code: 'ProtocolError', message: expect.stringContaining('limits.maxMessageBytes') });
        expect(sb.getServer('big')!.breaker!.failedCalls).toBe(1);
        // A small answer still works: the session was kept.
        await expect(request(sb, 10)).resolves.toBeDefined();
        expect(sb.getServer('big')).toMatchObject({ state: 'connected', reconnects: 0 });
      });
    }
  }
});
