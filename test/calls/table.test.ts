import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { PendingCalls, type CallCompleted, type OpenCallOptions } from '../../src/calls/table.js';
import { SwitchboardError } from '../../src/core/errors.js';

/** The pending-call table alone, on a simulated clock: every deadline moves only with `increment`. */
function startTable(onCompleted: (event: CallCompleted) => void = () => undefined) {
  const clock = countingClock();
  const completed: CallCompleted[] = [];
  const table = new PendingCalls(clock, (event) => {
    completed.push(event);
    onCompleted(event);
  });
  const open = (options: Partial<OpenCallOptions> = {}) => {
    const opened = table.open({ server: 'files', tool: 'read', args: { path: '/x' }, meta: undefined, timeoutMs: 1000, maxTimeoutMs: 2500, signal: undefined, onProgress: undefined, ...options });
    return { ...opened, settled: track(opened.promise) };
  };
  return { clock, table, completed, open };
}

/** A SimulatedClock that also counts its armed timers, to show that a settled call leaves none. */
function countingClock() {
  const simulated = new SimulatedClock();
  const armed = new Set<unknown>();
  return {
    now: () => simulated.now(),
    increment: (ms: number) => simulated.increment(ms),
    setTimeout: (fn: () => void, ms: number) => {
      const id: number = simulated.setTimeout(() => {
        armed.delete(id);
        fn();
      }, ms);
      armed.add(id);
      return id;
    },
    clearTimeout: (id: unknown) => {
      armed.delete(id);
      simulated.clearTimeout(id as number);
    },
    armed: () => armed.size,
  };
}

/** Watches a promise so a test can ask, after `flush()`, whether and how it settled. */
function track(promise: Promise<CallToolResult>) {
  const state: { status: 'pending' | 'resolved' | 'rejected'; value?: unknown } = { status: 'pending' };
  promise.then(
    (value) => Object.assign(state, { status: 'resolved', value }),
    (value) => Object.assign(state, { status: 'rejected', value }),
  );
  return state;
}

/** Lets promise callbacks (and queued microtasks) run; no time passes on the simulated clock. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const RESULT: CallToolResult = { content: [{ type: 'text', text: 'ok' }] };
const errorCode = (state: { value?: unknown }) => (state.value as SwitchboardError).code;

/** A real AbortController whose signal counts the abort listeners attached to it. */
function countedSignal() {
  const controller = new AbortController();
  const signal = controller.signal;
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, listener: Parameters<AbortSignal['addEventListener']>[1], options?: Parameters<AbortSignal['addEventListener']>[2]) => {
    if (type === 'abort') listeners++;
    add(type, listener, options);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, listener: Parameters<AbortSignal['removeEventListener']>[1]) => {
    if (type === 'abort') listeners--;
    remove(type, listener);
  }) as typeof signal.removeEventListener;
  return { controller, signal, listeners: () => listeners };
}

describe('PendingCalls', () => {
  it('rejects at the deadline with ToolCallTimeout and aborts the call signal with cause timeout', async () => {
    const t = startTable();
    const call = t.open();
    const pending = t.table.get(call.requestId)!;
    t.clock.increment(999);
    await flush();
    expect(call.settled.status).toBe('pending');
    expect(pending.signal.aborted).toBe(false);
    t.clock.increment(1);
    await flush();
    expect(call.settled.status).toBe('rejected');
    expect(errorCode(call.settled)).toBe('ToolCallTimeout');
    expect((call.settled.value as Error).message).toContain('1000 ms');
    expect(pending.signal.aborted).toBe(true);
    expect(pending.signal.reason).toBe(call.settled.value);
    expect(pending.abortCause).toBe('timeout');
    expect(t.table.get(call.requestId)).toBeUndefined();
    expect(t.completed).toEqual([expect.objectContaining({ requestId: call.requestId, ok: false, errorCode: 'ToolCallTimeout', durationMs: 1000 })]);
  });

  it('extends the deadline by the timeout on progress, up to the hard cap and no further', async () => {
    const seen: unknown[] = [];
    const t = startTable();
    const call = t.open({ onProgress: (p) => seen.push(p) });
    t.clock.increment(800);
    t.table.progress(call.requestId, { progress: 1 });
    t.clock.increment(999); // 1799: the deadline moved to 1800
    await flush();
    expect(call.settled.status).toBe('pending');
    t.table.progress(call.requestId, { progress: 2 }); // would be 2799, capped at 2500
    t.clock.increment(600); // 2399
    t.table.progress(call.requestId, { progress: 3 });
    t.clock.increment(100); // 2499
    await flush();
    expect(call.settled.status).toBe('pending');
    t.clock.increment(1); // 2500: the hard cap, whatever the progress said
    await flush();
    expect(call.settled.status).toBe('rejected');
    expect(errorCode(call.settled)).toBe('ToolCallTimeout');
    expect(seen).toEqual([{ progress: 1 }, { progress: 2 }, { progress: 3 }]);
  });

  it('never extends a call whose cap is not above its timeout', async () => {
    const t = startTable();
    const call = t.open({ timeoutMs: 1000, maxTimeoutMs: 500 });
    t.clock.increment(900);
    t.table.progress(call.requestId, { progress: 1 });
    t.clock.increment(100);
    await flush();
    expect(errorCode(call.settled)).toBe('ToolCallTimeout');
  });

  it('rejects with Cancelled when the caller aborts, and aborts the call signal with cause cancelled', async () => {
    const t = startTable();
    const controller = new AbortController();
    const call = t.open({ signal: controller.signal });
    const pending = t.table.get(call.requestId)!;
    controller.abort();
    await flush();
    expect(call.settled.status).toBe('rejected');
    expect(errorCode(call.settled)).toBe('Cancelled');
    expect(pending.signal.aborted).toBe(true);
    expect(pending.abortCause).toBe('cancelled');
    // The deadline timer is gone with the call: nothing settles or reports twice.
    t.clock.increment(5000);
    expect(t.completed).toHaveLength(1);
  });

  it('cancels a call whose signal was aborted before it was opened', async () => {
    const t = startTable();
    const call = t.open({ signal: AbortSignal.abort() });
    const pending = t.table.get(call.requestId)!;
    await flush();
    expect(errorCode(call.settled)).toBe('Cancelled');
    expect(pending.abortCause).toBe('cancelled');
    expect(t.table.size).toBe(0);
  });

  it('settles each call exactly once', async () => {
    const t = startTable();
    const a = t.open();
    t.table.reject(a.requestId, new SwitchboardError('ConnectionLost', 'gone'));
    t.table.resolve(a.requestId, RESULT);
    t.table.reject(a.requestId, new SwitchboardError('ProtocolError', 'late'));
    const b = t.open();
    expect(t.clock.armed()).toBe(1);
    t.table.resolve(b.requestId, RESULT);
    expect(t.clock.armed()).toBe(0);
    t.table.reject(b.requestId, new SwitchboardError('ConnectionLost', 'late'));
    t.table.progress(b.requestId, { progress: 1 });
    t.clock.increment(10_000);
    await flush();
    expect(a.settled).toMatchObject({ status: 'rejected' });
    expect(errorCode(a.settled)).toBe('ConnectionLost');
    expect(b.settled).toEqual({ status: 'resolved', value: RESULT });
    expect(t.completed.map((e) => [e.requestId, e.ok, e.errorCode])).toEqual([
      [a.requestId, false, 'ConnectionLost'],
      [b.requestId, true, undefined],
    ]);
    expect(t.table.size).toBe(0);
  });

  it('reports a tool error result as ok with isError', () => {
    const t = startTable();
    const call = t.open();
    t.clock.increment(30);
    t.table.resolve(call.requestId, { ...RESULT, isError: true });
    expect(t.completed).toEqual([{ type: 'call.completed', server: 'files', kind: 'tool', tool: 'read', requestId: call.requestId, durationMs: 30, ok: true, isError: true }]);
  });

  it('rejects every pending call on rejectAll with the given cause', async () => {
    const t = startTable();
    const calls = [t.open(), t.open(), t.open()];
    const signals = calls.map((c) => t.table.get(c.requestId)!);
    t.table.rejectAll('stopped', () => new SwitchboardError('Stopped', 'stopping'));
    await flush();
    expect(calls.map((c) => [c.settled.status, errorCode(c.settled)])).toEqual(Array(3).fill(['rejected', 'Stopped']));
    expect(signals.map((p) => [p.signal.aborted, p.abortCause])).toEqual(Array(3).fill([true, 'stopped']));
    expect(t.table.size).toBe(0);
  });

  it('settles the promise before a throwing call.completed listener runs', async () => {
    const t = startTable(() => {
      throw new Error('listener bug');
    });
    const a = t.open();
    const b = t.open();
    try {
      t.table.resolve(a.requestId, RESULT);
    } catch {
      // Whether the table rethrows is not the point here: the caller must not wait.
    }
    try {
      t.table.reject(b.requestId, new SwitchboardError('ConnectionLost', 'gone'));
    } catch {
      // As above.
    }
    await flush();
    expect(a.settled.status).toBe('resolved');
    expect(b.settled.status).toBe('rejected');
  });

  it('aborts the signal of a timed-out call even when call.completed throws', async () => {
    const t = startTable(() => {
      throw new Error('listener bug');
    });
    const call = t.open();
    const pending = t.table.get(call.requestId)!;
    try {
      t.clock.increment(1000);
    } catch {
      // A throwing listener must not cut the timeout short.
    }
    await flush();
    expect(errorCode(call.settled)).toBe('ToolCallTimeout');
    expect(pending.signal.aborted).toBe(true);
  });

  it('settles every call of rejectAll even when call.completed throws', async () => {
    const t = startTable(() => {
      throw new Error('listener bug');
    });
    const calls = [t.open(), t.open(), t.open()];
    try {
      t.table.rejectAll('stopped', () => new SwitchboardError('Stopped', 'stopping'));
    } catch {
      // A throwing listener must not leave the other calls pending.
    }
    await flush();
    expect(calls.map((c) => c.settled.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(t.table.size).toBe(0);
  });

  it('keeps a call working when its onProgress callback throws', async () => {
    const t = startTable();
    const call = t.open({
      onProgress: () => {
        throw new Error('caller bug');
      },
    });
    t.clock.increment(900);
    expect(() => t.table.progress(call.requestId, { progress: 1 })).not.toThrow();
    t.clock.increment(900); // 1800: the progress still moved the deadline to 1900
    t.table.resolve(call.requestId, RESULT);
    await flush();
    expect(call.settled).toEqual({ status: 'resolved', value: RESULT });
  });

  it('removes its abort listener from the caller signal once the call settles', async () => {
    const t = startTable();
    const counted = countedSignal();
    const resolved = t.open({ signal: counted.signal });
    const rejected = t.open({ signal: counted.signal });
    const timedOut = t.open({ signal: counted.signal, timeoutMs: 100 });
    expect(counted.listeners()).toBe(1); // one shared listener for every call on this signal
    t.table.resolve(resolved.requestId, RESULT);
    t.table.reject(rejected.requestId, new SwitchboardError('ConnectionLost', 'gone'));
    t.clock.increment(100);
    await flush();
    expect(timedOut.settled.status).toBe('rejected');
    expect(counted.listeners()).toBe(0);
    // Aborting the long-lived signal afterwards reaches no settled call.
    counted.controller.abort();
    await flush();
    expect(t.completed).toHaveLength(3);
  });

  it('builds no call.completed event when nobody listens', () => {
    const clock = new SimulatedClock();
    const seen: CallCompleted[] = [];
    const table = new PendingCalls(clock, (e) => seen.push(e), () => false);
    const { requestId } = table.open({ server: 's', tool: 't', args: undefined, meta: undefined, timeoutMs: 10, maxTimeoutMs: 10, signal: undefined, onProgress: undefined });
    table.resolve(requestId, RESULT);
    expect(seen).toEqual([]);
  });
});
