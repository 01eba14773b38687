import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CreateMessageRequest, CreateMessageResult, ElicitRequest, ElicitResult, Root } from '@modelcontextprotocol/sdk/types.js';
import { afterEach } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { clientCapabilities, installServerRequests, type HandlerContext, type ServerRequestHandlers, type ServerRequestLimits } from '../../src/protocol/v1/serverRequests.js';
import { REPLY, TIMEOUT_MS } from './serverRequestPair.js';

/**
 * A server that floods its client with server → client requests during one tool call, and
 * handlers that count how many of them run at once and finish only when the test says so.
 */

/** What the flooding server saw: answers, and refusals grouped by "code message". */
export interface FloodProbe {
  ok: number;
  errors: Record<string, number>;
}

export const refused = (probe: FloodProbe) => Object.values(probe.errors).reduce((sum, n) => sum + n, 0);

type FloodKind = 'sampling' | 'elicitation' | 'roots';

/** The `n`-th request of a flood: label `#n` in its text (roots carry none). */
export function floodRequest(mcp: McpServer, kind: FloodKind, n: number, signal?: AbortSignal): Promise<unknown> {
  const options = signal ? { signal } : undefined;
  if (kind === 'sampling') {
    const params: CreateMessageRequest['params'] = { messages: [{ role: 'user', content: { type: 'text', text: `#${n}` } }], maxTokens: 10 };
    return mcp.server.createMessage(params, options);
  }
  if (kind === 'elicitation') return mcp.server.elicitInput({ message: `#${n}`, requestedSchema: { type: 'object', properties: {} } }, options);
  return mcp.server.listRoots(undefined, options);
}

/** Registers the tool `flood { n, kinds }`: `n` requests at once, kind `kinds[i % kinds.length]`. */
export function registerFlood(mcp: McpServer, probe: FloodProbe): void {
  mcp.registerTool('flood', { inputSchema: { n: z.number().int(), kinds: z.array(z.enum(['sampling', 'elicitation', 'roots'])) } }, async ({ n, kinds }) => {
    const all = Array.from({ length: n }, (_, i) =>
      floodRequest(mcp, kinds[i % kinds.length]!, i).then(
        () => {
          probe.ok += 1;
        },
        (error: { code?: number; message: string }) => {
          const key = `${error.code} ${error.message}`;
          probe.errors[key] = (probe.errors[key] ?? 0) + 1;
        },
      ),
    );
    await Promise.all(all);
    return { content: [{ type: 'text' as const, text: JSON.stringify(probe) }] };
  });
}

export interface Run {
  label: string;
  ctx: HandlerContext | undefined;
  release(): void;
}

/** Handlers that block until released (or aborted, as a well-behaved handler does), counting overlap. */
export class Blocker {
  readonly started: Run[] = [];
  running = 0;
  max = 0;

  block<T>(label: string, ctx: HandlerContext | undefined, value: T): Promise<T> {
    this.running += 1;
    this.max = Math.max(this.max, this.running);
    return new Promise<T>((resolve, reject) => {
      let finished = false;
      const done = () => {
        if (finished) return false;
        finished = true;
        this.running -= 1;
        ctx?.signal.removeEventListener('abort', aborted);
        return true;
      };
      const aborted = () => {
        if (done()) reject(new Error('aborted'));
      };
      ctx?.signal.addEventListener('abort', aborted, { once: true });
      this.started.push({ label, ctx, release: () => void (done() && resolve(value)) });
    });
  }

  readonly handlers: ServerRequestHandlers = {
    sampling: (params: CreateMessageRequest['params'], ctx) => this.block(labelOf(params.messages[0]?.content), ctx, REPLY as CreateMessageResult),
    elicitation: (params: ElicitRequest['params'], ctx) => this.block(params.message, ctx, { action: 'decline' } as ElicitResult),
    roots: () => this.block('roots', undefined, [] as Root[]),
  };
}

function labelOf(content: unknown): string {
  return (content as { text?: string } | undefined)?.text ?? '?';
}

/** A SimulatedClock that knows which of its timers are still pending. */
export class CountingClock {
  readonly inner = new SimulatedClock();
  readonly live = new Set<unknown>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id: unknown = this.inner.setTimeout(() => {
      this.live.delete(id);
      fn();
    }, ms);
    this.live.add(id);
    return id;
  }

  clearTimeout(id: unknown): void {
    this.live.delete(id);
    this.inner.clearTimeout(id as number);
  }

  increment(ms: number): void {
    this.inner.increment(ms);
  }
}

export interface FloodPair {
  mcp: McpServer;
  client: Client;
  clock: CountingClock;
  probe: FloodProbe;
  logs: { level: string; message: string }[];
}

const open: FloodPair[] = [];

/** Closes every pair a test opened. */
export function closeFloodPairsAfterEach(): void {
  afterEach(async () => {
    for (const pair of open.splice(0)) {
      await pair.client.close();
      await pair.mcp.close();
    }
  });
}

/** A real McpServer with the `flood` tool and a real Client answering with `handlers` under `limits`. */
export async function floodPair(handlers: ServerRequestHandlers, limits: ServerRequestLimits | undefined): Promise<FloodPair> {
  const mcp = new McpServer({ name: 'flooder', version: '1.0.0' });
  const probe: FloodProbe = { ok: 0, errors: {} };
  registerFlood(mcp, probe);
  const capabilities = clientCapabilities(handlers, undefined);
  const client = new Client({ name: 'switchboard', version: '0.0.0' }, { capabilities });
  const clock = new CountingClock();
  const logs: FloodPair['logs'] = [];
  installServerRequests(client, {
    server: 'flooder',
    handlers,
    capabilities,
    timeoutMs: TIMEOUT_MS,
    clock,
    log: (level, message) => logs.push({ level, message }),
    roots: () => undefined,
    ...(limits ? { limits } : {}),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  await client.connect(clientSide);
  const pair = { mcp, client, clock, probe, logs };
  open.push(pair);
  return pair;
}
