import { describe, expect, it } from 'vitest';
import { qualifiedName, splitQualified, toolFilter } from '../src/naming.js';

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
});
