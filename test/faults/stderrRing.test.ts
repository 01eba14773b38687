import { describe, expect, it } from 'vitest';
import { StderrRing } from '../../src/protocol/stderrRing.js';

describe('StderrRing', () => {
  it('keeps exactly the newest bytes up to its capacity, across chunk boundaries', () => {
    const ring = new StderrRing(100);
    let all = '';
    // Chunks smaller than, equal to and larger than the capacity, in a fixed order.
    for (const [i, size] of [7, 100, 3, 250, 1, 99, 42].entries()) {
      const chunk = String.fromCharCode(97 + i).repeat(size);
      all += chunk;
      ring.push(i % 2 === 0 ? chunk : Buffer.from(chunk));
      expect(ring.size).toBe(Math.min(100, all.length));
      expect(ring.tail(1_000)).toBe(all.slice(-100));
    }
  });

  it('shows at most maxChars of the kept tail', () => {
    const ring = new StderrRing(1_000);
    ring.push('0123456789'.repeat(50));
    expect(ring.tail(15)).toBe('567890123456789');
    expect(ring.size).toBe(500);
  });
});
