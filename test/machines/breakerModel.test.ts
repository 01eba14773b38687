import { describe, expect, it } from 'vitest';
import { nextRandom } from '../../machines/backoff.js';
import { exceeds, minimumCalls, recordOutcomes, type BreakerContext, type BreakerPolicy, type CallOutcome, type Outcome, type RecordedCall } from '../../machines/breakerModel.js';

/**
 * `recordOutcomes` keeps a burst's window with running counts (one copy per burst); this checks
 * it against the plain definition — push, evict the oldest beyond the window size, then test the
 * thresholds on the whole window — over many seeded bursts and policies.
 */

function context(policy: BreakerPolicy, window: Outcome[] = []): BreakerContext {
  return {
    server: 's', policy, epoch: 0, window, consecutiveOpens: 0, openedAt: null, openUntil: null, halfOpenSince: null,
    permitted: [], probeOutcomes: [], notPermittedCalls: 0, ignoredCalls: 0, lateOutcomes: 0, change: null,
    replicaId: null, probeHeld: true, changedBy: null,
  };
}

/** The closed state's rule, one outcome at a time, as research/reliability.md §1.6 states it. */
function reference(policy: BreakerPolicy, start: Outcome[], calls: RecordedCall[]) {
  let window = [...start];
  let ignored = 0;
  for (const [i, call] of calls.entries()) {
    if (call.outcome === 'ignored') {
      ignored++;
      continue;
    }
    window = [...window, { f: call.outcome === 'failure', s: call.durationMs > policy.slowCallDurationThresholdMs }].slice(-policy.slidingWindowSize);
    const reason = exceeds(window, minimumCalls(policy), policy);
    if (reason) return { openedAt: i, reason, late: calls.length - i - 1, ignored };
  }
  return { window: window.map((o) => ({ ...o })), ignored };
}

describe('recordOutcomes in closed', () => {
  it('decides every seeded burst exactly as the one-at-a-time definition', () => {
    let seed = 20261201;
    const draw = () => {
      const next = nextRandom(seed);
      seed = next.seed;
      return next.value;
    };
    const outcomes: CallOutcome[] = ['success', 'failure', 'ignored'];
    let opened = 0;
    for (let trial = 0; trial < 500; trial++) {
      const policy: BreakerPolicy = {
        failureRateThreshold: 10 + Math.floor(draw() * 90),
        slidingWindowSize: 1 + Math.floor(draw() * 12),
        minimumNumberOfCalls: 1 + Math.floor(draw() * 14),
        slowCallDurationThresholdMs: 100,
        slowCallRateThreshold: 20 + Math.floor(draw() * 80),
        waitDurationInOpenMs: 1000, openBackoffMultiplier: 2, maxWaitDurationInOpenMs: 60_000,
        permittedNumberOfCallsInHalfOpenState: 2, maxWaitDurationInHalfOpenMs: 1000,
      };
      const before = Array.from({ length: Math.floor(draw() * policy.slidingWindowSize) }, () => ({ f: draw() < 0.2, s: draw() < 0.2 }));
      const calls: RecordedCall[] = Array.from({ length: 1 + Math.floor(draw() * 30) }, (_, i) => ({
        requestId: `c${i}`, epoch: 0, outcome: outcomes[Math.floor(draw() * (draw() < 0.7 ? 1 : 3))]!, durationMs: draw() < 0.15 ? 150 : 5, at: i,
      }));
      const next = recordOutcomes(context(policy, before), 'closed', calls);
      const expected = reference(policy, before, calls);
      if ('openedAt' in expected) {
        opened++;
        expect(next.change).toEqual({ from: 'closed', to: 'open', reason: expected.reason, at: expected.openedAt });
        expect(next.lateOutcomes).toBe(expected.late);
      } else {
        expect(next.change).toBeNull();
        expect(next.window.map((o) => ({ ...o }))).toEqual(expected.window);
        expect(next.ignoredCalls).toBe(expected.ignored);
      }
    }
    // Both branches are exercised.
    expect(opened).toBeGreaterThan(50);
    expect(opened).toBeLessThan(450);
  });

  it('leaves the context it was given unchanged', () => {
    const policy = context({ failureRateThreshold: 50, slidingWindowSize: 2, minimumNumberOfCalls: 2, slowCallDurationThresholdMs: 100, slowCallRateThreshold: 100, waitDurationInOpenMs: 1, openBackoffMultiplier: 2, maxWaitDurationInOpenMs: 1, permittedNumberOfCallsInHalfOpenState: 1, maxWaitDurationInHalfOpenMs: 1 }).policy;
    const window = [{ f: false, s: false }];
    const before = context(policy, window);
    recordOutcomes(before, 'closed', [{ requestId: 'a', epoch: 0, outcome: 'success', durationMs: 1, at: 1 }]);
    expect(before.window).toBe(window);
    expect(window).toHaveLength(1);
  });
});
