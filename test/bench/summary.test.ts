import { describe, expect, it } from 'vitest';
import { median, medianInterval, summary, type Round } from '../../bench/lib/summary.js';

const rounds = (pairs: [number, number][]): Round[] =>
  pairs.map(([floor, other], round) => ({ round, order: ['floor', 'other'], results: { floor: { cpu: floor }, other: { cpu: other } } }));

describe('benchmark summary', () => {
  it('takes the median of the per-round ratios, not the ratio of medians', () => {
    // per-round ratios 3, 1, 1 → 1; the ratio of the medians (30 / 20) would say 1.5
    const s = summary(rounds([[10, 30], [20, 20], [30, 30]]), 'other', 'cpu');
    expect(s.ratio).toBe(1);
    expect(s.min).toBe(1);
    expect(s.max).toBe(3);
    expect(median([4, 1, 3])).toBe(3);
  });

  it('gives the 95 % interval of the median from order statistics n/2 ± 0.98·√n', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    // ranks floor(50 − 9.8) = 40 and ceil(50 + 9.8) − 1 = 59 (0-based): values 41 and 60
    expect(medianInterval(values)).toBe((60 - 41) / 2);
    expect(medianInterval([...values].reverse())).toBe((60 - 41) / 2);
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
    expect(summary(rounds(values.map((v) => [1, v])), 'other', 'cpu').interval).toBe(9.5);
  });

  it('narrows with the number of rounds, the way the benchmark relies on', () => {
    const spread = (n: number) => medianInterval(Array.from({ length: n }, (_, i) => (i * 7919) % n))! / n;
    expect(spread(400)).toBeLessThan(spread(25));
  });
});
