import { describe, expect, it } from 'vitest';
import { StderrRing } from '../../src/protocol/stderrRing.js';
import { MIN_FRAGMENT_LENGTH, redactText, redactWindow } from '../../src/secrets/redact.js';

/**
 * Windows cut out of a longer text (src/redact.ts `redactWindow`, src/protocol/stderrRing.ts): a
 * secret cut in two at a window's edge is masked like a whole one, down to `MIN_FRAGMENT_LENGTH`
 * characters.
 */

const SECRET = 'S3cr3tV4lueXYZ';
const BOTH = { start: true, end: true };

describe('redactWindow', () => {
  it('masks every piece of a secret a cut start leaves, from the whole secret but one character down to the minimum', () => {
    for (let kept = MIN_FRAGMENT_LENGTH; kept < SECRET.length; kept++) {
      const window = `${SECRET.slice(-kept)} and then the rest`;
      expect(redactWindow(window, [SECRET], { start: true, end: false })).toBe('*** and then the rest');
    }
  });

  it('masks every piece of a secret a cut end leaves', () => {
    for (let kept = MIN_FRAGMENT_LENGTH; kept < SECRET.length; kept++) {
      const window = `the start and ${SECRET.slice(0, kept)}`;
      expect(redactWindow(window, [SECRET], { start: false, end: true })).toBe('the start and ***');
    }
  });

  it('leaves pieces shorter than the minimum, and edges that were not cut', () => {
    expect(MIN_FRAGMENT_LENGTH).toBe(4);
    expect(redactWindow(`${SECRET.slice(-3)} rest`, [SECRET], BOTH)).toBe(`${SECRET.slice(-3)} rest`);
    expect(redactWindow(`${SECRET.slice(-6)} rest ${SECRET.slice(0, 6)}`, [SECRET], { start: false, end: false })).toBe(`${SECRET.slice(-6)} rest ${SECRET.slice(0, 6)}`);
  });

  it('masks a window lying wholly inside a secret when both ends were cut', () => {
    expect(redactWindow(SECRET.slice(2, 9), [SECRET], BOTH)).toBe('***');
    expect(redactWindow(SECRET.slice(2, 9), [SECRET], { start: true, end: false })).toBe(SECRET.slice(2, 9));
  });

  it('masks whole secrets everywhere, pieces at both edges, and merges overlapping masks', () => {
    const other = 'tokenABCDEF1234';
    const window = `${SECRET.slice(-5)} a ${other} b ${SECRET} c ${other.slice(0, 8)}`;
    expect(redactWindow(window, [other, SECRET], BOTH)).toBe('*** a *** b *** c ***');
    // Two secrets overlapping in the text are one mask; side by side they stay two.
    expect(redactText('xx abcdEFGH yy', ['abcdEF', 'cdEFGH'])).toBe('xx *** yy');
    expect(redactText('xx abcdEFGH yy', ['abcd', 'EFGH'])).toBe('xx ****** yy');
  });

  it('finds the longest piece when the secret repeats its own start', () => {
    const repetitive = 'abcdabcdabcdXY';
    expect(redactWindow(`dabcdabcdXY tail`, [repetitive], { start: true, end: false })).toBe('*** tail');
    expect(redactWindow(`head abcdabcdab`, [repetitive], { start: false, end: true })).toBe('head ***');
  });
});

describe('StderrRing', () => {
  it('masks the piece of a secret its wrap cut off, once it was given the secrets', () => {
    const ring = new StderrRing(64);
    ring.redactWith([SECRET]);
    ring.push(`${SECRET}${'z'.repeat(64 - 7)}`);
    expect(ring.tail()).toBe(`***${'z'.repeat(64 - 7)}`);
    // Without secrets the text is shown as kept.
    const plain = new StderrRing(64);
    plain.push(`${SECRET}${'z'.repeat(64 - 7)}`);
    expect(plain.tail()).toBe(`${SECRET.slice(-7)}${'z'.repeat(64 - 7)}`);
  });

  it('masks the piece of a secret still being written at its end', () => {
    const ring = new StderrRing(1024);
    ring.redactWith([SECRET]);
    ring.push(`starting\ntoken=${SECRET.slice(0, 6)}`);
    expect(ring.tail()).toBe('starting\ntoken=***');
    ring.push(`${SECRET.slice(6)}\n`);
    expect(ring.tail()).toBe('starting\ntoken=***\n');
  });

  it('masks the piece of a secret the maxChars view cut off', () => {
    const ring = new StderrRing(10_000);
    ring.redactWith([SECRET]);
    ring.push(`${SECRET}${'z'.repeat(100)}`);
    expect(ring.tail(105)).toBe(`***${'z'.repeat(100)}`);
  });

  it('starts at a character boundary when the wrap cut a multi-byte character, so the rest of a secret is still masked', () => {
    const secret = 'pässwörd-Ünïcode-42';
    const ring = new StderrRing(200);
    ring.redactWith([secret]);
    // Bytes before the cut: "pässw" (6) and the first byte of "ö".
    const filler = 'z'.repeat(200 - (Buffer.byteLength(secret) - 7));
    ring.push(Buffer.concat([Buffer.from(secret), Buffer.from(filler)]));
    expect(ring.tail()).toBe(`***${filler}`);
    expect(ring.tail()).not.toContain('\uFFFD');
  });

  it('leaves out a character still being written instead of showing U+FFFD, then shows it whole', () => {
    const ring = new StderrRing(100);
    const bytes = Buffer.from('done: ö');
    ring.push(bytes.subarray(0, bytes.length - 1));
    expect(ring.tail()).toBe('done: ');
    ring.push(bytes.subarray(bytes.length - 1));
    expect(ring.tail()).toBe('done: ö');
  });

  it("masks the piece of a secret where one process's output stopped and the next one's began", () => {
    const ring = new StderrRing(1024);
    ring.redactWith([SECRET]);
    ring.newSegment();
    ring.push(`first: ${SECRET.slice(0, 8)}`);
    ring.newSegment();
    ring.push(`second: ${SECRET}\n`);
    expect(ring.tail()).toBe('first: ***second: ***\n');
    // The start of a process's output is no cut, even when older processes' output was dropped.
    const fresh = new StderrRing(16);
    fresh.redactWith(['tail-token-1234']);
    fresh.push('xxx');
    fresh.newSegment();
    fresh.push('oken-1234 is end');
    expect(fresh.tail()).toBe('oken-1234 is end');
  });
});
