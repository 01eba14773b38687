import { SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import { FramingLostError, ScreeningReadBuffer, SKIP_MS } from '../../src/protocol/v1/transports/stdioFraming.js';

const CAP = 1024;

/** A framing buffer under a 1 KiB cap, with what it hands on and whether it lost the framing. */
function framing(highestSent: number | undefined, clock = new SimulatedClock()) {
  const lost: FramingLostError[] = [];
  const buffer = new ScreeningReadBuffer(CAP, (error) => lost.push(error), { clock, highestSentId: () => highestSent });
  const read = () => {
    const out: unknown[] = [];
    for (;;) {
      try {
        const message = buffer.readMessage();
        if (message === null) return out;
        out.push(message);
      } catch (error) {
        out.push(error);
      }
    }
  };
  return { buffer, lost, read, clock };
}

const flush = () => new Promise<void>((resolve) => queueMicrotask(resolve));
const pad = 'p'.repeat(2 * CAP);

/** The checks on ids read from the edges of a line over the cap, and its time bound. */
describe('stdio framing of a line over the cap', () => {
  it('fails the request an SDK-style oversized answer names (the normal case)', async () => {
    const f = framing(3);
    f.buffer.append(Buffer.from(`{"result":{"text":"${pad}"},"jsonrpc":"2.0","id":3}\n`));
    await flush();
    expect(f.lost).toEqual([]);
    expect(f.read()).toMatchObject([{ id: 3, error: { code: -32603 } }]);
  });

  it('loses the framing when a stalled line is ended by another answer (id last): the later call is not blamed', async () => {
    const f = framing(3);
    f.buffer.append(Buffer.from(`{"result":{"text":"${pad}`));
    f.buffer.append(Buffer.from('{"result":{"content":[]},"jsonrpc":"2.0","id":3}\n'));
    await flush();
    expect(f.lost).toHaveLength(1);
    expect(f.read()).toEqual([]);
  });

  it('loses the framing when a tail id names a request not yet sent when the line began', async () => {
    const f = framing(2);
    f.buffer.append(Buffer.from(`{"result":{"text":"${pad}"},"jsonrpc":"2.0","id":5}\n`));
    await flush();
    expect(f.lost).toHaveLength(1);
    expect(f.read()).toEqual([]);
  });

  it('loses the framing when a line that began with a known id ends with another id', async () => {
    const f = framing(2);
    f.buffer.append(Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"text":"${pad}"},"id":2}\n`));
    await flush();
    expect(f.lost).toHaveLength(1);
  });

  it('loses the framing when another message follows a closed oversized answer on the same line', async () => {
    const f = framing(3);
    f.buffer.append(Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"text":"${pad}"}}{"jsonrpc":"2.0","id":3,"result":{}}`));
    await flush();
    expect(f.lost).toHaveLength(1);
  });

  it(`loses the framing ${SKIP_MS} ms (on the session clock) after a line passed the cap without ending`, async () => {
    const f = framing(1);
    f.buffer.append(Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"text":"${pad}`));
    await flush();
    expect(f.read()).toMatchObject([{ id: 1, error: { code: -32603 } }]);
    f.clock.increment(SKIP_MS - 1);
    await flush();
    expect(f.lost).toEqual([]);
    f.buffer.append(Buffer.from('p'.repeat(100)));
    f.clock.increment(1);
    await flush();
    expect(f.lost).toHaveLength(1);
    expect(f.lost[0]!.message).toContain(`${SKIP_MS} ms`);
  });

  it('clears the time bound when the line ends', async () => {
    const f = framing(3);
    f.buffer.append(Buffer.from(`{"result":{"text":"${pad}`));
    f.buffer.append(Buffer.from('"},"jsonrpc":"2.0","id":3}\n{"jsonrpc":"2.0","id":2,"result":{}}\n'));
    f.clock.increment(SKIP_MS * 2);
    await flush();
    expect(f.lost).toEqual([]);
    expect(f.read()).toMatchObject([{ id: 3, error: { code: -32603 } }, { id: 2, result: {} }]);
  });
});

/** A channel handed to a Client that validates messages itself (the modern era's v2 Client). */
describe('stdio framing for a Client that validates itself', () => {
  it('passes well-formed messages on as parsed, without the v1 schema, and still substitutes a broken response', async () => {
    const f = framing(3);
    f.buffer.trustClient();
    // resultType etc. pass untouched; a broken envelope (result is a number) gets its substitute.
    f.buffer.append(Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","x":1}}\n{"jsonrpc":"2.0","id":2,"result":5}\n[1,2]\n'));
    await flush();
    const out = f.read();
    expect(out[0]).toEqual({ jsonrpc: '2.0', id: 1, result: { resultType: 'complete', x: 1 } });
    expect(out[1]).toMatchObject({ id: 2, error: { code: -32603 } });
    expect(out[2]).toBeInstanceOf(Error);
  });

  it('checks every message against the v1 schema before it is told (a request without a method string is refused)', async () => {
    const f = framing(3);
    f.buffer.append(Buffer.from('{"jsonrpc":"2.0","id":"x","method":7}\n'));
    await flush();
    expect(f.read()[0]).toBeInstanceOf(Error);
    f.buffer.trustClient();
    f.buffer.append(Buffer.from('{"jsonrpc":"2.0","id":"x","method":7}\n'));
    await flush();
    expect(f.read()[0]).toEqual({ jsonrpc: '2.0', id: 'x', method: 7 });
  });
});
