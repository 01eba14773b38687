import { runBounded } from '../helpers/bounded.js';
import { describe, expect, it } from 'vitest';
import { qualifiedName, splitQualified, toolFilter } from '../../src/routing/naming.js';

describe('naming', () => {
  it('joins server and tool with __ when the result is already safe', () => {
    expect(qualifiedName('files', 'read_file')).toBe('files__read_file');
    expect(splitQualified('files__read_file')).toEqual({ server: 'files', tool: 'read_file' });
    expect(splitQualified('files__a__b')).toEqual({ server: 'files', tool: 'a__b' });
    expect(splitQualified('plain')).toBeNull();
  });

  it('shortens long or unsafe names with a stable hash suffix', () => {
    const long = qualifiedName('search', 'x'.repeat(100));
    expect(long).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(long).toHaveLength(64);
    expect(qualifiedName('search', 'x'.repeat(100))).toBe(long);
    const dotted = qualifiedName('my.server', 'get/thing');
    expect(dotted).toMatch(/^my_server__get_thing_[0-9a-f]{8}$/);
    expect(qualifiedName('my_server', 'get_thing')).not.toBe(dotted);
  });

  it('filters tools with allow and deny globs, deny winning', () => {
    const keep = toolFilter({ allow: ['web_*'], deny: ['web_admin'] });
    expect(['web_search', 'web_admin', 'other'].filter(keep)).toEqual(['web_search']);
    expect(toolFilter(undefined)('anything')).toBe(true);
    expect(toolFilter({ deny: ['a?c'] })('abc')).toBe(false);
  });

  it('matches globs over every character of a name, line breaks too', () => {
    // A regex's `.` stops at a line break: a server's tool "x\ny" slipped past deny ["*"].
    expect(toolFilter({ deny: ['*'] })('x\ny')).toBe(false);
    expect(toolFilter({ deny: ['x?y'] })('x\ny')).toBe(false);
    expect(toolFilter({ allow: ['x*'] })('x\ny')).toBe(true);
    const cases: [string, string, boolean][] = [
      ['*', '', true],
      ['a*', 'a', true],
      ['*a', 'ba', true],
      ['a*a', 'a', false],
      ['a*b*c', 'axxbyyc', true],
      ['a*b*c', 'acb', false],
      ['*ab*ab*', 'abab', true],
      ['*ab*ab*', 'aba', false],
      ['?', '', false],
      ['a?c*', 'abcdef', true],
      ['web.*', 'webx', false],
      ['(a+)+', '(a+)+', true],
      ['**', 'anything', true],
    ];
    for (const [glob, name, fits] of cases) expect({ glob, name, fits: toolFilter({ allow: [glob] })(name) }).toEqual({ glob, name, fits });
  });

  it('matches a glob built to backtrack against a long server-supplied name in linear time', async () => {
    // As a regex, ^.*a.*a.*a…b$ tries every way to split a run of "a"s before failing.
    const glob = `${'*a'.repeat(12)}*b`;
    const script = `
      const { toolFilter } = await import(${JSON.stringify(new URL('../../dist/src/routing/naming.js', import.meta.url).href)});
      const keep = toolFilter({ deny: [${JSON.stringify(glob)}] });
      process.stdout.write(JSON.stringify([keep('a'.repeat(20000)), keep('a'.repeat(20000) + 'b')]));`;
    // Killed after a generous bound (a backtracking regex blocks its thread for hours); the work takes milliseconds.
    const { stdout, killed } = await runBounded(script);
    expect(killed).toBe(false);
    expect(JSON.parse(stdout)).toEqual([true, false]);
  }, 30_000);
});
