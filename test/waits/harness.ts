import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterEach } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import type { PolicyOverrides } from '../../src/config/schema.js';
import { failWithProtocolError } from '../helpers/switchboard.js';

/**
 * The waits of issue 22 on XState's SimulatedClock, against a real SDK McpServer over the
 * in-memory transport: the test decides how each connect goes (`next`), crashes the live server
 * (`crash`) and moves the clock; no real timer decides anything.
 */

/** How the next connect goes: a live server, one that never answers, a refusal, or a wait for `release`. */
export type ConnectPlan = 'serve' | 'hang' | 'refuse' | 'gate';

export interface Upstream {
  connects: number;
  /** Plans of the coming connects, in order; `serve` once they run out. */
  next: ConnectPlan[];
  /** Ends the live server's side of the connection (the server process died). */
  crash(): Promise<void>;
  /** Lets a `gate`d connect go on. */
  release(): void;
  /** Whether a `gate`d connect is waiting for `release`. */
  gated(): boolean;
}

/** An in-memory server with `echo`, `boom` (JSON-RPC −32603) and the prompt `greet`, connected as `upstream.next` says. */
function controlled(upstream: { connects: number; next: ConnectPlan[]; live: McpServer | null; gate: (() => void) | null }) {
  return async (): Promise<Transport> => {
    upstream.connects++;
    const plan = upstream.next.shift() ?? 'serve';
    if (plan === 'refuse') throw new Error('connect refused');
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    // Nobody at the other end: initialize is never answered (the attempt's abort closes it).
    if (plan === 'hang') return client;
    if (plan === 'gate') await new Promise<void>((resolve) => (upstream.gate = resolve));
    const server = new McpServer({ name: 'upstream', version: '1.0.0' });
    server.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
    server.registerTool('boom', { description: 'Answered with JSON-RPC -32603' }, async () => ({ content: [] }));
    server.registerPrompt('greet', { description: 'Greets' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'hello' } }] }));
    failWithProtocolError(server, 'boom');
    await server.connect(serverSide);
    upstream.live = server;
    return client;
  };
}

const boards: { sb: Switchboard; upstream: Upstream }[] = [];

/** Stops every switchboard `waitsBoard` made after each test, a gated connect let go first (call once per file). */
export function useWaits(): void {
  afterEach(async () => {
    await Promise.all(
      boards.splice(0).map(({ sb, upstream }) => {
        upstream.release();
        return sb.stop();
      }),
    );
  });
}

/** A switchboard over one controlled server `s` on a SimulatedClock; started unless the first plan is `gate`. */
export async function waitsBoard(defaults: PolicyOverrides = {}, plans: ConnectPlan[] = []) {
  const clock = new SimulatedClock();
  const state = { connects: 0, next: [...plans], live: null as McpServer | null, gate: null as (() => void) | null };
  const sb = createSwitchboard(
    { servers: {}, defaults: { health: { intervalMs: 0 }, ...defaults } },
    { clock, transports: { s: controlled(state) }, random: () => 0.5 },
  );
  const upstream: Upstream = {
    get connects() {
      return state.connects;
    },
    get next() {
      return state.next;
    },
    set next(plans: ConnectPlan[]) {
      state.next = plans;
    },
    crash: async () => {
      await state.live?.close();
      state.live = null;
    },
    release: () => {
      const open = state.gate;
      state.gate = null;
      open?.();
    },
    gated: () => state.gate !== null,
  };
  boards.push({ sb, upstream });
  return { clock, sb, upstream };
}

/** Lets pending promise chains (in-memory transport, SDK) run without moving the clock. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** The state of a promise, readable at any time. */
export function track<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}
