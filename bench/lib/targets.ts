import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Switchboard } from '../../src/index.js';
// @ts-expect-error plain JS benchmark server, shared with its child processes
import { buildBenchServer } from '../benchServer.mjs';

/** One server of a measurement: in memory (same process), a stdio child, or an HTTP URL. */
export interface ServerSpec {
  name: string;
  transport: 'memory' | 'stdio' | 'http';
  url?: string;
}

/** A multi-server MCP client under measurement, used the way its docs say. */
export interface Target {
  connect(specs: ServerSpec[]): Promise<void>;
  call(server: string, tool: string, args: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

export const BENCH_SERVER = fileURLToPath(new URL('../benchServer.mjs', import.meta.url));

/**
 * How every target starts the benchmark server (`mode` stdio or http). When the runner pins the
 * measured client to one core (BENCH_SERVER_CPU names the other), the server runs on the other
 * core: the same placement for every target, and no target's server competes with its client.
 */
export function serverCommand(mode: 'stdio' | 'http'): { command: string; args: string[] } {
  const cpu = process.env.BENCH_SERVER_CPU;
  return cpu ? { command: 'taskset', args: ['-c', cpu, process.execPath, BENCH_SERVER, mode] } : { command: process.execPath, args: [BENCH_SERVER, mode] };
}

async function memoryTransport(): Promise<Transport> {
  const [client, server] = InMemoryTransport.createLinkedPair();
  await buildBenchServer().connect(server);
  return client;
}

/** The floor: a bare SDK Client per server and a Map router. */
export function floorTarget(): Target {
  const clients = new Map<string, Client>();
  return {
    async connect(specs) {
      await Promise.all(
        specs.map(async (spec) => {
          const client = new Client({ name: 'floor', version: '1.0.0' });
          const transport =
            spec.transport === 'memory'
              ? await memoryTransport()
              : spec.transport === 'stdio'
                ? new StdioClientTransport({ ...serverCommand('stdio'), stderr: 'ignore' })
                : new StreamableHTTPClientTransport(new URL(spec.url!));
          await client.connect(transport);
          await client.listTools();
          clients.set(spec.name, client);
        }),
      );
    },
    call: (server, tool, args) => clients.get(server)!.callTool({ name: tool, arguments: args }),
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}

/** The built library, as users run it (the runner builds it first); typed from the sources. Loaded before any timing starts. */
const library = (await import(new URL('../../dist/src/index.js', import.meta.url).href)) as typeof import('../../src/index.js');

/**
 * The same work as the floor: the floor lets all 64 requests reach the server at once and waits up
 * to the SDK's 60 s for initialize, so the switchboard gets the same limits instead of its
 * defaults (16 concurrent calls per server, 10 s connect timeout).
 */
const SAME_WORK = { limits: { maxConcurrentCalls: 64, maxQueue: 1_000 }, timeouts: { connectMs: 60_000 } };

/** mcp-switchboard through its public API. */
export function switchboardTarget(): Target {
  let sb: Switchboard | undefined;
  return {
    async connect(specs) {
      const servers: Record<string, unknown> = {};
      const transports: Record<string, () => Promise<Transport>> = {};
      for (const spec of specs) {
        if (spec.transport === 'memory') transports[spec.name] = memoryTransport;
        else if (spec.transport === 'stdio') servers[spec.name] = { transport: 'stdio', ...serverCommand('stdio') };
        else servers[spec.name] = { transport: 'http', url: spec.url };
      }
      sb = library.createSwitchboard({ servers: servers as never, defaults: SAME_WORK }, { transports });
      await sb.start();
    },
    call: (server, tool, args) => sb!.callTool(tool, args, { server }),
    async close() {
      await sb?.stop();
    },
  };
}
