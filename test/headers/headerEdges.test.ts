import { afterEach, describe, expect, it } from 'vitest';
import { headersProblem } from '../../src/calls/headers.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { recordEvents } from '../helpers/switchboard.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';
import { startRecorder, type Recorder } from '../headers/recorder.js';

/** Review of issue 23 part 4: per-call headers, attacked at the edges (unit, then a real HTTP server behind a recording proxy). */

const HTTP = { transport: 'http' };
const problem = (headers: Record<string, unknown>) => headersProblem('h', HTTP, headers as Record<string, string>);

describe('review23: headersProblem', () => {
  it('refuses CR, LF and NUL in a value, and CRLF in a name, naming the header but never the value', () => {
    for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb', 'a\0b']) {
      const e = problem({ 'X-User': value });
      expect(e?.code).toBe('InvalidRequest');
      expect(e!.message).toContain('X-User');
      expect(e!.message).not.toContain(value);
    }
    expect(problem({ 'X-User\r\nX-Evil': 'v' })?.code).toBe('InvalidRequest');
    expect(problem({ 'X User': 'v' })?.code).toBe('InvalidRequest');
    expect(problem({ '': 'v' })?.code).toBe('InvalidRequest');
  });

  it('refuses every case variant of an owned name', () => {
    for (const name of ['content-TYPE', 'CONTENT-LENGTH', 'Host', 'mcp-SESSION-id', 'Mcp-Param-Foo', 'MCP-PARAM-x', 'Transfer-Encoding', 'COOKIE', 'Last-Event-ID', 'Accept']) {
      expect(problem({ [name]: 'v' })?.code, name).toBe('InvalidRequest');
    }
  });

  it('a configured header in another case is a conflict; auth makes Authorization one in any case', () => {
    expect(headersProblem('h', { transport: 'http', headers: { 'X-Api-Key': 'k' } }, { 'x-api-KEY': 'v' })?.code).toBe('InvalidRequest');
    expect(headersProblem('h', { transport: 'sse', auth: { type: 'bearer' } }, { AUTHORIZATION: 'v' })?.code).toBe('InvalidRequest');
    expect(headersProblem('h', { transport: 'http' }, { Authorization: 'Bearer user' })).toBeNull();
  });

  it('a value of a non-string type is refused by name', () => {
    for (const value of [1, null, ['a'], { a: 1 }, true]) expect(problem({ 'X-User': value })?.code).toBe('InvalidRequest');
  });

  it('a value fetch cannot send (a character above U+00FF, other control characters) is refused before admission', () => {
    // undici's Headers take ByteStrings: "€" (U+20AC) cannot be sent; refusing it up front is the
    // only way the caller gets InvalidRequest instead of a transport failure.
    expect(problem({ 'X-User': 'Zoë €' })?.code).toBe('InvalidRequest');
    expect(problem({ 'X-User': 'emoji 😀' })?.code).toBe('InvalidRequest');
  });

  it('headers on stdio are a typed error naming the transport', () => {
    const e = headersProblem('s', { transport: 'stdio' }, { 'X-User': 'v' });
    expect(e?.code).toBe('InvalidRequest');
    expect(e!.message).toMatch(/stdio/);
    expect(headersProblem('s', { transport: 'stdio' }, {})).toBeNull();
  });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function behind(): Promise<{ sb: Switchboard; rec: Recorder }> {
  const up = await startV2HttpServer('h');
  cleanups.push(() => up.close());
  const rec = await startRecorder(up.url);
  cleanups.push(() => rec.close());
  const sb = createSwitchboard({ servers: { h: { url: rec.url, protocol: '2025-11-25' } }, defaults: { health: { intervalMs: 0 } } } as never);
  cleanups.push(() => sb.stop());
  await sb.start();
  return { sb, rec };
}

describe('review23: per-call headers against a real HTTP server', () => {
  it('a non-ByteString value fails that call with InvalidRequest and leaves the server connected and callable', async () => {
    const { sb } = await behind();
    const events = recordEvents(sb);
    const error = (await sb.callTool('whoami', {}, { headers: { 'X-User': 'Zoë €uro' } }).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('InvalidRequest');
    expect(error.message).not.toContain('€uro');
    expect(sb.getServer('h')?.state).toBe('connected');
    expect(sb.getServer('h')?.breaker?.failedCalls ?? 0).toBe(0);
    expect((await sb.callTool('echo', { text: 'after' })).isError).toBeFalsy();
    expect(events.filter((e) => e.type === 'server.stateChanged')).toEqual([]);
  });

  it('callers sending non-ByteString values cannot open the breaker for everyone (6 such calls, then a plain call works)', async () => {
    const { sb } = await behind();
    const events = recordEvents(sb);
    for (let i = 0; i < 6; i++) await sb.callTool('whoami', {}, { headers: { 'X-User': '😀' } }).catch(() => undefined);
    expect(events.filter((e) => e.type === 'server.stateChanged')).toEqual([]);
    expect(sb.getServer('h')?.breaker?.state).toBe('closed');
    // Another user's ordinary call must not be refused with CircuitOpen.
    expect((await sb.callTool('echo', { text: 'after' })).isError).toBeFalsy();
  });

  it('a 64 KB value reaches the server (or fails that call only) and is never in the error', async () => {
    const { sb, rec } = await behind();
    const big = 'v'.repeat(65_536);
    const outcome = await sb.callTool('whoami', {}, { headers: { 'X-Big': big } }).then(
      () => 'ok',
      (e: unknown) => e as Error,
    );
    if (outcome !== 'ok') expect((outcome as Error).message).not.toContain(big.slice(0, 64));
    else expect(rec.seen.some((r) => r.headers['x-big'] === big)).toBe(true);
    expect(sb.getServer('h')?.state).toBe('connected');
    expect((await sb.callTool('echo', { text: 'after' })).isError).toBeFalsy();
  });

  it('a value with surrounding spaces and a tab inside is sent (trimmed by HTTP) and no header is injected', async () => {
    const { sb, rec } = await behind();
    await sb.callTool('whoami', {}, { headers: { 'X-User': '  a\tb  ' } });
    const call = rec.seen.find((r) => r.rpc === 'tools/call' && r.headers['x-user'] !== undefined)!;
    expect(call.headers['x-user']).toBe('a\tb');
  });

  it('a short header value does not garble unrelated error text (values under the secret minimum are not masked letter by letter)', async () => {
    const { sb } = await behind();
    const error = (await sb.callTool('nosuchtool_zz', {}, { server: 'h', headers: { 'X-Tenant': 'o' } }).catch((e: unknown) => e)) as Error;
    // The tool name "nosuchtool_zz" must stay readable in the message.
    expect(error.message).toContain('nosuchtool_zz');
  });

  it('a short value quoted by the server in its error: the rest of the message stays readable', async () => {
    const { sb } = await behind();
    const error = (await sb.callTool('whoami', {}, { headers: { 'x-echo-error': 'e' } }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/caller header/);
  });
});
