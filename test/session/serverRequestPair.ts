import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitResultSchema, McpError, type CreateMessageRequest, type CreateMessageResult, type ElicitRequest, type Root } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, expect } from 'vitest';
import { SimulatedClock } from 'xstate';
import { clientCapabilities, installServerRequests, type ServerRequestHandlers, type WithheldCapabilities } from '../../src/protocol/v1/serverRequests.js';

/** A real SDK server and a real SDK client answering it through installServerRequests. */

export const REPLY: CreateMessageResult = { role: 'assistant', content: { type: 'text', text: 'hello' }, model: 'test-model' };
export const ASK: CreateMessageRequest['params'] = { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 };
export const TIMEOUT_MS = 5_000;

export interface Pair {
  mcp: McpServer;
  client: Client;
  clock: SimulatedClock;
  logs: { level: string; message: string }[];
}

const open: Pair[] = [];

/** Closes every pair a test opened. */
export function closePairsAfterEach(): void {
  afterEach(async () => {
    for (const pair of open.splice(0)) {
      await pair.client.close();
      await pair.mcp.close();
    }
  });
}

/** A real SDK server and client over a linked in-memory pair, the client answering with `handlers`. */
export async function connect(
  handlers: ServerRequestHandlers | undefined,
  extra: { withheld?: WithheldCapabilities; roots?: () => Root[] | undefined; redact?: (text: string) => string } = {},
): Promise<Pair> {
  const mcp = new McpServer({ name: 'asker', version: '1.0.0' });
  const capabilities = clientCapabilities(handlers, extra.withheld);
  const client = new Client({ name: 'switchboard', version: '0.0.0' }, { capabilities });
  const clock = new SimulatedClock();
  const logs: Pair['logs'] = [];
  installServerRequests(client, {
    server: 'files',
    handlers,
    capabilities,
    timeoutMs: TIMEOUT_MS,
    clock,
    log: (level, message) => logs.push({ level, message }),
    roots: extra.roots ?? (() => undefined),
    ...(extra.redact ? { redact: extra.redact } : {}),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  await client.connect(clientSide);
  const pair = { mcp, client, clock, logs };
  open.push(pair);
  return pair;
}

/** The JSON-RPC error a server request ended with. */
export async function refusal(request: Promise<unknown>): Promise<McpError> {
  const error = await request.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}

export const rawElicit = (pair: Pair, params: Record<string, unknown>) =>
  pair.mcp.server.request({ method: 'elicitation/create', params: params as ElicitRequest['params'] }, ElicitResultSchema);

