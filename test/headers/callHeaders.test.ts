import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { startSseServer, type TestHttpServer } from '../helpers/httpServers.js';
import { recordEvents, stdioServer, until } from '../helpers/switchboard.js';
import { startV2HttpServer, type V2HttpServer } from '../helpers/v2Servers.js';
import { startRecorder, type Recorder } from './recorder.js';

/**
 * Per-call headers (issue 23 item 4): `callTool`/`readResource`/`getPrompt` take `{ headers }`
 * that go on that call's HTTP request only, on http servers of both eras and sse servers, seen by
 * a recording proxy in front of a real server; a stdio server refuses them before anything is
 * sent; names the transport owns or the config sets are refused; values never show in errors or events.
 */

const SECRET = 'user-7f3a9c-token-QWERTY';
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function v2Behind(options: { modernOnly?: boolean } = {}): Promise<{ up: V2HttpServer; rec: Recorder }> {
  const up = await startV2HttpServer('h', options);
  cleanups.push(() => up.close());
  const rec = await startRecorder(up.url);
  cleanups.push(() => rec.close());
  return { up, rec };
}

async function started(servers: Record<string, unknown>): Promise<Switchboard> {
  const sb = createSwitchboard({ servers, defaults: { health: { intervalMs: 0 } } } as never);
  cleanups.push(() => sb.stop());
  await sb.start();
  return sb;
}

const ERAS = [
  { era: 'legacy', protocol: '2025-11-25', modernOnly: false },
  { era: 'modern', protocol: '2026-07-28', modernOnly: true },
] as const;

describe.each(ERAS)('per-call headers over streamable HTTP ($era)', ({ era, protocol, modernOnly }) => {
  it('go on that call only: not on initialize, lists or another call', async () => {
    const { rec } = await v2Behind({ modernOnly });
    const sb = await started({ h: { url: rec.url, protocol } });
    expect(sb.getServer('h')?.state).toBe('connected');
    expect(sb.getServer('h')?.protocol?.era).toBe(era);
    const before = rec.seen.length;
    const tagged = await sb.callTool('whoami', {}, { headers: { 'X-User-Token': SECRET } });
    expect(tagged.isError).toBeFalsy();
    await sb.callTool('echo', { text: 'plain' });
    const calls = rec.seen.slice(before).filter((r) => r.rpc === 'tools/call');
    expect(calls.map((r) => r.tool)).toEqual(['whoami', 'echo']);
    expect(calls[0]!.headers['x-user-token']).toBe(SECRET);
    expect(calls[1]!.headers['x-user-token']).toBeUndefined();
    // Nothing else the session sent (handshake, lists, streams) carried it.
    expect(rec.seen.filter((r) => r.headers['x-user-token'] !== undefined)).toHaveLength(1);
  });

  it('calls in flight together each carry their own headers, or none', async () => {
    const { rec } = await v2Behind({ modernOnly });
    const sb = await started({ h: { url: rec.url, protocol } });
    // The slow call is still open (its POST's answer pending) while the others are sent.
    const slow = sb.callTool('slow', { ms: 400 }, { headers: { 'x-user-token': 'slow-user' } });
    await until(() => rec.seen.some((r) => r.tool === 'slow'), 5_000, 'the slow call to arrive');
    await sb.callTool('echo', { text: 'bare' });
    await sb.callTool('whoami', {}, { headers: { 'x-user-token': 'other-user' } });
    await slow;
    const calls = rec.seen.filter((r) => r.rpc === 'tools/call').map((r) => [r.tool, r.headers['x-user-token']]);
    expect(calls).toEqual([
      ['slow', 'slow-user'],
      ['echo', undefined],
      ['whoami', 'other-user'],
    ]);
  });

  it('go on readResource and getPrompt requests too', async () => {
    const { rec } = await v2Behind({ modernOnly });
    const sb = await started({ h: { url: rec.url, protocol } });
    await sb.readResource('res://a', { headers: { 'x-tenant': 'acme-1' } });
    await sb.getPrompt('plain', {}, { headers: { 'x-tenant': 'acme-2' } });
    const tagged = rec.seen.filter((r) => r.headers['x-tenant'] !== undefined).map((r) => [r.rpc, r.headers['x-tenant']]);
    expect(tagged).toEqual([
      ['resources/read', 'acme-1'],
      ['prompts/get', 'acme-2'],
    ]);
  });

  it('a value the server quotes in its error is masked there and in call.completed', async () => {
    const { rec } = await v2Behind({ modernOnly });
    const sb = await started({ h: { url: rec.url, protocol } });
    const events = recordEvents(sb);
    const error = (await sb.callTool('whoami', {}, { headers: { 'x-echo-error': SECRET } }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(rec.seen.some((r) => r.headers['x-echo-error'] === SECRET)).toBe(true);
    expect(error.message).toContain('bad caller header');
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(events)).toContain('call.completed');
  });
});

describe('per-call headers over legacy SSE', () => {
  let up: TestHttpServer;
  it('go on that call POST only', async () => {
    up = await startSseServer('s');
    cleanups.push(() => up.close());
    const rec = await startRecorder(up.url);
    cleanups.push(() => rec.close());
    const sb = await started({ s: { url: rec.url, transport: 'sse' } });
    await sb.callTool('whoami', {}, { headers: { 'x-user-token': SECRET } });
    await sb.callTool('whoami');
    const calls = rec.seen.filter((r) => r.rpc === 'tools/call');
    expect(calls.map((r) => r.headers['x-user-token'])).toEqual([SECRET, undefined]);
    expect(rec.seen.filter((r) => r.headers['x-user-token'] !== undefined)).toHaveLength(1);
  });
});

describe('per-call headers refused', () => {
  it('on a stdio server: InvalidRequest naming the server, nothing sent, the value nowhere', async () => {
    const sb = await started({ local: stdioServer('local') });
    const events = recordEvents(sb);
    const error = (await sb.callTool('whoami', {}, { headers: { 'x-user-token': SECRET } }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('InvalidRequest');
    expect(error.message).toContain('"local"');
    expect(error.message).toContain('http or sse');
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    // Without headers the same call goes through: the refusal was the headers'.
    expect((await sb.callTool('whoami')).isError).toBeFalsy();
  });

  it('names the transport owns, hop-by-hop ones, bad names and configured ones', async () => {
    const { rec } = await v2Behind();
    const sb = await started({ h: { url: rec.url, protocol: '2025-11-25', headers: { 'X-Api-Key': 'configured-key-123' } } });
    const before = rec.seen.length;
    const refuse = async (headers: Record<string, string>, words: string) => {
      const error = (await sb.callTool('whoami', {}, { headers }).catch((e: unknown) => e)) as { code: string; message: string };
      expect(error.code, JSON.stringify(Object.keys(headers))).toBe('InvalidRequest');
      expect(error.message).toContain(words);
      for (const value of Object.values(headers)) expect(error.message).not.toContain(value);
    };
    await refuse({ 'Content-Type': 'text/evil-1' }, 'set by the transport');
    await refuse({ 'mcp-session-id': 'stolen-session-2' }, 'set by the transport');
    await refuse({ 'MCP-Protocol-Version': 'fake-version-3' }, 'set by the transport');
    await refuse({ Host: 'evil.example-4' }, 'set by the transport');
    await refuse({ 'Transfer-Encoding': 'chunked-5' }, 'set by the transport');
    await refuse({ 'bad name': 'spaced-value-6' }, 'not a valid HTTP header name');
    await refuse({ 'x-api-key': 'override-attempt-7' }, 'conflicts with server "h"');
    await refuse({ 'x-ok': 'line\r\nInjected: 8' }, 'line break');
    expect(rec.seen.slice(before).filter((r) => r.rpc === 'tools/call')).toHaveLength(0);
  });

  it('Authorization under configured auth: refused, the configured credentials win', async () => {
    const { rec } = await v2Behind();
    const sb = await started({ h: { url: rec.url, protocol: '2025-11-25', headers: { Authorization: 'Bearer configured-abc' } } });
    const error = (await sb.callTool('whoami', {}, { headers: { authorization: 'Bearer per-user-xyz' } }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('InvalidRequest');
    expect(error.message).not.toContain('per-user-xyz');
    // Without a configured one, a per-user Authorization goes on that call.
    const { rec: bare } = await v2Behind();
    const sb2 = await started({ b: { url: bare.url, protocol: '2025-11-25' } });
    await sb2.callTool('whoami', {}, { headers: { authorization: 'Bearer per-user-xyz' } });
    expect(bare.seen.filter((r) => r.rpc === 'tools/call').map((r) => r.headers.authorization)).toEqual(['Bearer per-user-xyz']);
    expect(bare.seen.filter((r) => r.headers.authorization !== undefined)).toHaveLength(1);
  });
});
