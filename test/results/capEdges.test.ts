import { describe, expect, it } from 'vitest';
import { capResult, cutPoint, TRUNCATED_META_KEY } from '../../src/calls/resultCap.js';

/** Review of issue 23 part 3: edge cases of the result cap. */

const textOf = (r: { content: Array<{ text?: string }> }, i = 0) => r.content[i]!.text!;
const kept = (t: string) => t.split('\n… [cut by mcp-switchboard')[0]!;

describe('review23: result cap edge cases', () => {
  it('never cuts a surrogate pair in half (emoji straddling the cap)', () => {
    const text = 'a' + '😀'.repeat(10); // 21 units: a, then pairs at 1-2, 3-4, ...
    const r = capResult({ content: [{ type: 'text', text }] }, 2);
    const k = kept(textOf(r));
    expect(k).toBe('a');
    expect(/[\ud800-\udbff]$/.test(k)).toBe(false);
  });

  it('cap of 1 on an emoji-only text keeps nothing but the marker (no lone surrogate)', () => {
    const r = capResult({ content: [{ type: 'text', text: '😀😀😀' }] }, 1);
    expect(kept(textOf(r))).toBe('');
    expect((r as { _meta?: unknown })._meta).toEqual({ [TRUNCATED_META_KEY]: { originalChars: 6 } });
  });

  it('cap of 0 is off: the same object back', () => {
    const result = { content: [{ type: 'text', text: 'x'.repeat(10_000) }] };
    expect(capResult(result, 0)).toBe(result);
  });

  it('keeps the result\'s own _meta beside the truncated mark, and does not mutate the input', () => {
    const result = { content: [{ type: 'text', text: 'x'.repeat(100) }], _meta: { page: 3, traceparent: 't' } };
    const r = capResult(result, 10);
    expect(r._meta).toEqual({ page: 3, traceparent: 't', [TRUNCATED_META_KEY]: { originalChars: 100 } });
    expect(result.content[0]!.text.length).toBe(100);
    expect(result._meta).toEqual({ page: 3, traceparent: 't' });
  });

  it('structuredContent is never touched, however large (documented)', () => {
    const structured = { rows: 'y'.repeat(50_000) };
    const r = capResult({ content: [{ type: 'text', text: 'x'.repeat(100) }], structuredContent: structured }, 10);
    expect(r.structuredContent).toBe(structured);
  });

  it('an embedded resource\'s text is cut with the marker; its uri is kept', () => {
    const r = capResult({ content: [{ type: 'resource', resource: { uri: 'mem://x', text: 'z'.repeat(500) } }] }, 50) as {
      content: Array<{ type: string; resource: { uri: string; text: string } }>;
    };
    expect(r.content[0]!.resource.uri).toBe('mem://x');
    expect(kept(r.content[0]!.resource.text)).toBe('z'.repeat(50));
  });

  it('an embedded resource blob over the cap becomes a text note, not half a blob', () => {
    const r = capResult({ content: [{ type: 'resource', resource: { uri: 'mem://b', blob: 'A'.repeat(400), mimeType: 'application/pdf' } }] }, 50) as {
      content: Array<{ resource: Record<string, unknown> }>;
    };
    expect(r.content[0]!.resource.blob).toBeUndefined();
    expect(String(r.content[0]!.resource.text)).toMatch(/300 bytes of application\/pdf/);
  });

  it('an image over the cap becomes a note; smaller text after it still fits', () => {
    const r = capResult({ content: [{ type: 'image', data: 'A'.repeat(400), mimeType: 'image/png' }, { type: 'text', text: 'caption' }] }, 50) as {
      content: Array<{ type: string; text?: string }>;
    };
    expect(r.content[0]).toEqual({ type: 'text', text: '<300 bytes of image/png, over the limit of 50 characters>' });
    expect(r.content[1]).toEqual({ type: 'text', text: 'caption' });
  });

  it('a result already carrying an upstream truncated mark keeps the larger original count', () => {
    const r = capResult({ content: [{ type: 'text', text: 'x'.repeat(100) }], _meta: { [TRUNCATED_META_KEY]: { originalChars: 1_000_000 } } }, 10);
    expect(r._meta).toEqual({ [TRUNCATED_META_KEY]: { originalChars: 1_000_000 } });
  });

  it('a bogus upstream truncated mark (string, negative) is not trusted', () => {
    const r = capResult({ content: [{ type: 'text', text: 'x'.repeat(100) }], _meta: { [TRUNCATED_META_KEY]: { originalChars: '9e9' } } }, 10);
    expect(r._meta).toEqual({ [TRUNCATED_META_KEY]: { originalChars: 100 } });
  });

  it('does not cut inside a grapheme made of a letter and many combining marks (README: "never splits an accented letter")', () => {
    // One user-perceived character of 81 UTF-16 units, then plain text.
    const zalgo = 'e' + '\u0301'.repeat(80);
    const text = zalgo + 'tail';
    const at = cutPoint(text, 40);
    // Acceptable cuts: before the cluster (0) or after it (81): never inside it.
    expect([0, 81]).toContain(at);
  });

  it('does not cut a ZWJ family emoji apart', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 units
    const text = 'ab' + family + 'cd';
    for (let max = 3; max < 13; max++) expect([2, 13]).toContain(cutPoint(text, max));
  });

  it('prompt messages are capped and a message left out whole is dropped', () => {
    const r = capResult({ messages: [{ role: 'user', content: { type: 'text', text: 'p'.repeat(100) } }, { role: 'user', content: { type: 'text', text: 'q' } }] }, 10) as {
      messages: Array<{ content: { text: string } }>;
    };
    expect(r.messages).toHaveLength(1);
    expect(kept(r.messages[0]!.content.text)).toBe('p'.repeat(10));
  });
});
