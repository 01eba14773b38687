import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { RootsListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { inputRequired, McpServer as V2McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { McpTransport } from '../../src/protocol/transport.js';
import { ERAS, type EraRow } from './eras.js';
import { v2InMemory } from './v2Servers.js';

/**
 * Servers that ask the client for sampling, elicitation and roots during a tool call, once per
 * era (test/integration/surfaceRequests.test.ts): a v1 server asks with real requests
 * (2025-11-25); a v2 server refusing legacy clients returns `input_required` (2026-07-28), which
 * the client answers through the same handlers and retries.
 */

/** The schema `elicitation` asks for (with SEP-1034 defaults). */
export const SCHEMA = {
  type: 'object' as const,
  properties: { name: { type: 'string' as const, default: 'anon' }, age: { type: 'number' as const, default: 30 }, subscribe: { type: 'boolean' as const, default: true } },
};

/** What `ask` may ask for. */
export const ASKS = ['sampling', 'elicitation', 'roots', 'capabilities'] as const;
export type Ask = (typeof ASKS)[number];

/** What the servers report to a test. */
export interface Probe {
  rootsChanged: Record<string, number>;
}

/** What `ask` tells about the request it made: the answer, or the JSON-RPC error it got. */
export interface Outcome {
  ok?: any;
  error?: { code?: number; message: string };
}

const outcomeText = (outcome: Outcome) => ({ content: [{ type: 'text' as const, text: JSON.stringify(outcome) }] });

/** A v1 server whose tool `ask` makes one server → client request and answers with its outcome as JSON. */
export function legacyAsker(name: string, probe: Probe): () => Promise<McpTransport> {
  return async () => {
    const server = new McpServer({ name, version: '1.0.0' });
    const outcome = async (request: () => Promise<unknown>) => {
      try {
        return outcomeText({ ok: await request() });
      } catch (error) {
        const { code, message } = error as { code?: number; message: string };
        return outcomeText({ error: { code, message } });
      }
    };
    // The request shares the call's signal: a cancelled call cancels it (as a modern retry loop ends).
    server.registerTool('ask', { inputSchema: { what: z.enum(ASKS) } }, async ({ what }, { signal }) =>
      outcome(async () => {
        if (what === 'sampling') return server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 }, { signal });
        if (what === 'elicitation') return server.server.elicitInput({ message: 'Who are you?', requestedSchema: SCHEMA }, { signal });
        if (what === 'roots') return server.server.listRoots(undefined, { signal });
        return server.server.getClientCapabilities() ?? {};
      }),
    );
    server.server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
      probe.rootsChanged[name] = (probe.rootsChanged[name] ?? 0) + 1;
    });
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    return client;
  };
}

/** The embedded request a modern `ask` returns as `input_required`, by what it asks for. */
const INPUT_REQUESTS = {
  sampling: () => inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 }),
  elicitation: () => inputRequired.elicit({ message: 'Who are you?', requestedSchema: SCHEMA }),
  roots: () => inputRequired.listRoots(),
};

/**
 * The same `ask` on a v2 server refusing legacy clients: 2026-07-28 has no server → client
 * requests, so it returns `input_required` and answers the retry that carries the response. The
 * client's capabilities are the ones its request declares (`_meta`). No roots notification exists
 * in this era (a server reads the roots afresh with each `input_required`), so `probe` stays empty.
 */
export function modernAsker(name: string): () => Promise<McpTransport> {
  return v2InMemory(
    () => {
      const server = new V2McpServer({ name, version: '1.0.0' });
      server.registerTool('ask', { inputSchema: z.object({ what: z.enum(ASKS) }) }, async ({ what }, ctx: any) => {
        if (what === 'capabilities') return outcomeText({ ok: ctx.mcpReq.envelope?.['io.modelcontextprotocol/clientCapabilities'] ?? {} });
        const answer = ctx.mcpReq.inputResponses?.[what];
        if (answer !== undefined) return outcomeText({ ok: answer });
        return inputRequired({ inputRequests: { [what]: INPUT_REQUESTS[what]() } }) as never;
      });
      return server;
    },
    { modernOnly: true },
  );
}

/** What differs per era for this suite, beside the era row itself. */
export interface RequestsRow extends EraRow {
  asker(name: string, probe: Probe): () => Promise<McpTransport>;
  /**
   * The outcome of one `ask` call. Legacy: the server's own report (it got the error as the
   * answer to its request). Modern: a refused input request fails the call itself, so the
   * outcome is read from the call's error — the JSON-RPC error our handler answered with is its
   * cause.
   */
  settle(call: Promise<{ content: unknown[] }>): Promise<Outcome>;
  /** The code a server gets when it asks for what the client did not declare (legacy: the client's −32601; modern: the server refuses with −32021 itself). */
  undeclaredCode: number;
  /** Whether `setRoots` reaches the servers as `notifications/roots/list_changed` (not in 2026-07-28). */
  rootsNotified: boolean;
}

const parse = async (call: Promise<{ content: unknown[] }>): Promise<Outcome> => JSON.parse(((await call).content[0] as { text: string }).text);

/** Both eras for the server → client request suite, legacy first. */
export const REQUEST_ERAS: RequestsRow[] = ERAS.map((era) =>
  era.era === 'legacy'
    ? { ...era, asker: legacyAsker, settle: parse, undeclaredCode: -32601, rootsNotified: true }
    : {
        ...era,
        asker: (name) => modernAsker(name),
        settle: (call) =>
          parse(call).catch((error: { message: string; cause?: { code?: unknown } }) => ({
            error: { ...(typeof error.cause?.code === 'number' ? { code: error.cause.code } : {}), message: error.message },
          })),
        undeclaredCode: -32021,
        rootsNotified: false,
      },
);
