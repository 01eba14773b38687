import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/core/logger.js';

describe('createJsonLogger', () => {
  it('writes server-supplied text without a raw character a terminal obeys, and parses back exactly', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (line) => void lines.push(line) });
    const hostile = 'tool\x1b]52;c;aGk=\x07 \u009b31m \u202egnp.exe \u2028 \x7f';
    logger.log('warn', 'server said', { text: hostile });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/);
    expect(JSON.parse(lines[0]!).text).toBe(hostile);
  });
});
