/**
 * What the design's shape costs per event, measured alone (`tsx bench/lib/shapeCost.ts`): an
 * event to a minimal XState actor, an event that runs one assign, a `sendTo` hop to a child, a
 * timer per call against one pooled deadline heap, and a promise settled per call. Prints µs per
 * operation (median of 5 runs of N operations), so PROFILE.md can say which part costs what.
 */
import { performance } from 'node:perf_hooks';
import { assign, createActor, createMachine, sendTo, setup } from 'xstate';
import { realClock } from '../../src/core/clock.js';
import { DeadlineQueue } from '../../src/calls/deadlines.js';

const N = 200_000;

function time(label: string, run: (n: number) => void): void {
  const samples: number[] = [];
  run(10_000);
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    run(N);
    samples.push(((performance.now() - started) * 1000) / N);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} ${samples[2]!.toFixed(3)} µs`);
}

const empty = createActor(createMachine({ id: 'empty' })).start();
time('event to an actor that does not handle it', (n) => {
  for (let i = 0; i < n; i++) empty.send({ type: 'x' });
});

const counter = createActor(
  setup({ types: {} as { context: { n: number } }, actions: { count: assign({ n: ({ context }) => context.n + 1 }) } }).createMachine({ id: 'counter', context: { n: 0 }, on: { x: { actions: 'count' } } }),
).start();
time('event that runs one assign', (n) => {
  for (let i = 0; i < n; i++) counter.send({ type: 'x' });
});

const child = createMachine({ id: 'child', on: { x: {} } });
const parent = createActor(
  setup({ actors: { child }, actions: { forward: sendTo('c', ({ event }) => event) } }).createMachine({ id: 'parent', invoke: { id: 'c', src: 'child' }, on: { x: { actions: 'forward' } } }),
).start();
time('event forwarded to a child with sendTo', (n) => {
  for (let i = 0; i < n; i++) parent.send({ type: 'x' });
});

time('setTimeout + clearTimeout per call', (n) => {
  for (let i = 0; i < n; i++) clearTimeout(setTimeout(() => undefined, 60_000));
});

const live = new Set<string>();
const queue = new DeadlineQueue(realClock, (key) => live.has(key), () => undefined, () => live.size);
time('DeadlineQueue.add per call (pooled timer)', (n) => {
  const now = Date.now();
  for (let i = 0; i < n; i++) queue.add(`c${i}`, now + 60_000);
  queue.clear();
});

time('new Promise settled per call', (n) => {
  for (let i = 0; i < n; i++) {
    let resolve!: (v: number) => void;
    const p = new Promise<number>((r) => (resolve = r));
    resolve(i);
    void p;
  }
});
process.exit(0);
