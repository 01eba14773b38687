import { describe, expect, it } from 'vitest';
import { capResult, cutPoint, TRUNCATED_META_KEY } from '../../src/calls/resultCap.js';

/**
 * The cap on a result's characters (DESIGN §17), pure: text cut at the cap in all with a visible
 * marker, binary content over it a note, `_meta["mcp-switchboard/truncated"]` with the count.
 */

const marker = (chars: number) => `\n… [cut by mcp-switchboard: ${chars} characters in all]`;
const text = (value: string) => ({ type: 'text', text: value });
const metaOf = (result: object) => (result as { _meta?: unknown })._meta;

describe('capResult', () => {
  it('returns a result that fits, or any result when the cap is off, as it is', () => {
    const result = { content: [text('a'.repeat(100))] };
    expect(capResult(result, 100)).toBe(result);
    expect(capResult({ content: [text('a'.repeat(10_000))] }, 0)).toEqual({ content: [text('a'.repeat(10_000))] });
  });

  it('cuts text at the cap with a marker and merges the count into the result\'s own _meta', () => {
    const result = { content: [text('x'.repeat(1_000))], isError: false, _meta: { from: 'up' } };
    const capped = capResult(result, 100);
    expect(capped.content).toEqual([text('x'.repeat(100) + marker(1_000))]);
    expect(capped._meta).toEqual({ from: 'up', [TRUNCATED_META_KEY]: { originalChars: 1_000 } });
    expect(capped.isError).toBe(false);
    // The caller's object is not changed.
    expect(result.content[0]!.text).toHaveLength(1_000);
  });

  it('counts the whole result: later blocks take what is left, and blocks after the cut are left out', () => {
    const capped = capResult({ content: [text('a'.repeat(60)), text('b'.repeat(60)), text('c'.repeat(60)), { type: 'resource_link', uri: 'file:///x', name: 'x' }] }, 100);
    expect(capped.content).toEqual([text('a'.repeat(60)), text('b'.repeat(40) + marker(180)), { type: 'resource_link', uri: 'file:///x', name: 'x' }]);
  });

  it('never splits a surrogate pair, a combining accent or an emoji sequence', () => {
    // '😀' is two units: a cut at 5 would fall between them.
    expect(capResult({ content: [text('abcd😀efgh')] }, 5).content[0]!.text).toBe('abcd' + marker(10));
    // 'e' + U+0301 (combining acute) is one character to a reader.
    expect(capResult({ content: [text('abce\u0301fgh')] }, 4).content[0]!.text).toBe('abc' + marker(8));
    const family = '👨‍👩‍👧';
    expect(capResult({ content: [text(`ab${family}cd`)] }, 2 + family.length - 1).content[0]!.text).toBe('ab' + marker(4 + family.length));
    expect(cutPoint(`ab${family}cd`, 2 + family.length)).toBe(2 + family.length);
  });

  it('replaces binary content over what is left with a note, and a smaller text after it still fits', () => {
    const data = 'A'.repeat(4_000); // 3 000 bytes
    const capped = capResult({ content: [{ type: 'image', data, mimeType: 'image/png' }, text('small')] }, 1_000);
    expect(capped.content).toEqual([text('<3000 bytes of image/png, over the limit of 1000 characters>'), text('small')]);
    expect(metaOf(capped)).toEqual({ [TRUNCATED_META_KEY]: { originalChars: 4_005 } });
    const audio = { type: 'audio', data: 'AAA=', mimeType: 'audio/wav' };
    expect(capResult({ content: [audio, text('z'.repeat(50))] }, 20).content).toEqual([audio, text('z'.repeat(16) + marker(54))]);
  });

  it('caps a resource read: text contents cut, a blob over the cap a text note under its uri', () => {
    const capped = capResult({ contents: [{ uri: 'file:///big.bin', mimeType: 'application/octet-stream', blob: 'QUJD'.repeat(100) }, { uri: 'file:///a.txt', text: 'y'.repeat(300) }] }, 200);
    expect(capped.contents).toEqual([
      { uri: 'file:///big.bin', mimeType: 'text/plain', text: '<300 bytes of application/octet-stream, over the limit of 200 characters>' },
      { uri: 'file:///a.txt', text: 'y'.repeat(200) + marker(700) },
    ]);
  });

  it('caps an embedded resource in a tool result', () => {
    const capped = capResult({ content: [{ type: 'resource', resource: { uri: 'file:///a', text: 'r'.repeat(50) } }] }, 10);
    expect(capped.content).toEqual([{ type: 'resource', resource: { uri: 'file:///a', text: 'r'.repeat(10) + marker(50) } }]);
  });

  it('caps a prompt\'s messages and leaves out the messages after the cut', () => {
    const message = (role: string, value: string) => ({ role, content: text(value) });
    const capped = capResult({ description: 'd', messages: [message('user', 'u'.repeat(30)), message('assistant', 'v'.repeat(30)), message('user', 'w')] }, 40);
    expect(capped).toEqual({ description: 'd', messages: [message('user', 'u'.repeat(30)), message('assistant', 'v'.repeat(10) + marker(61))], _meta: { [TRUNCATED_META_KEY]: { originalChars: 61 } } });
  });

  it('leaves structuredContent as it is (clients check it against the output schema)', () => {
    const structuredContent = { rows: 'z'.repeat(500) };
    const capped = capResult({ content: [text('z'.repeat(500))], structuredContent }, 100);
    expect(capped.structuredContent).toBe(structuredContent);
    expect(capped.content[0]!.text).toBe('z'.repeat(100) + marker(500));
  });

  it('keeps the count of a cap applied before (a server\'s own, or a gateway upstream)', () => {
    const once = capResult({ content: [text('q'.repeat(10_000))] }, 1_000);
    const twice = capResult(once, 100);
    expect(twice.content[0]!.text).toBe('q'.repeat(100) + marker(10_000));
    expect(metaOf(twice)).toEqual({ [TRUNCATED_META_KEY]: { originalChars: 10_000 } });
  });
});
