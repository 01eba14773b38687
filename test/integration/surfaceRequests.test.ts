import type { CreateMessageResult, ElicitResult, Root } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createSwitchboard, type Switchboard, type SwitchboardOptions } from '../../src/index.js';
import { REQUEST_ERAS, type Ask, type Outcome, type Probe, type RequestsRow } from '../helpers/askers.js';
import { until } from '../helpers/switchboard.js';

/**
 * Server → client requests through `createSwitchboard(config, { handlers })` (DESIGN §10, §15): a
 * server asks for sampling, elicitation and roots during a tool call; the handlers answer and
 * learn which server asked; capabilities are declared only for given handlers and withheld per
 * server by config; a throwing, late or cancelled handler answers with a JSON-RPC error and the
 * session goes on; the per-server bound (`limits.maxServerRequests`, `maxServerRequestQueue`)
 * holds; elicitation defaults (SEP-1034) are applied; `setRoots` changes what the next request
 * gets (and notifies legacy servers). Runs once per era (test/helpers/askers.ts): a v1 server asks
 * with real requests (2025-11-25), a v2 server refusing legacy clients returns `input_required`
 * (2026-07-28); the same handlers answer both, with the same context, bounds and errors.
 */

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

/** `asker` with every handler given, `mute` with sampling withheld by config. */
async function setup(
  era: RequestsRow,
  handlers: SwitchboardOptions['handlers'],
  extra: { clock?: SimulatedClock; callMs?: number; limits?: { maxServerRequests: number; maxServerRequestQueue: number } } = {},
) {
  const probe: Probe = { rootsChanged: {} };
  const config = era.config({
    // `mute` is configured (for its capabilities) and gets its transport from `transports`.
    servers: { mute: { transport: 'stdio' as const, command: 'unused', capabilities: { sampling: false } } },
    defaults: { health: { intervalMs: 0 }, timeouts: { callMs: extra.callMs ?? 5_000 }, ...(extra.limits ? { limits: extra.limits } : {}) },
  });
  const sb = createSwitchboard(config, { handlers, ...(extra.clock ? { clock: extra.clock } : {}), transports: { asker: era.asker('asker', probe), mute: era.asker('mute', probe) } });
  boards.push(sb);
  await sb.start();
  expect(sb.getServer('asker')!.state).toBe('connected');
  expect(sb.getServer('mute')!.state).toBe('connected');
  expect(sb.getServer('asker')!.protocol?.era).toBe(era.era);
  const ask = (server: string, what: Ask, timeoutMs?: number): Promise<Outcome> => era.settle(sb.callTool('ask', { what }, { server, ...(timeoutMs ? { timeoutMs } : {}) }));
  return { sb, probe, ask };
}

const REPLY: CreateMessageResult = { role: 'assistant', content: { type: 'text', text: 'hello' }, model: 'test-model' };
const ROOTS: Root[] = [{ uri: 'file:///one', name: 'one' }];

describe.each(REQUEST_ERAS)('server → client requests ($era)', (era) => {
  it('answers sampling through the handler, which learns the server that asked', async () => {
    const seen: { server: string; text: unknown }[] = [];
    const { ask } = await setup(era, {
      sampling: async (params, ctx) => {
        seen.push({ server: ctx.server, text: (params.messages[0]!.content as { text: string }).text });
        return REPLY;
      },
    });
    expect(await ask('asker', 'sampling')).toEqual({ ok: REPLY });
    expect(seen).toEqual([{ server: 'asker', text: 'hi' }]);
  });

  it('declares only the capabilities whose handlers exist, and withholds one per server by config', async () => {
    const { ask } = await setup(era, { sampling: async () => REPLY, elicitation: async () => ({ action: 'decline' }), roots: ROOTS });
    const asked = (await ask('asker', 'capabilities')).ok;
    expect(asked).toMatchObject({ sampling: {}, elicitation: { form: { applyDefaults: true } }, roots: { listChanged: true } });
    const muted = (await ask('mute', 'capabilities')).ok;
    expect(muted).not.toHaveProperty('sampling');
    expect(muted).toMatchObject({ elicitation: { form: { applyDefaults: true } }, roots: { listChanged: true } });
    // No sampling handler on `mute`: the request fails, and the session goes on.
    const refused = await ask('mute', 'sampling');
    expect(refused.error?.code).toBe(era.undeclaredCode);
    expect((await ask('mute', 'roots')).ok).toEqual({ roots: ROOTS });
  });

  it('declares nothing for handlers not given: a server asking for them fails', async () => {
    const { ask } = await setup(era, { sampling: async () => REPLY });
    const caps = (await ask('asker', 'capabilities')).ok;
    expect(caps).toHaveProperty('sampling');
    expect(caps).not.toHaveProperty('elicitation');
    expect(caps).not.toHaveProperty('roots');
    expect((await ask('asker', 'elicitation')).error).toBeDefined();
    expect((await ask('asker', 'roots')).error?.code).toBe(era.undeclaredCode);
  });

  it('answers a throwing handler with a JSON-RPC error and serves the next request', async () => {
    let calls = 0;
    const { sb, ask } = await setup(era, {
      sampling: async () => {
        if (++calls === 1) throw new Error('model unavailable');
        return REPLY;
      },
    });
    const failed = await ask('asker', 'sampling');
    expect(failed.error).toMatchObject({ code: -32603 });
    expect(failed.error!.message).toContain('model unavailable');
    expect(await ask('asker', 'sampling')).toEqual({ ok: REPLY });
    expect(sb.getServer('asker')!.state).toBe('connected');
    // Our own handler failed, not the server: nothing counts against the server's breaker.
    expect(sb.getServer('asker')!.breaker!.failedCalls).toBe(0);
  });

  it('answers a handler that runs past timeouts.callMs with an error and aborts its signal (simulated clock)', async () => {
    const clock = new SimulatedClock();
    const signals: AbortSignal[] = [];
    const { ask } = await setup(
      era,
      {
        sampling: (_params, ctx) => {
          signals.push(ctx.signal);
          // The first request never answers; the second does.
          return signals.length === 1 ? new Promise(() => undefined) : Promise.resolve(REPLY);
        },
      },
      { clock, callMs: 1_000 },
    );
    const late = ask('asker', 'sampling', 10_000);
    await until(() => signals.length === 1, 5_000, 'the sampling request');
    clock.increment(999);
    await new Promise((r) => setImmediate(r));
    expect(signals[0]!.aborted).toBe(false);
    clock.increment(1);
    const outcome = await late;
    expect(outcome.error?.code).toBe(-32001);
    expect(outcome.error!.message).toContain('timed out');
    expect(signals[0]!.aborted).toBe(true);
    expect(await ask('asker', 'sampling', 10_000)).toEqual({ ok: REPLY });
  });

  it("aborts the handler's signal when the call waiting for its answer is cancelled, and frees its slot", async () => {
    const signals: AbortSignal[] = [];
    const { sb, ask } = await setup(
      era,
      {
        sampling: (_params, ctx) => {
          signals.push(ctx.signal);
          // The first never answers by itself; the next one does.
          return signals.length === 1 ? new Promise(() => undefined) : Promise.resolve(REPLY);
        },
      },
      // A deadline far away: only the cancel may end the handler here.
      { callMs: 60_000, limits: { maxServerRequests: 1, maxServerRequestQueue: 0 } },
    );
    const controller = new AbortController();
    const call = sb.callTool('ask', { what: 'sampling' }, { server: 'asker', signal: controller.signal });
    await until(() => signals.length === 1, 5_000, 'the sampling request');
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'Cancelled' });
    await until(() => signals[0]!.aborted, 5_000, "the handler's signal to abort");
    // The one slot is free again: the next request runs instead of being refused.
    expect(await ask('asker', 'sampling')).toEqual({ ok: REPLY });
    expect(sb.getServer('asker')!.state).toBe('connected');
  });

  it('runs limits.maxServerRequests handlers per server at once, queues limits.maxServerRequestQueue and refuses the rest', async () => {
    const releases: (() => void)[] = [];
    const { ask } = await setup(
      era,
      {
        sampling: () => new Promise((resolve) => releases.push(() => resolve(REPLY))),
        elicitation: () => new Promise((resolve) => releases.push(() => resolve({ action: 'decline' }))),
      },
      { limits: { maxServerRequests: 1, maxServerRequestQueue: 1 } },
    );
    const first = ask('asker', 'sampling');
    await until(() => releases.length === 1, 5_000, 'the first sampling handler');
    // Of two more, one waits for the slot and one is refused at once (which one is the transport's race).
    const more = [ask('asker', 'sampling'), ask('asker', 'sampling')];
    const refusal = await Promise.race(more);
    expect(refusal.error).toMatchObject({ code: -32603 });
    expect(refusal.error!.message).toContain('too many concurrent server requests (1 running, 1 queued)');
    // The bound is per server: `mute` runs its own handler meanwhile.
    const other = ask('mute', 'elicitation');
    await until(() => releases.length === 2, 5_000, "mute's elicitation handler");
    releases[1]!();
    expect(await other).toEqual({ ok: { action: 'decline' } });
    releases[0]!();
    expect(await first).toEqual({ ok: REPLY });
    await until(() => releases.length === 3, 5_000, 'the queued sampling handler');
    releases[2]!();
    const settled = await Promise.all(more);
    expect(settled.filter((outcome) => outcome.ok !== undefined)).toEqual([{ ok: REPLY }]);
    expect(releases).toHaveLength(3);
  });

  it('fills the fields an elicitation handler leaves out from the schema defaults (SEP-1034)', async () => {
    const answers: ElicitResult[] = [{ action: 'accept', content: { name: 'Ada' } }, { action: 'accept' }, { action: 'decline' }];
    const seen: { server: string; mode: unknown; message: string }[] = [];
    const { ask } = await setup(era, {
      elicitation: async (params, ctx) => {
        seen.push({ server: ctx.server, mode: params.mode, message: params.message });
        return answers.shift()!;
      },
    });
    expect((await ask('asker', 'elicitation')).ok).toEqual({ action: 'accept', content: { name: 'Ada', age: 30, subscribe: true } });
    expect((await ask('mute', 'elicitation')).ok).toEqual({ action: 'accept', content: { name: 'anon', age: 30, subscribe: true } });
    expect((await ask('asker', 'elicitation')).ok).toEqual({ action: 'decline' });
    expect(seen).toEqual([
      { server: 'asker', mode: 'form', message: 'Who are you?' },
      { server: 'mute', mode: 'form', message: 'Who are you?' },
      { server: 'asker', mode: 'form', message: 'Who are you?' },
    ]);
  });

  it('gives roots from a function that learns the server', async () => {
    const { ask } = await setup(era, { roots: ({ server }) => [{ uri: `file:///${server}` }] });
    expect((await ask('asker', 'roots')).ok).toEqual({ roots: [{ uri: 'file:///asker' }] });
    expect((await ask('mute', 'roots')).ok).toEqual({ roots: [{ uri: 'file:///mute' }] });
  });

  it('replaces the roots with setRoots, notifies every server and answers the next roots/list with them', async () => {
    const { sb, probe, ask } = await setup(era, { roots: ROOTS });
    expect((await ask('asker', 'roots')).ok).toEqual({ roots: ROOTS });
    const next: Root[] = [{ uri: 'file:///two', name: 'two' }, { uri: 'file:///three' }];
    sb.setRoots(next);
    if (era.rootsNotified) await until(() => probe.rootsChanged.asker === 1 && probe.rootsChanged.mute === 1, 5_000, 'roots list_changed on both servers');
    else expect(probe.rootsChanged).toEqual({});
    expect((await ask('asker', 'roots')).ok).toEqual({ roots: next });
    expect((await ask('mute', 'roots')).ok).toEqual({ roots: next });
    // The switchboard keeps its own copy: changing the array given does not change the roots.
    next.pop();
    expect((await ask('asker', 'roots')).ok.roots).toHaveLength(2);
  });
});
