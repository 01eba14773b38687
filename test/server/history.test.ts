import { afterEach, describe, expect, it } from 'vitest';
import type { HistorySnapshot } from '../../src/events/index.js';
import { createAdminApp } from '../../src/server/app.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { consoleServer } from '../events/consoleServer.js';
import { stdioServer, until } from '../helpers/switchboard.js';

const TOKEN = 'history-test-token-0123456789';
const lifecycle = { accepting: () => true, ready: () => true, begin: () => undefined, end: () => undefined };
const MINUTE = 60_000;

/** One server-sent message as it arrived: its fields and whether it had an `id:` line. */
interface Message {
  event: string;
  data: string;
  id?: number;
}

/**
 * The admin app over a real switchboard with the in-memory console server `c`, created before
 * `start()` as `serve` does, on a wall clock that moves only when told.
 */
async function startApp(config: Parameters<typeof createSwitchboard>[0] = { servers: {} }, options: Parameters<typeof createSwitchboard>[1] = {}, heartbeatMs?: number) {
  const sb = createSwitchboard(config, { ...options, transports: { c: consoleServer('c'), ...options.transports } });
  let t = Date.UTC(2026, 0, 5, 9, 30, 15);
  const admin = createAdminApp(sb, {
    token: TOKEN,
    allowedHosts: ['localhost'],
    redact: (text) => sb.redact(text),
    lifecycle,
    now: () => t,
    ...(heartbeatMs ? { heartbeatMs } : {}),
  });
  await sb.start();
  const request = (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) =>
    admin.app.request(path, {
      method: init.method ?? 'GET',
      headers: {
        host: 'localhost',
        ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? TOKEN}` }),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  const post = (path: string, body: unknown) => request(path, { method: 'POST', body });
  const history = async () => (await (await request('/mcp/history')).json()) as HistorySnapshot;
  return { sb, app: admin, request, post, history, advance: (ms: number) => void (t += ms), now: () => t };
}

/** Reads `/mcp/events` into messages (and its raw text) until closed. */
async function openEvents(request: (path: string) => Response | Promise<Response>) {
  const response = await request('/mcp/events');
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  let text = '';
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return;
      text += Buffer.from(value).toString();
    }
  })();
  const messages = (): Message[] =>
    text
      .split('\n\n')
      .slice(0, -1)
      .map((block) => {
        const message: Message = { event: '', data: '' };
        for (const line of block.split('\n')) {
          const [field, value] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)];
          if (field === 'event') message.event = value;
          else if (field === 'data') message.data = value;
          else if (field === 'id') message.id = Number(value);
        }
        return message;
      });
  await until(() => text.includes('event: ready'), 5_000, 'the stream to open');
  return { messages, text: () => text, close: () => reader.cancel().then(() => reading) };
}

describe('GET /mcp/history', () => {
  let running: { sb: Switchboard; app: { close(): void } } | undefined;
  afterEach(async () => {
    running?.app.close();
    await running?.sb.stop();
    running = undefined;
  });
  const start = async (...args: Parameters<typeof startApp>) => {
    const app = await startApp(...args);
    running = app;
    return app;
  };

  it('needs the token', async () => {
    const { request } = await start();
    expect((await request('/mcp/history', { token: null })).status).toBe(401);
    expect((await request('/mcp/history', { token: 'wrong-token-0123456789' })).status).toBe(401);
    const answer = await request('/mcp/history');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('shows the state transitions that happened before the request, numbered and timed', async () => {
    const { sb, history, advance, now } = await start();
    advance(MINUTE);
    sb.reconnect('c');
    await until(() => sb.getServer('c')?.state === 'connected', 5_000, 'c to reconnect');
    const snapshot = await history();
    const transitions = snapshot.events.filter((e) => e.type === 'server.stateChanged' && e.event.server === 'c');
    // The first connect (before start() resolved) and the reconnect, in order.
    expect(transitions.map((e) => `${e.event.from}->${e.event.to}`)).toEqual(['disconnected->connecting', 'connecting->connected', 'connected->connecting', 'connecting->connected']);
    expect(transitions.map((e) => e.at)).toEqual([now() - MINUTE, now() - MINUTE, now(), now()]);
    const seqs = snapshot.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(snapshot.seq).toBeGreaterThanOrEqual(seqs.at(-1)!);
    expect(snapshot.now).toBe(now());
    expect(snapshot.bucketMs).toBe(MINUTE);
  });

  it('marks calls made with source live-view in its calls and in their call.completed events', async () => {
    const { request, post, history, now } = await start();
    const stream = await openEvents(request);
    expect((await post('/mcp/call', { tool: 'c__echo', arguments: { text: 'hi' }, source: 'live-view' })).status).toBe(200);
    expect((await post('/mcp/call', { tool: 'c__echo', arguments: { text: 'plain' } })).status).toBe(200);
    expect((await post('/mcp/prompts/get', { name: 'greet', arguments: { who: 'Ada' }, source: 'live-view' })).status).toBe(200);
    expect((await post('/mcp/resources/read', { uri: 'fixture://readme', source: 'live-view' })).status).toBe(200);
    expect((await post('/mcp/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'A' }, source: 'live-view' })).status).toBe(200);
    expect((await post('/mcp/call', { tool: 'c__fail', source: 'live-view' })).status).toBe(200);

    await until(() => stream.messages().filter((m) => m.event === 'call.completed').length === 6, 5_000, 'six call.completed events');
    const completed = stream.messages().filter((m) => m.event === 'call.completed').map((m) => JSON.parse(m.data) as Record<string, unknown>);
    expect(completed.map((e) => [e.kind, e.source])).toEqual([
      ['tool', 'live-view'],
      ['tool', undefined],
      ['prompt', 'live-view'],
      ['resource', 'live-view'],
      ['completion', 'live-view'],
      ['tool', 'live-view'],
    ]);
    expect('source' in completed[1]!).toBe(false);

    const { calls, activity } = await history();
    expect(calls.map((c) => [c.server, c.kind, c.tool, c.ok, c.isError ?? false, c.source ?? null])).toEqual([
      ['c', 'tool', 'echo', true, false, 'live-view'],
      ['c', 'tool', 'echo', true, false, null],
      ['c', 'prompt', 'greet', true, false, 'live-view'],
      ['c', 'resource', 'fixture://readme', true, false, 'live-view'],
      ['c', 'completion', 'greet', true, false, 'live-view'],
      ['c', 'tool', 'fail', true, true, 'live-view'],
    ]);
    expect(calls.every((c) => c.at === now())).toBe(true);
    // No arguments and no results: nothing a call carried ends up in the history.
    const text = JSON.stringify(calls);
    expect(text).not.toContain('plain');
    expect(text).not.toContain('Hello, Ada');
    expect(activity.c!.calls.at(-1)).toBe(6);
    expect(activity.c!.errors.at(-1)).toBe(1);
    expect(activity.c!.calls).toHaveLength(30);
    expect(activity.c!.recentMs).toHaveLength(6);
    await stream.close();
  });

  it('refuses a source that is not a short label, with 400 naming it', async () => {
    const { post } = await start();
    const bodies: [string, Record<string, unknown>][] = [
      ['/mcp/call', { tool: 'c__echo', arguments: { text: 'hi' } }],
      ['/mcp/prompts/get', { name: 'greet', arguments: { who: 'Ada' } }],
      ['/mcp/resources/read', { uri: 'fixture://readme' }],
      ['/mcp/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'A' } }],
    ];
    for (const [path, body] of bodies) {
      for (const source of ['live view', '', 'x'.repeat(65), 'a/b', 42]) {
        const answer = await post(path, { ...body, source });
        const error = ((await answer.json()) as { error: { code: string; message: string } }).error;
        expect({ path, source, status: answer.status, code: error.code, named: error.message.startsWith('source:') }).toEqual({ path, source, status: 400, code: 'InvalidRequest', named: true });
      }
      expect({ path, status: (await post(path, { ...body, source: `Ab9._-${'x'.repeat(58)}` })).status }).toEqual({ path, status: 200 });
    }
  });

  it('numbers /mcp/events messages with id lines equal to their seq in the history', async () => {
    const { sb, request, post, history } = await start(undefined, undefined, 20);
    const stream = await openEvents(request);
    await post('/mcp/call', { tool: 'c__say', arguments: { text: 'first line' } });
    await post('/mcp/call', { tool: 'c__echo', arguments: { text: 'hi' } });
    sb.reconnect('c');
    await until(() => sb.getServer('c')?.state === 'connected', 5_000, 'c to reconnect');
    await post('/mcp/call', { tool: 'c__say', arguments: { text: 'second line' } });
    await until(() => stream.messages().filter((m) => m.event === 'server.log').length === 2, 5_000, 'two log events');
    await until(() => stream.messages().some((m) => m.event === 'heartbeat'), 5_000, 'a heartbeat');

    const messages = stream.messages();
    // ready and heartbeat are not events of the history: no id.
    expect(messages.filter((m) => m.event === 'ready' || m.event === 'heartbeat').every((m) => m.id === undefined)).toBe(true);
    const numbered = messages.filter((m) => m.event !== 'ready' && m.event !== 'heartbeat');
    // Two log lines, three calls, two transitions of the reconnect.
    expect(numbered.map((m) => m.event).sort()).toEqual([...Array(3).fill('call.completed'), ...Array(2).fill('server.log'), ...Array(2).fill('server.stateChanged')]);
    const ids = numbered.map((m) => m.id!);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    const snapshot = await history();
    const kept = new Map<number, { type: string; event: Record<string, unknown> }>();
    for (const e of [...snapshot.events, ...snapshot.logs]) kept.set(e.seq, e);
    for (const { seq, at: _at, ...call } of snapshot.calls) kept.set(seq, { type: 'call.completed', event: call });
    for (const message of numbered) {
      const entry = kept.get(message.id!);
      expect({ id: message.id, type: entry?.type }).toEqual({ id: message.id, type: message.event });
      const data = JSON.parse(message.data) as Record<string, unknown>;
      if (message.event === 'call.completed') expect(data).toMatchObject(entry!.event);
      else expect(data).toEqual(entry!.event);
    }
    expect(snapshot.seq).toBe(ids.at(-1));
    await stream.close();
  });

  it('never shows a secret of the config, even one a server sends or a caller gives as source', async () => {
    const ENV_SECRET = 'env-SECRET-history-1';
    const HEADER_SECRET = 'header-SECRET-history-2';
    const { sb, request, post } = await start(
      {
        servers: {
          files: stdioServer('files', undefined, { env: { API_KEY: '${API_KEY_VALUE}' } }),
          // Never reachable (port 9 discards): its header value is a secret of the config all the same.
          web: { transport: 'http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Api-Key': '${HEADER_VALUE}' }, timeouts: { connectMs: 500 } },
        },
      },
      { env: { API_KEY_VALUE: ENV_SECRET, HEADER_VALUE: HEADER_SECRET } },
    );
    const raw: string[] = [];
    sb.on('server.log', (e) => raw.push(JSON.stringify(e)));
    sb.on('call.completed', (e) => raw.push(JSON.stringify(e)));
    const stream = await openEvents(request);
    // `c` knows none of these secrets: its log line reaches the events as it said it.
    await post('/mcp/call', { tool: 'c__say', arguments: { text: `env ${ENV_SECRET} header ${HEADER_SECRET}` } });
    // A source that happens to be a secret is a label like any other, masked like any other.
    expect((await post('/mcp/call', { tool: 'files__env', arguments: { key: 'API_KEY' }, source: ENV_SECRET })).status).toBe(200);
    await until(() => stream.messages().filter((m) => m.event === 'call.completed').length === 2, 5_000, 'both calls on the stream');

    // The secrets were there to leak.
    expect(raw.join('\n')).toContain(ENV_SECRET);
    expect(raw.join('\n')).toContain(HEADER_SECRET);
    const body = await (await request('/mcp/history')).text();
    expect(body).toContain('env *** header ***');
    expect(body).toContain('"source":"***"');
    for (const text of [body, stream.text()]) {
      expect(text).not.toContain(ENV_SECRET);
      expect(text).not.toContain(HEADER_SECRET);
    }
    await stream.close();
  });

  it('keeps its rings at their bounds through a flood of 10 000 log events', async () => {
    const { post, history } = await start();
    const before = (await history()).seq;
    expect((await post('/mcp/call', { tool: 'c__flood', arguments: { count: 10_000 } })).status).toBe(200);
    const snapshot = await history();
    expect(snapshot.seq).toBe(before + 10_001);
    expect(snapshot.logs).toHaveLength(200);
    expect(snapshot.logs[0]!.event.message).toBe('flood 9801');
    expect(snapshot.logs.at(-1)!.event.message).toBe('flood 10000');
    expect(snapshot.logs.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => before + 9_801 + i));
    expect(snapshot.calls).toHaveLength(1);
    expect(snapshot.events.every((e) => e.type !== 'server.log')).toBe(true);
    // 10 000 events of the flood, and the answer stays the size of its rings.
    expect(Buffer.byteLength(JSON.stringify(snapshot))).toBeLessThan(64 * 1024);
  });
});
