/**
 * What tracing costs a call when no OpenTelemetry SDK is registered (`tsx bench/traces.ts`): the
 * hooks every call runs (start the span, set the era, inject into `_meta`, end it) against an empty
 * loop, interleaved A/B over 7 rounds, beside a whole in-memory `callTool` for scale. Prints µs per
 * call (median of the rounds). `npm run bench` measures the same hooks as its tracing row, in
 * interleaved windows with an interval (bench/lib/tracesRow.ts); this script is the quick look.
 */
import { performance } from 'node:perf_hooks';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { endCallSpan, injectCallContext, setCallEra, startCallSpan } from '../src/traces/index.js';
import { createSwitchboard } from '../src/index.js';

const N = 500_000;
const ROUNDS = 7;
const call = { server: 's', kind: 'tool', tool: 'echo', method: undefined };
const meta = { 'example.com/tenant': 't1' };
let sink = 0;

function traced(n: number): void {
  for (let i = 0; i < n; i++) {
    const span = startCallSpan(call, i & 1 ? meta : undefined);
    setCallEra(span, 'legacy', '2025-11-25');
    if (injectCallContext(span, meta) !== meta) sink++;
    endCallSpan(span, { ok: true, isError: false });
  }
}

function baseline(n: number): void {
  for (let i = 0; i < n; i++) if ((i & 1 ? meta : undefined) === undefined) sink++;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const perCall = (run: (n: number) => void, n: number) => {
  const started = performance.now();
  run(n);
  return ((performance.now() - started) * 1000) / n;
};

traced(50_000);
baseline(50_000);
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  a.push(perCall(traced, N));
  b.push(perCall(baseline, N));
}
const hooks = median(a) - median(b);

const server = async () => {
  const mcp = new McpServer({ name: 'bench', version: '1.0.0' });
  mcp.registerTool('echo', { description: 'Echo' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
  const [client, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  return client;
};
const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } }, { transports: { s: server } });
await sb.start();
const calls: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const started = performance.now();
  for (let i = 0; i < 5_000; i++) await sb.callTool('s__echo', {});
  calls.push(((performance.now() - started) * 1000) / 5_000);
}
await sb.stop();
const whole = median(calls);

console.log(`tracing hooks per call, no SDK           ${hooks.toFixed(3)} µs  (traced ${median(a).toFixed(3)} µs, empty loop ${median(b).toFixed(3)} µs)`);
console.log(`one in-memory callTool, sequential       ${whole.toFixed(1)} µs`);
console.log(`share of a call                          ${((hooks / whole) * 100).toFixed(2)} %  (${sink > 0 ? 'ok' : ''})`);
