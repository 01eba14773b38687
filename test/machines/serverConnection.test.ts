import { describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import { computeBackoffDelay, nextRandom } from '../../machines/backoff.js';
import {
  connectionStateOf,
  serverConnectionMachine,
  type ConnectionPolicy,
  type ServerStateChanged,
  type SessionCommand,
} from '../../machines/serverConnection.js';
import type { ErrorInfo } from '../../machines/types.js';

const policy: ConnectionPolicy = {
  connectTimeoutMs: 1500,
  reconnect: { baseMs: 1000, multiplier: 2, minMs: 250, maxMs: 60000, maxAttempts: 0, stableAfterMs: 30000, restartIntensity: 5, restartPeriodMs: 60000 },
  health: { intervalMs: 0, timeoutMs: 5000, failureThreshold: 2 },
  toolsRefreshDebounceMs: 100,
  idleTimeoutMs: 0,
  waitForReconnectMs: 0,
};

const LOST: ErrorInfo = { code: 'ConnectionLost', message: 'Connection closed', retryable: true };
const ENOENT: ErrorInfo = { code: 'ENOENT', message: 'command not found', retryable: false };

function startConnection(overrides: Partial<ConnectionPolicy> = {}) {
  const clock = new SimulatedClock();
  const commands: SessionCommand[] = [];
  const machine = serverConnectionMachine.provide({
    actors: { session: fromCallback<SessionCommand, { server: string }>(({ receive }) => receive((c) => commands.push(c))) },
  });
  const actor = createActor(machine, { clock, input: { server: 'files', policy: { ...policy, ...overrides }, seed: 42 } });
  const changes: ServerStateChanged[] = [];
  actor.on('server.stateChanged', (e) => changes.push(e));
  actor.start();
  const ctx = () => actor.getSnapshot().context;
  const state = () => connectionStateOf(actor.getSnapshot().value);
  const opens = () => commands.filter((c) => c.type === 'session.open').length;
  const ready = () =>
    actor.send({ type: 'session.ready', attemptId: ctx().attemptId, at: clock.now(), facts: {}, catalog: { tools: [], resources: [], templates: [], prompts: [] } });
  const fail = (error: ErrorInfo = LOST) => actor.send({ type: 'session.failed', attemptId: ctx().attemptId, at: clock.now(), error });
  const lose = (error: ErrorInfo = LOST) => actor.send({ type: 'session.lost', reason: 'closed', attemptId: ctx().attemptId, at: clock.now(), error });
  /** Lets the backoff timer fire. */
  const waitRetry = () => clock.increment(ctx().retryInMs ?? 0);
  return { actor, clock, commands, changes, ctx, state, opens, ready, fail, lose, waitRetry };
}

describe('computeBackoffDelay', () => {
  const p = { baseMs: 1000, multiplier: 2, minMs: 250, maxMs: 60000 };

  it('stays within min and max for any attempt and random value (RC-01)', () => {
    for (const r of [0, 0.5, 0.999999]) {
      for (let n = 0; n <= 10000; n += 7) {
        const d = computeBackoffDelay(n, p, r);
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(250);
        expect(d).toBeLessThanOrEqual(60000);
      }
    }
    expect(computeBackoffDelay(3, p, 0)).toBe(250);
  });

  it('doubles the jittered ceiling up to the cap (RC-02)', () => {
    const p2 = { ...p, minMs: 0 };
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => computeBackoffDelay(n, p2, 0.5))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('waits at least a server-suggested Retry-After, capped at max (RC-09)', () => {
    expect(computeBackoffDelay(0, p, 0, 7000)).toBe(7000);
    expect(computeBackoffDelay(0, p, 0, 120000)).toBe(60000);
  });
});

describe('serverConnection', () => {
  it('connects on start and reports each transition', () => {
    const c = startConnection();
    expect(c.state()).toBe('disconnected');
    c.actor.send({ type: 'server.connect' });
    expect(c.state()).toBe('connecting');
    c.ready();
    expect(c.state()).toBe('connected');
    expect(c.changes.map((e) => `${e.from}>${e.to}:${e.reason}`)).toEqual(['disconnected>connecting:start', 'connecting>connected:ready']);
    expect(c.commands.map((x) => x.type)).toContain('session.activate');
  });

  it('backs off after a failed connect and retries when the delay ends', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.fail();
    expect(c.state()).toBe('disconnected');
    const delay = c.ctx().retryInMs!;
    expect(delay).toBeGreaterThanOrEqual(250);
    expect(delay).toBeLessThanOrEqual(1000);
    expect(c.changes.at(-1)).toMatchObject({ to: 'disconnected', reason: 'connectFailed', retryInMs: delay, error: LOST });
    c.clock.increment(delay - 1);
    expect(c.state()).toBe('disconnected');
    c.clock.increment(1);
    expect(c.state()).toBe('connecting');
    expect(c.opens()).toBe(2);
  });

  it('times out a hanging connect on the actor clock', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.clock.increment(1499);
    expect(c.state()).toBe('connecting');
    c.clock.increment(1);
    expect(c.state()).toBe('disconnected');
    expect(c.changes.at(-1)).toMatchObject({ reason: 'connectTimeout', error: { code: 'ConnectTimeout' } });
    expect(c.commands.at(-1)).toMatchObject({ type: 'session.close' });
  });

  it('ignores a late answer from an abandoned attempt (RC-08)', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    const stale = c.ctx().attemptId;
    c.clock.increment(1500);
    c.waitRetry();
    c.actor.send({ type: 'session.ready', attemptId: stale, at: c.clock.now(), facts: {}, catalog: { tools: [], resources: [], templates: [], prompts: [] } });
    expect(c.state()).toBe('connecting');
  });

  it('keeps growing delays across quick crashes until the connection is stable (RC-03)', () => {
    const c = startConnection({ reconnect: { ...policy.reconnect, restartIntensity: 100 } });
    c.actor.send({ type: 'server.connect' });
    const attempts: number[] = [];
    for (let i = 0; i < 4; i++) {
      c.ready();
      c.clock.increment(1000);
      c.lose();
      attempts.push(c.ctx().attempt);
      c.waitRetry();
    }
    expect(attempts).toEqual([1, 2, 3, 4]);
    c.ready();
    c.clock.increment(30000);
    expect(c.ctx().attempt).toBe(0);
    c.lose();
    expect(c.ctx().retryInMs).toBeLessThanOrEqual(1000);
  });

  it('gives up after more than restartIntensity crashes within the period (RC-04)', () => {
    const c = startConnection({ reconnect: { ...policy.reconnect, maxMs: 1000 } });
    c.actor.send({ type: 'server.connect' });
    for (let i = 0; i < 5; i++) {
      c.ready();
      c.lose();
      expect(c.state()).toBe('disconnected');
      c.waitRetry();
    }
    c.ready();
    c.lose();
    expect(c.state()).toBe('error');
    expect(c.changes.at(-1)).toMatchObject({ from: 'connected', to: 'error', reason: 'crashLoop' });
    const opens = c.opens();
    c.clock.increment(600000);
    expect(c.opens()).toBe(opens);
  });

  it('never reaches error when crashes are spread beyond the period (RC-04)', () => {
    const c = startConnection({ reconnect: { ...policy.reconnect, maxMs: 1000 } });
    c.actor.send({ type: 'server.connect' });
    for (let i = 0; i < 10; i++) {
      c.ready();
      c.clock.increment(61000);
      c.lose();
      expect(c.state()).toBe('disconnected');
      c.waitRetry();
    }
  });

  it('goes straight to error on a non-retryable failure with one attempt (RC-05)', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.fail(ENOENT);
    expect(c.state()).toBe('error');
    expect(c.ctx().lastError).toEqual(ENOENT);
    c.clock.increment(600000);
    expect(c.opens()).toBe(1);
  });

  it('never starts a connect sooner than the backoff policy allows, whatever the connect failure', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    const failures = [
      () => c.fail({ code: 'ConnectFailed', message: 'x', retryable: true }),
      () => c.fail({ code: 'HTTP503', message: 'x', retryable: true, retryAfterMs: 0 }),
      () => c.fail({ code: 'ConnectionClosed', message: 'x', retryable: true }),
      () => c.clock.increment(policy.connectTimeoutMs),
    ];
    let seed = 42;
    for (let attempt = 0; attempt < 16; attempt++) {
      failures[attempt % failures.length]!();
      const { value, seed: next } = nextRandom(seed);
      seed = next;
      const expected = computeBackoffDelay(attempt, policy.reconnect, value, attempt % failures.length === 1 ? 0 : undefined);
      expect(c.ctx().retryInMs).toBe(expected);
      const opens = c.opens();
      c.clock.increment(expected - 1);
      expect(c.opens()).toBe(opens);
      c.clock.increment(1);
      expect(c.opens()).toBe(opens + 1);
    }
    expect(c.ctx().attempt).toBe(16);
  });

  it('stops after maxAttempts failed connects in a row', () => {
    const c = startConnection({ reconnect: { ...policy.reconnect, maxAttempts: 3 } });
    c.actor.send({ type: 'server.connect' });
    c.fail();
    c.waitRetry();
    c.fail();
    c.waitRetry();
    c.fail();
    expect(c.state()).toBe('error');
    expect(c.changes.at(-1)).toMatchObject({ reason: 'maxAttempts' });
  });

  it('leaves error only by a manual reconnect, which clears the counters (RC-06)', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.fail(ENOENT);
    c.actor.send({ type: 'server.connect' });
    expect(c.state()).toBe('error');
    c.actor.send({ type: 'server.reconnect' });
    expect(c.state()).toBe('connecting');
    expect(c.ctx()).toMatchObject({ attempt: 0, restartLog: [], lastError: null });
    expect(c.changes.at(-1)).toMatchObject({ from: 'error', to: 'connecting', reason: 'manualReconnect' });
  });

  it('cancels the pending backoff timer on a manual reconnect (RC-07)', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.fail();
    c.actor.send({ type: 'server.reconnect' });
    expect(c.opens()).toBe(2);
    c.clock.increment(120000);
    expect(c.opens()).toBe(2);
  });

  it('starts a fresh attempt when reconnect arrives while connecting', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.actor.send({ type: 'server.reconnect' });
    expect(c.opens()).toBe(2);
    expect(c.state()).toBe('connecting');
  });

  it('holds calls while connecting, dispatches when connected and refuses in backoff and error', () => {
    const c = startConnection();
    c.actor.send({ type: 'tool.call', requestIds: ['a'], server: 'files' });
    expect(c.state()).toBe('connecting');
    expect(c.changes.at(-1)).toMatchObject({ reason: 'call' });
    c.ready();
    c.actor.send({ type: 'tool.call', requestIds: ['b'], server: 'files' });
    c.lose();
    c.actor.send({ type: 'tool.call', requestIds: ['c'], server: 'files' });
    const callCommands = c.commands.filter((x) => x.type.startsWith('call.'));
    expect(callCommands).toEqual([
      { type: 'call.hold', requestIds: ['a'] },
      { type: 'call.dispatch', requestIds: ['b'] },
      { type: 'call.refuse', requestIds: ['c'], error: LOST, retryInMs: c.ctx().retryInMs },
    ]);
  });

  it('treats missed pings in a row as a lost connection (RC-10)', () => {
    const c = startConnection({ health: { intervalMs: 1000, timeoutMs: 500, failureThreshold: 2 } });
    c.actor.send({ type: 'server.connect' });
    c.ready();
    const pings = () => c.commands.filter((x) => x.type === 'session.probe').length;
    c.clock.increment(1000);
    expect(pings()).toBe(1);
    c.actor.send({ type: 'health.passed', attemptId: c.ctx().attemptId });
    c.clock.increment(1000);
    c.clock.increment(500);
    expect(c.state()).toBe('connected');
    c.clock.increment(1000);
    c.actor.send({ type: 'health.failed', attemptId: c.ctx().attemptId, error: { code: 'ConnectionLost', message: 'x' } });
    expect(c.state()).toBe('disconnected');
    expect(c.changes.at(-1)).toMatchObject({ reason: 'healthCheckFailed' });
  });

  it('debounces list_changed into one relist', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.ready();
    for (let i = 0; i < 5; i++) {
      c.actor.send({ type: 'catalog.listChanged', attemptId: c.ctx().attemptId, kind: 'tools' });
      c.clock.increment(50);
    }
    expect(c.commands.filter((x) => x.type === 'session.relist')).toHaveLength(0);
    c.clock.increment(100);
    expect(c.commands.filter((x) => x.type === 'session.relist')).toEqual([{ type: 'session.relist', attemptId: c.ctx().attemptId, kinds: ['tools'] }]);
  });

  it('relists only the kinds that changed, several kinds in one debounced relist', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.ready();
    c.actor.send({ type: 'catalog.listChanged', attemptId: c.ctx().attemptId, kind: 'prompts' });
    c.actor.send({ type: 'catalog.listChanged', attemptId: c.ctx().attemptId, kind: 'resources' });
    c.actor.send({ type: 'catalog.listChanged', attemptId: c.ctx().attemptId, kind: 'prompts' });
    c.clock.increment(100);
    expect(c.commands.filter((x) => x.type === 'session.relist')).toEqual([{ type: 'session.relist', attemptId: c.ctx().attemptId, kinds: ['prompts', 'resources'] }]);
    c.actor.send({ type: 'catalog.listChanged', attemptId: c.ctx().attemptId, kind: 'tools' });
    c.clock.increment(100);
    expect(c.commands.filter((x) => x.type === 'session.relist').at(-1)).toMatchObject({ kinds: ['tools'] });
  });

  it('re-initializes at once, without backoff, when the server forgot the session', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.ready();
    c.actor.send({ type: 'session.lost', reason: 'expired', attemptId: c.ctx().attemptId, at: c.clock.now(), error: { code: 'SessionExpired', message: 'x' } });
    expect(c.state()).toBe('connecting');
    expect(c.opens()).toBe(2);
    expect(c.changes.at(-1)).toMatchObject({ from: 'connected', to: 'connecting', reason: 'sessionExpired' });
    expect(c.ctx().restartLog).toHaveLength(1);
  });

  it('stops an idle connection after the idle timeout unless calls are running', () => {
    const c = startConnection({ idleTimeoutMs: 1000 });
    c.actor.send({ type: 'server.connect' });
    c.ready();
    c.actor.send({ type: 'session.busy', attemptId: c.ctx().attemptId });
    c.clock.increment(5000);
    expect(c.state()).toBe('connected');
    c.actor.send({ type: 'session.idle', attemptId: c.ctx().attemptId });
    c.clock.increment(999);
    expect(c.state()).toBe('connected');
    c.clock.increment(1);
    expect(c.actor.getSnapshot().value).toEqual({ disconnected: 'idle' });
    expect(c.changes.at(-1)).toMatchObject({ reason: 'idle' });
    c.actor.send({ type: 'tool.call', requestIds: ['z'], server: 'files' });
    expect(c.state()).toBe('connecting');
  });

  it('spreads first retries of many servers that fail together (RC-11)', () => {
    // Fixed seeds from a seeded sequence: the runtime draws them at random, the test does not.
    let state = 20261201;
    const seeds = Array.from({ length: 50 }, () => {
      const { value, seed } = nextRandom(state);
      state = seed;
      return Math.floor(value * 2 ** 31);
    });
    const delays = seeds.map((seed, i) => {
      const clock = new SimulatedClock();
      const machine = serverConnectionMachine.provide({ actors: { session: fromCallback<SessionCommand, { server: string }>(() => undefined) } });
      const actor = createActor(machine, { clock, input: { server: `s${i}`, policy, seed } }).start();
      actor.send({ type: 'server.connect' });
      actor.send({ type: 'session.failed', attemptId: actor.getSnapshot().context.attemptId, at: 0, error: LOST });
      const d = actor.getSnapshot().context.retryInMs!;
      actor.stop();
      return d;
    });
    // Each first delay is the full-jitter draw of its own seed, between minMs and baseMs.
    expect(delays).toEqual(seeds.map((seed) => computeBackoffDelay(0, policy.reconnect, nextRandom(seed).value)));
    expect(Math.min(...delays)).toBe(257);
    expect(Math.max(...delays)).toBe(999);
    // 47 distinct delays for 50 servers: no clump at the floor.
    expect(new Set(delays).size).toBe(47);
    expect(delays.filter((d) => d === policy.reconnect.minMs)).toHaveLength(0);
  });

  it('ignores a session.lost of an earlier attempt while connected, also with maxAttempts 1', () => {
    for (const maxAttempts of [0, 1]) {
      const c = startConnection({ reconnect: { ...policy.reconnect, maxAttempts } });
      c.actor.send({ type: 'server.connect' });
      c.ready();
      const old = c.ctx().attemptId;
      c.actor.send({ type: 'server.reconnect' });
      c.ready();
      expect(c.ctx().attemptId).toBe(old + 1);
      const changes = c.changes.length;
      c.actor.send({ type: 'session.lost', reason: 'closed', attemptId: old, at: c.clock.now(), error: LOST });
      expect(c.state()).toBe('connected');
      expect(c.changes).toHaveLength(changes);
      expect(c.ctx()).toMatchObject({ lastError: null, restartLog: [] });
      // The current attempt's loss still counts: with one attempt allowed it ends in error.
      c.lose();
      expect(c.state()).toBe(maxAttempts === 1 ? 'error' : 'disconnected');
    }
  });

  it('ignores session.failed and session.ready of an earlier attempt while connecting', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    const old = c.ctx().attemptId;
    c.actor.send({ type: 'server.reconnect' });
    const changes = c.changes.length;
    c.actor.send({ type: 'session.failed', attemptId: old, at: c.clock.now(), error: ENOENT });
    c.actor.send({ type: 'session.ready', attemptId: old, at: c.clock.now(), facts: {}, catalog: { tools: [], resources: [], templates: [], prompts: [] } });
    expect(c.state()).toBe('connecting');
    expect(c.changes).toHaveLength(changes);
    expect(c.ctx()).toMatchObject({ attempt: 0, lastError: null, everConnected: false });
  });

  it('ignores a session.lost (expired) of an earlier attempt while connected', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.ready();
    const old = c.ctx().attemptId;
    c.actor.send({ type: 'server.reconnect' });
    c.ready();
    const opens = c.opens();
    c.actor.send({ type: 'session.lost', reason: 'expired', attemptId: old, at: c.clock.now(), error: { code: 'SessionExpired', message: 'x' } });
    expect(c.state()).toBe('connected');
    expect(c.opens()).toBe(opens);
    expect(c.ctx().restartLog).toEqual([]);
  });

  it('moves a connected server that lost its session for good to error with authRequired, until reconnect', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.ready();
    const denied: ErrorInfo = { code: 'AuthRequired', message: 'HTTP 401', retryable: false };
    c.lose(denied);
    expect(c.state()).toBe('error');
    expect(c.changes.at(-1)).toEqual({ type: 'server.stateChanged', server: 'files', from: 'connected', to: 'error', reason: 'authRequired', error: denied });
    const opens = c.opens();
    c.clock.increment(600000);
    c.actor.send({ type: 'server.connect' });
    c.actor.send({ type: 'tool.call', requestIds: ['q'], server: 'files' });
    expect(c.state()).toBe('error');
    expect(c.opens()).toBe(opens);
    expect(c.commands.at(-1)).toEqual({ type: 'call.refuse', requestIds: ['q'], error: denied, retryInMs: null });
    c.actor.send({ type: 'server.reconnect' });
    expect(c.state()).toBe('connecting');
    expect(c.opens()).toBe(opens + 1);
  });

  it('tags connected, backoff and error as settled, and no other state', () => {
    const c = startConnection();
    const settled = () => c.actor.getSnapshot().hasTag('settled');
    const seen: [unknown, boolean][] = [[c.actor.getSnapshot().value, settled()]];
    c.actor.send({ type: 'server.connect' });
    seen.push([c.actor.getSnapshot().value, settled()]);
    c.fail();
    seen.push([c.actor.getSnapshot().value, settled()]);
    c.waitRetry();
    c.ready();
    seen.push([c.state(), settled()]);
    c.lose(ENOENT);
    seen.push([c.actor.getSnapshot().value, settled()]);
    expect(seen).toEqual([
      [{ disconnected: 'idle' }, false],
      [{ connecting: 'initializing' }, false],
      [{ disconnected: 'backoff' }, true],
      ['connected', true],
      ['error', true],
    ]);
  });

  it('waits for OAuth consent in connecting.authorizing, with 30 connect timeouts of patience', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.actor.send({ type: 'session.authorizing', attemptId: c.ctx().attemptId - 1 });
    expect(c.actor.getSnapshot().value).toEqual({ connecting: 'initializing' });
    c.actor.send({ type: 'session.authorizing', attemptId: c.ctx().attemptId });
    expect(c.actor.getSnapshot().value).toEqual({ connecting: 'authorizing' });
    c.clock.increment(1500 * 30 - 1);
    expect(c.state()).toBe('connecting');
    c.actor.send({ type: 'session.authorized', attemptId: c.ctx().attemptId });
    expect(c.actor.getSnapshot().value).toEqual({ connecting: 'initializing' });
    c.clock.increment(1499);
    expect(c.state()).toBe('connecting');
    c.clock.increment(1);
    expect(c.state()).toBe('disconnected');
    expect(c.ctx().lastError).toMatchObject({ code: 'ConnectTimeout' });
  });

  it('gives up waiting for consent after 30 connect timeouts', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.actor.send({ type: 'session.authorizing', attemptId: c.ctx().attemptId });
    c.clock.increment(1500 * 30);
    expect(c.actor.getSnapshot().value).toEqual({ disconnected: 'backoff' });
  });

  it('fails at start when no session actor is provided, sending nothing to the failed session', () => {
    const errors: unknown[] = [];
    const warned: unknown[][] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warned.push(args));
    try {
      const actor = createActor(serverConnectionMachine, { clock: new SimulatedClock(), input: { server: 'files', policy, seed: 1 } });
      actor.subscribe({ error: (error) => errors.push(error) });
      actor.start();
      expect(actor.getSnapshot().status).toBe('error');
    } finally {
      warn.mockRestore();
    }
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toContain('not provided');
    // Was: 'Event "session.close" was sent to stopped actor "session"' (npm test printed it).
    expect(warned.map((args) => args.join(' ')).filter((text) => text.includes('stopped actor'))).toEqual([]);
  });
});

describe('serverConnection: waiting for a reconnect (admission.waitForReconnectMs)', () => {
  it('hands calls in backoff to the session to wait for the retry, with the setting and the last error', () => {
    const c = startConnection({ waitForReconnectMs: 5_000 });
    c.actor.send({ type: 'server.connect' });
    c.ready();
    c.lose();
    expect(c.actor.getSnapshot().value).toEqual({ disconnected: 'backoff' });
    c.actor.send({ type: 'tool.call', requestIds: ['w'], server: 'files' });
    expect(c.commands.at(-1)).toEqual({ type: 'call.wait', requestIds: ['w'], error: LOST, withinMs: 5_000 });
    // The retry comes as usual; the waiting call is the session's (held), nothing is refused.
    c.waitRetry();
    expect(c.state()).toBe('connecting');
    expect(c.commands.filter((x) => x.type === 'call.refuse')).toEqual([]);
  });

  it('refuses calls in backoff at once when the setting is 0', () => {
    const c = startConnection({ waitForReconnectMs: 0 });
    c.actor.send({ type: 'server.connect' });
    c.fail();
    c.actor.send({ type: 'tool.call', requestIds: ['r'], server: 'files' });
    expect(c.commands.at(-1)).toEqual({ type: 'call.refuse', requestIds: ['r'], error: LOST, retryInMs: c.ctx().retryInMs });
  });

  it('still refuses calls in error at once, whatever the setting', () => {
    const c = startConnection({ waitForReconnectMs: 5_000 });
    c.actor.send({ type: 'server.connect' });
    c.fail(ENOENT);
    c.actor.send({ type: 'tool.call', requestIds: ['e'], server: 'files' });
    expect(c.commands.at(-1)).toEqual({ type: 'call.refuse', requestIds: ['e'], error: ENOENT, retryInMs: null });
  });
});

describe('serverConnection: a connect that shows life', () => {
  const progressed = (c: ReturnType<typeof startConnection>, elapsedMs: number, attemptId = c.ctx().attemptId) =>
    c.actor.send({ type: 'session.progressed', attemptId, elapsedMs });

  it('waits connectMs after each sign of life instead of connectMs in all', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    c.clock.increment(1_000);
    progressed(c, 1_000);
    c.clock.increment(1_499); // t = 2499: past the first deadline (1500), within 1000 + 1500
    expect(c.state()).toBe('connecting');
    expect(c.ctx().connectWindowMs).toBe(1_500);
    c.clock.increment(1);
    expect(c.state()).toBe('disconnected');
    expect(c.changes.at(-1)).toMatchObject({ reason: 'connectTimeout', error: { code: 'ConnectTimeout' } });
  });

  it('gives up at 3 × connectMs from the start of the attempt however lively the server is', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    for (let t = 300; t < 4_500; t += 300) {
      c.clock.increment(300);
      expect(c.state()).toBe('connecting');
      progressed(c, t);
    }
    // t = 4200: the last sign left 300 ms of the 4500 ms patience, not 1500.
    expect(c.ctx().connectWindowMs).toBe(300);
    c.clock.increment(299);
    expect(c.state()).toBe('connecting');
    c.clock.increment(1);
    expect(c.state()).toBe('disconnected');
    expect(c.changes.at(-1)).toMatchObject({ reason: 'connectTimeout' });
  });

  it('ignores signs of an earlier attempt and signs past the patience, and starts each attempt with connectMs', () => {
    const c = startConnection();
    c.actor.send({ type: 'server.connect' });
    const first = c.ctx().attemptId;
    progressed(c, 4_000); // 500 ms of patience left
    c.clock.increment(500);
    expect(c.state()).toBe('disconnected');
    c.waitRetry();
    expect(c.state()).toBe('connecting');
    expect(c.ctx().connectWindowMs).toBe(1_500);
    progressed(c, 1_400, first);
    progressed(c, 4_500);
    c.clock.increment(1_499);
    expect(c.state()).toBe('connecting');
    c.clock.increment(1);
    expect(c.state()).toBe('disconnected');
  });
});
