import { describe, expect, it } from 'vitest';
import { CallOutbox } from '../../src/calls/outbox.js';

/** How calls are gathered into `tool.call` bursts (src/calls/outbox.ts). */
describe('CallOutbox', () => {
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('sends a lone call in a microtask, before the event loop turns', async () => {
    const sent: [string, string[]][] = [];
    const outbox = new CallOutbox((server, ids) => sent.push([server, ids]), () => 1);
    outbox.push('a', 'c1');
    expect(sent).toEqual([]);
    await Promise.resolve();
    expect(sent).toEqual([['a', ['c1']]]);
  });

  it('gathers the calls of one tick per server, in the order servers were first called', async () => {
    const sent: [string, string[]][] = [];
    // As the call path does: each call is opened in the table, then pushed.
    let open = 0;
    const outbox = new CallOutbox((server, ids) => sent.push([server, ids]), () => open);
    for (const [server, id] of [['b', 'c1'], ['a', 'c2'], ['b', 'c3']] as const) {
      open++;
      outbox.push(server, id);
    }
    await Promise.resolve();
    expect(sent).toEqual([
      ['b', ['c1', 'c3']],
      ['a', ['c2']],
    ]);
  });

  it('with other calls in flight, waits for the end of the event-loop turn and gathers every call made in it', async () => {
    const sent: [string, string[]][] = [];
    let open = 10;
    const outbox = new CallOutbox((server, ids) => sent.push([server, ids]), () => open);
    outbox.push('a', 'c1');
    // Later callbacks of the same turn (as separate I/O answers would wake their callers).
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toEqual([]);
    outbox.push('a', 'c2');
    await turn();
    expect(sent).toEqual([['a', ['c1', 'c2']]]);
    open = 1;
    outbox.push('a', 'c3');
    await Promise.resolve();
    expect(sent).toEqual([['a', ['c1', 'c2']], ['a', ['c3']]]);
  });
});
