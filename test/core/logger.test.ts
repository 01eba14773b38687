import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/core/logger.js';
import { until } from '../helpers/switchboard.js';

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

describe('boundedLineWriter', () => {
  it('queues at most its bound for a reader that does not read, counts what it drops, and says so once the stream drains', async () => {
    const { PassThrough } = await import('node:stream');
    const { boundedLineWriter } = await import('../../src/core/logger.js');
    const stream = new PassThrough({ highWaterMark: 1024 });
    const write = boundedLineWriter(stream, 64 * 1024);
    const line = `${JSON.stringify({ msg: 'x'.repeat(200) })}\n`;
    for (let i = 0; i < 10_000; i++) write(line);
    // Ten thousand lines of 214 bytes would be 2 MB; the queue holds its bound at most.
    expect(stream.writableLength).toBeLessThanOrEqual(64 * 1024);
    const read: string[] = [];
    stream.on('data', (chunk: Buffer) => read.push(chunk.toString()));
    await until(() => read.join('').includes('stderr was not read'), 5_000, 'the dropped-lines note');
    const text = read.join('');
    const kept = text.split('\n').filter((l) => l.includes('"msg":"xx')).length;
    const note = /dropped (\d+) log line\(s\): stderr was not read/.exec(text);
    expect(note).not.toBeNull();
    expect(kept + Number(note![1])).toBe(10_000);
  });
});
