import { InMemoryTaskMessageQueue, InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';

/**
 * Tasks and `_meta` on tool calls (DESIGN §10): a tool registered with the SDK's task API
 * (`execution.taskSupport: 'required'`) is called by `callTool` as a task, and its result comes
 * back as from any call; `_meta` passes through both ways.
 */

interface Probe {
  /** Methods the server received, in order. */
  methods: string[];
  created: { args: unknown }[];
  /** Releases the background work of the last task created. */
  finish: (() => void) | null;
}

function taskServer(probe: Probe): () => Promise<Transport> {
  return async () => {
    const taskStore = new InMemoryTaskStore();
    const server = new McpServer(
      { name: 'worker', version: '1.0.0' },
      { capabilities: { tasks: { requests: { tools: { call: {} } }, list: {}, cancel: {} } }, taskStore, taskMessageQueue: new InMemoryTaskMessageQueue() },
    );
    server.experimental.tasks.registerToolTask(
      'sum',
      { description: 'Adds in the background', inputSchema: { a: z.number(), b: z.number() }, execution: { taskSupport: 'required' } },
      {
        createTask: async ({ a, b }, extra) => {
          const task = await extra.taskStore.createTask({ ttl: 60_000, pollInterval: 5 });
          probe.created.push({ args: { a, b } });
          // The result is stored only when the test says so: the call must wait for it.
          probe.finish = () => void extra.taskStore.storeTaskResult(task.taskId, 'completed', { content: [{ type: 'text', text: String(a + b) }], _meta: { by: 'task' } });
          return { task };
        },
        getTask: async (_args, extra) => (await extra.taskStore.getTask(extra.taskId))!,
        getTaskResult: async (_args, extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as never,
      },
    );
    server.registerTool('meta', { description: 'Echoes the request _meta in the result _meta' }, async (extra) => ({
      content: [{ type: 'text', text: 'ok' }],
      _meta: { echoed: extra._meta ?? null, served: { by: 'worker', n: [1, 2] } },
    }));
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const deliver = serverSide.onmessage!;
    serverSide.onmessage = (message, extra) => {
      if ('method' in message) probe.methods.push(message.method);
      deliver(message, extra);
    };
    return client;
  };
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

async function setup(clock?: SimulatedClock) {
  const probe: Probe = { methods: [], created: [], finish: null };
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } }, { ...(clock ? { clock } : {}), transports: { worker: taskServer(probe) } });
  boards.push(sb);
  await sb.start();
  expect(sb.getServer('worker')!.state).toBe('connected');
  return { sb, probe };
}

describe('tasks', () => {
  it('lists a task tool with its taskSupport', async () => {
    const { sb } = await setup();
    expect(sb.listTools().find((t) => t.name === 'sum')).toMatchObject({ execution: { taskSupport: 'required' }, available: true });
  });

  it('calls a tool with taskSupport required as a task and resolves with its result', async () => {
    const { sb, probe } = await setup();
    let settled = false;
    const call = sb.callTool('sum', { a: 2, b: 3 }).finally(() => {
      settled = true;
    });
    await expect.poll(() => probe.created.length, { timeout: 5_000 }).toBe(1);
    expect(probe.created[0]!.args).toEqual({ a: 2, b: 3 });
    // The task is polled while it works: the call has not settled.
    await expect.poll(() => probe.methods.filter((m) => m === 'tasks/get').length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(settled).toBe(false);
    probe.finish!();
    const result = await call;
    expect(result.content).toEqual([{ type: 'text', text: '5' }]);
    expect(result._meta).toMatchObject({ by: 'task' });
    expect(result.isError).toBeFalsy();
    expect(probe.methods).toContain('tools/call');
    expect(probe.methods).toContain('tasks/result');
  });
});

describe('deadlines and cancels of task calls', () => {
  it('times a task call out at its deadline (simulated clock)', async () => {
    const clock = new SimulatedClock();
    const { sb, probe } = await setup(clock);
    const call = sb.callTool('sum', { a: 1, b: 1 }, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    await expect.poll(() => probe.methods.includes('tasks/get'), { timeout: 5_000 }).toBe(true);
    clock.increment(1_000);
    expect(await call).toMatchObject({ code: 'ToolCallTimeout' });
  });

  it('cancels the task on the server (tasks/cancel) when the caller aborts', async () => {
    const { sb, probe } = await setup();
    const controller = new AbortController();
    const call = sb.callTool('sum', { a: 1, b: 1 }, { signal: controller.signal }).catch((e: unknown) => e);
    await expect.poll(() => probe.methods.includes('tasks/get'), { timeout: 5_000 }).toBe(true);
    controller.abort();
    expect(await call).toMatchObject({ code: 'Cancelled' });
    // A plain request is cancelled with notifications/cancelled; a task lives on until tasks/cancel.
    await expect.poll(() => probe.methods.includes('tasks/cancel'), { timeout: 3_000 }).toBe(true);
  });
});

describe('_meta on tool calls', () => {
  it('passes the request _meta to the server and the result _meta back', async () => {
    const { sb } = await setup();
    const result = await sb.callTool('meta', {}, { meta: { traceId: 'abc', nested: { deep: true } } });
    expect(result._meta).toMatchObject({ echoed: { traceId: 'abc', nested: { deep: true } }, served: { by: 'worker', n: [1, 2] } });
    const plain = await sb.callTool('meta');
    expect((plain._meta as { echoed: Record<string, unknown> | null }).echoed ?? {}).not.toHaveProperty('traceId');
    expect(plain._meta).toMatchObject({ served: { by: 'worker', n: [1, 2] } });
  });
});
