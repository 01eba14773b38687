import { afterEach, describe, expect, it } from 'vitest';
import { EventHistory, PUBLIC_EVENT_TYPES, type CallRecord, type StreamedEvent } from '../../src/events/index.js';
import type { CallCompleted } from '../../src/calls/index.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { consoleServer } from './consoleServer.js';

/** A stand-in for a switchboard's `on`: events are emitted by hand, listeners counted. */
function fakeSource() {
  const listeners = new Map<string, Set<(event: unknown) => void>>();
  return {
    on(type: string, listener: (event: unknown) => void) {
      const set = listeners.get(type) ?? new Set();
      listeners.set(type, set);
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    emit(event: { type: string } & Record<string, unknown>) {
      for (const listener of listeners.get(event.type) ?? []) listener(event);
    },
    listening: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  };
}

/** A wall clock that moves only when told: 12:00:10 UTC on a fixed day. */
function testClock() {
  let t = Date.UTC(2026, 0, 5, 12, 0, 10);
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const MINUTE = 60_000;
const call = (server: string, durationMs: number, outcome: Partial<CallCompleted> = {}): CallCompleted & Record<string, unknown> => ({
  type: 'call.completed',
  server,
  kind: 'tool',
  tool: 'echo',
  requestId: 'c1',
  durationMs,
  ok: true,
  ...outcome,
});
const log = (server: string, message: string) => ({ type: 'server.log', server, level: 'info', message });
const changed = (server: string, to: string) => ({ type: 'server.stateChanged', server, from: 'connecting', to, reason: 'test' });
const zeros = (n: number) => new Array<number>(n).fill(0);

describe('EventHistory', () => {
  it('numbers every public event once across types and gives subscribers the redacted JSON its rings keep', () => {
    const source = fakeSource();
    const clock = testClock();
    let redactions = 0;
    const history = new EventHistory(source, {
      redact: (text) => {
        redactions++;
        return text.split('s3cret-value').join('***');
      },
      now: clock.now,
    });
    const first: StreamedEvent[] = [];
    const second: StreamedEvent[] = [];
    history.subscribe((e) => first.push(e));
    history.subscribe((e) => second.push(e));
    expect(history.snapshot().seq).toBe(0);

    source.emit({ ...changed('files', 'error'), error: { code: 'ConnectFailed', message: 'refused with s3cret-value' } });
    clock.advance(5);
    source.emit(log('files', 'token s3cret-value seen'));
    clock.advance(5);
    source.emit(call('files', 12));

    // Two subscribers, three events: one redaction each.
    expect(redactions).toBe(3);
    expect(second).toEqual(first);
    expect(first.map((e) => [e.seq, e.type])).toEqual([[1, 'server.stateChanged'], [2, 'server.log'], [3, 'call.completed']]);
    expect(first.map((e) => e.json).join('\n')).not.toContain('s3cret-value');
    const snapshot = history.snapshot();
    expect(snapshot.seq).toBe(3);
    expect(snapshot.now).toBe(clock.now());
    expect(snapshot.bucketMs).toBe(MINUTE);
    expect(snapshot.events).toEqual([{ seq: 1, at: first[0]!.at, type: 'server.stateChanged', event: JSON.parse(first[0]!.json) }]);
    expect(snapshot.events[0]!.event.error).toEqual({ code: 'ConnectFailed', message: 'refused with ***' });
    expect(snapshot.logs).toEqual([{ seq: 2, at: first[1]!.at, type: 'server.log', event: { type: 'server.log', server: 'files', level: 'info', message: 'token *** seen' } }]);
    expect(snapshot.calls).toEqual([{ seq: 3, at: clock.now(), server: 'files', kind: 'tool', tool: 'echo', durationMs: 12, ok: true }]);
    expect(first.map((e) => e.at)).toEqual([clock.now() - 10, clock.now() - 5, clock.now()]);
  });

  it('keeps each ring at its size, oldest first', () => {
    const source = fakeSource();
    const history = new EventHistory(source, { redact: (t) => t, sizes: { events: 3, logs: 2, calls: 4 } });
    for (let i = 1; i <= 10; i++) {
      source.emit(changed(`s${i}`, 'connected'));
      source.emit(log('files', `line ${i}`));
      source.emit(call('files', i));
    }
    const snapshot = history.snapshot();
    expect(snapshot.seq).toBe(30);
    expect(snapshot.events.map((e) => e.event.server)).toEqual(['s8', 's9', 's10']);
    expect(snapshot.logs.map((e) => e.event.message)).toEqual(['line 9', 'line 10']);
    expect(snapshot.calls.map((c) => c.durationMs)).toEqual([7, 8, 9, 10]);
    expect(snapshot.calls.map((c) => c.seq)).toEqual([21, 24, 27, 30]);
  });

  it('cuts a long log message in the ring only, and keeps an event over 16 KiB as a note of its size', () => {
    const source = fakeSource();
    const history = new EventHistory(source, { redact: (t) => t });
    const streamed: StreamedEvent[] = [];
    history.subscribe((e) => streamed.push(e));
    source.emit(log('files', 'x'.repeat(5_000)));
    source.emit(log('files', 'y'.repeat(1_000)));
    // Short in characters, 18 000 bytes in UTF-8.
    source.emit({ type: 'error', server: 'files', error: { code: 'Internal', message: '€'.repeat(6_000) } });
    source.emit({ type: 'tools.changed', server: 'big', tools: 'z'.repeat(20_000) });
    source.emit({ type: 'config.rejected', issues: [{ path: 'servers', message: 'q'.repeat(100) }] });

    expect(JSON.parse(streamed[0]!.json).message).toHaveLength(5_000);
    const { logs, events } = history.snapshot();
    expect(logs[0]!.event).toEqual({ type: 'server.log', server: 'files', level: 'info', message: 'x'.repeat(1_000), truncated: 5_000 });
    expect(logs[1]!.event).toEqual(log('files', 'y'.repeat(1_000)));
    expect(events.map((e) => e.event)).toEqual([
      { type: 'error', server: 'files', truncated: Buffer.byteLength(streamed[2]!.json) },
      { type: 'tools.changed', server: 'big', truncated: Buffer.byteLength(streamed[3]!.json) },
      { type: 'config.rejected', issues: [{ path: 'servers', message: 'q'.repeat(100) }] },
    ]);
    expect(Buffer.byteLength(streamed[2]!.json)).toBeGreaterThan(16 * 1024);
  });

  it('counts calls per server in one-minute buckets, failures and isError results as errors, zero-filled to the current minute', () => {
    const source = fakeSource();
    const clock = testClock();
    const history = new EventHistory(source, { redact: (t) => t, now: clock.now });
    source.emit(call('a', 10));
    clock.advance(MINUTE);
    source.emit(call('a', 20, { ok: false, errorCode: 'ToolCallTimeout' }));
    source.emit(call('a', 30, { isError: true }));
    source.emit(call('b', 5));
    clock.advance(2 * MINUTE);

    const { activity, calls } = history.snapshot();
    expect(Object.keys(activity).sort()).toEqual(['a', 'b']);
    expect(activity.a).toEqual({
      calls: [...zeros(26), 1, 2, 0, 0],
      errors: [...zeros(26), 0, 2, 0, 0],
      totalMs: [...zeros(26), 10, 50, 0, 0],
      recentMs: [10, 20, 30],
    });
    expect(activity.b!.calls).toEqual([...zeros(27), 1, 0, 0]);
    expect(calls.map((c) => [c.ok, c.isError, c.errorCode])).toEqual([
      [true, undefined, undefined],
      [false, undefined, 'ToolCallTimeout'],
      [true, true, undefined],
      [true, undefined, undefined],
    ]);

    // 27 minutes on, a's first minute is past the window, its second is the oldest bucket.
    clock.advance(27 * MINUTE);
    const later = history.snapshot().activity;
    expect(later.a!.calls).toEqual([2, ...zeros(29)]);
    expect(later.b!.calls).toEqual([1, ...zeros(29)]);
    // A minute more and nothing is left in the window.
    clock.advance(MINUTE);
    expect(history.snapshot().activity).toEqual({});
  });

  it("keeps a server's last 50 durations, oldest first", () => {
    const source = fakeSource();
    const history = new EventHistory(source, { redact: (t) => t });
    for (let ms = 1; ms <= 60; ms++) source.emit(call('a', ms));
    expect(history.snapshot().activity.a!.recentMs).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
  });

  it('forgets the activity of servers a reload removed', () => {
    const source = fakeSource();
    const history = new EventHistory(source, { redact: (t) => t });
    source.emit(call('a', 1));
    source.emit(call('b', 1));
    source.emit({ type: 'config.reloaded', added: [], removed: ['a'], changed: [], unchanged: ['b'] });
    const { activity, events } = history.snapshot();
    expect(Object.keys(activity)).toEqual(['b']);
    expect(events.map((e) => e.type)).toEqual(['config.reloaded']);
  });

  it('keeps the rings and the other subscribers going when a subscriber throws', () => {
    const source = fakeSource();
    const history = new EventHistory(source, { redact: (t) => t });
    const seen: number[] = [];
    history.subscribe(() => {
      throw new Error('subscriber boom');
    });
    history.subscribe((e) => seen.push(e.seq));
    source.emit(log('files', 'one'));
    source.emit(call('files', 1));
    expect(seen).toEqual([1, 2]);
    const snapshot = history.snapshot();
    expect(snapshot.logs.map((e) => e.seq)).toEqual([1]);
    expect(snapshot.calls.map((c) => c.seq)).toEqual([2]);
  });

  it('listens once per public event type, and not at all once closed', () => {
    const source = fakeSource();
    const history = new EventHistory(source, { redact: (t) => t });
    expect(source.listening()).toBe(PUBLIC_EVENT_TYPES.length);
    const seen: number[] = [];
    const off = history.subscribe((e) => seen.push(e.seq));
    source.emit(log('files', 'before'));
    off();
    source.emit(log('files', 'unsubscribed'));
    history.subscribe((e) => seen.push(e.seq));
    history.close();
    expect(source.listening()).toBe(0);
    source.emit(log('files', 'after'));
    expect(seen).toEqual([1]);
    expect(history.snapshot().seq).toBe(2);
  });

  it('keeps a note when masking breaks the JSON, and still records the call with its strings masked', () => {
    const source = fakeSource();
    // A secret that is also a JSON literal: masking it leaves text that no longer parses.
    const history = new EventHistory(source, { redact: (t) => t.split('true').join('***') });
    const streamed: StreamedEvent[] = [];
    history.subscribe((e) => streamed.push(e));
    source.emit({ type: 'breaker.stateChanged', server: 'files', from: 'closed', to: 'open', reason: 'failures', flag: true });
    source.emit(call('files', 7, { tool: 'is_true' }));
    expect(() => JSON.parse(streamed[0]!.json)).toThrow();
    const { events, calls, activity } = history.snapshot();
    expect(events[0]!.event).toEqual({ type: 'breaker.stateChanged', server: 'files', unreadable: true });
    expect(calls).toEqual([{ seq: 2, at: calls[0]!.at, server: 'files', kind: 'tool', tool: 'is_***', durationMs: 7, ok: true } satisfies CallRecord]);
    expect(activity.files!.calls.at(-1)).toBe(1);
  });

  describe('over a real switchboard', () => {
    let sb: Switchboard | undefined;
    afterEach(async () => {
      await sb?.stop();
      sb = undefined;
    });

    it('records calls with the source their caller gave, and no source key without one', async () => {
      sb = createSwitchboard({ servers: {} }, { transports: { c: consoleServer('c') } });
      const running = sb;
      const history = new EventHistory(running, { redact: (t) => running.redact(t) });
      const raw: CallCompleted[] = [];
      running.on('call.completed', (e) => raw.push(e));
      await running.start();

      await running.callTool('c__echo', { text: 'hi' }, { source: 'batch-7' });
      await running.callTool('c__echo', { text: 'hi' });
      await running.getPrompt('greet', { who: 'Ada' }, { source: 'live-view' });
      await running.readResource('fixture://readme', { source: 'live-view' });
      await running.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'A' } }, { source: 'live-view' });
      await running.callTool('c__fail', {}, { source: 'live-view' });

      expect(raw.map((e) => [e.kind, e.source])).toEqual([
        ['tool', 'batch-7'],
        ['tool', undefined],
        ['prompt', 'live-view'],
        ['resource', 'live-view'],
        ['completion', 'live-view'],
        ['tool', 'live-view'],
      ]);
      expect('source' in raw[1]!).toBe(false);
      const { calls, events, activity } = history.snapshot();
      expect(calls.map((c) => [c.kind, c.tool, c.source])).toEqual([
        ['tool', 'echo', 'batch-7'],
        ['tool', 'echo', undefined],
        ['prompt', 'greet', 'live-view'],
        ['resource', 'fixture://readme', 'live-view'],
        ['completion', 'greet', 'live-view'],
        ['tool', 'fail', 'live-view'],
      ]);
      expect('source' in calls[1]!).toBe(false);
      expect(calls[5]!.isError).toBe(true);
      expect(activity.c!.calls.reduce((a, b) => a + b)).toBe(6);
      expect(activity.c!.errors.reduce((a, b) => a + b)).toBe(1);
      // The history began before start(): the first connect is in it.
      expect(events.filter((e) => e.type === 'server.stateChanged').map((e) => e.event.to)).toContain('connected');
      history.close();
    });
  });
});
