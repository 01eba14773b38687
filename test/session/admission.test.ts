import { describe, expect, it } from 'vitest';
import { SwitchboardError } from '../../src/core/errors.js';
import { Admission, type BreakerView, type Decision } from '../../src/session/admission.js';

/**
 * The admission queue alone, with a fake breaker: `open` refuses everything, `half-open` hands out
 * a fixed number of permits (recording who took one), `closed` permits every call.
 */
function fakeBreaker(state: { mode: 'closed' | 'open' | 'half-open'; permits: number }) {
  const permitted: string[] = [];
  const view: BreakerView = {
    isOpen: () => state.mode === 'open',
    permit: (requestId) => {
      if (state.mode === 'open') return { refused: new SwitchboardError('CircuitOpen', 'open', { retryAfterMs: 4000 }) };
      if (state.mode === 'half-open') {
        if (state.permits <= 0) return { refused: new SwitchboardError('CircuitOpen', 'no probe left') };
        state.permits--;
      }
      permitted.push(requestId);
      return { epoch: 3 };
    },
  };
  return { view, permitted };
}

function startAdmission(limits = { maxConcurrentCalls: 1, maxQueue: 2 }, mode: 'closed' | 'open' | 'half-open' = 'closed', permits = 0) {
  const breakerState = { mode, permits };
  const breaker = fakeBreaker(breakerState);
  const settled = new Set<string>();
  const admission = new Admission('files', () => limits, breaker.view, (id) => !settled.has(id));
  return { admission, breaker, breakerState, settled, limits };
}

const run = (requestId: string): Decision => ({ kind: 'run', requestId, epoch: 3 });
const ids = (decisions: Decision[]) => decisions.map((d) => ('requestId' in d ? `${d.kind}:${d.requestId}` : d.kind));

describe('Admission', () => {
  it('runs calls up to the concurrency limit and queues the rest in arrival order', () => {
    const { admission } = startAdmission({ maxConcurrentCalls: 2, maxQueue: 5 });
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => admission.admit(id))).toEqual([run('a'), run('b'), { kind: 'wait' }, { kind: 'wait' }, { kind: 'wait' }]);
    expect(admission.inFlight).toBe(2);
    expect(admission.waiting).toBe(3);
    expect(admission.finish('b')).toEqual([run('c')]);
    expect(admission.finish('a')).toEqual([run('d')]);
    expect(admission.finish('c')).toEqual([run('e')]);
    expect(admission.finish('d')).toEqual([]);
    expect(admission.inFlight).toBe(1);
    expect(admission.waiting).toBe(0);
  });

  it('starts as many queued calls as slots free up when the limit grows', () => {
    const s = startAdmission({ maxConcurrentCalls: 1, maxQueue: 5 });
    ['a', 'b', 'c', 'd'].forEach((id) => s.admission.admit(id));
    s.limits.maxConcurrentCalls = 3;
    expect(s.admission.finish('a')).toEqual([run('b'), run('c'), run('d')]);
  });

  it('gives held calls back in arrival order, once', () => {
    const { admission } = startAdmission();
    ['h1', 'h2', 'h3'].forEach((id) => admission.hold(id));
    expect(admission.waiting).toBe(3);
    expect(admission.takeHeld()).toEqual(['h1', 'h2', 'h3']);
    expect(admission.takeHeld()).toEqual([]);
    expect(admission.waiting).toBe(0);
  });

  it('takes every waiting call, held ones first, then queued ones in order', () => {
    const { admission } = startAdmission({ maxConcurrentCalls: 1, maxQueue: 5 });
    admission.admit('run');
    admission.admit('q1');
    admission.hold('h1');
    admission.admit('q2');
    admission.hold('h2');
    expect(admission.takeWaiting()).toEqual(['h1', 'h2', 'q1', 'q2']);
    expect(admission.waiting).toBe(0);
    // The queue is really empty: the next finish starts nothing.
    expect(admission.finish('run')).toEqual([]);
  });

  it('refuses with ServerBusy and a retry hint when the live queue is full', () => {
    const { admission } = startAdmission({ maxConcurrentCalls: 1, maxQueue: 2 });
    ['a', 'b', 'c'].forEach((id) => admission.admit(id));
    const decision = admission.admit('d');
    expect(decision).toMatchObject({ kind: 'refuse', requestId: 'd' });
    const error = (decision as { error: SwitchboardError }).error;
    expect(error.code).toBe('ServerBusy');
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.message).toContain('"files"');
    expect(admission.waiting).toBe(2);
  });

  it('does not count settled queued calls against the queue and never runs them', () => {
    const s = startAdmission({ maxConcurrentCalls: 1, maxQueue: 2 });
    ['a', 'b', 'c'].forEach((id) => s.admission.admit(id));
    s.settled.add('b');
    // b timed out while queued: d takes its place instead of being refused.
    expect(s.admission.admit('d')).toEqual({ kind: 'wait' });
    expect(s.admission.admit('e')).toMatchObject({ kind: 'refuse', requestId: 'e' });
    s.settled.add('c');
    expect(s.admission.finish('a')).toEqual([run('d')]);
    expect(s.breaker.permitted).toEqual(['a', 'd']);
  });

  it('skips a queued call that settled before its turn even without pruning', () => {
    const s = startAdmission({ maxConcurrentCalls: 1, maxQueue: 5 });
    ['a', 'b', 'c'].forEach((id) => s.admission.admit(id));
    s.settled.add('b');
    expect(s.admission.finish('a')).toEqual([run('c')]);
    expect(s.breaker.permitted).not.toContain('b');
  });

  it('lets a call that settled before admission wait instead of running', () => {
    const s = startAdmission();
    s.settled.add('gone');
    expect(s.admission.admit('gone')).toEqual({ kind: 'wait' });
    expect(s.admission.inFlight).toBe(0);
    expect(s.admission.waiting).toBe(0);
  });

  it('refuses at once while the breaker is open, even with every slot and the queue full', () => {
    const s = startAdmission({ maxConcurrentCalls: 1, maxQueue: 1 });
    s.admission.admit('a');
    s.admission.admit('b');
    s.breakerState.mode = 'open';
    const decision = s.admission.admit('c');
    expect(decision).toMatchObject({ kind: 'refuse', requestId: 'c' });
    expect((decision as { error: SwitchboardError }).error.code).toBe('CircuitOpen');
    expect((decision as { error: SwitchboardError }).error.retryAfterMs).toBe(4000);
    expect(s.admission.waiting).toBe(1);
    expect(s.admission.inFlight).toBe(1);
  });

  it('takes a half-open permit only for a call that runs at once', () => {
    const s = startAdmission({ maxConcurrentCalls: 1, maxQueue: 3 }, 'half-open', 2);
    expect(s.admission.admit('a')).toEqual(run('a'));
    // b and c must queue: they take no permit while waiting.
    expect(s.admission.admit('b')).toEqual({ kind: 'wait' });
    expect(s.admission.admit('c')).toEqual({ kind: 'wait' });
    expect(s.breaker.permitted).toEqual(['a']);
    expect(s.breakerState.permits).toBe(1);
    expect(s.admission.finish('a')).toEqual([run('b')]);
    expect(s.breakerState.permits).toBe(0);
    // No permit left when c's turn comes: it is refused, never run.
    const [decision] = s.admission.finish('b');
    expect(decision).toMatchObject({ kind: 'refuse', requestId: 'c' });
    expect(s.admission.inFlight).toBe(0);
  });

  it('frees the slot of a refused call so the next queued call is decided too', () => {
    const s = startAdmission({ maxConcurrentCalls: 1, maxQueue: 3 }, 'half-open', 2);
    ['a', 'b', 'c', 'd'].forEach((id) => s.admission.admit(id));
    expect(ids(s.admission.finish('a'))).toEqual(['run:b']);
    expect(ids(s.admission.finish('b'))).toEqual(['refuse:c', 'refuse:d']);
    expect(s.admission.waiting).toBe(0);
  });

  it('forgets running calls when the session ends', () => {
    const { admission } = startAdmission({ maxConcurrentCalls: 1, maxQueue: 1 });
    admission.admit('a');
    admission.clearRunning();
    expect(admission.inFlight).toBe(0);
    expect(admission.admit('b')).toEqual(run('b'));
  });
});
