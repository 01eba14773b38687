import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Switchboard } from '../../src/index.js';
// @ts-expect-error plain JS benchmark server, shared with its child processes
import { buildBenchServer } from '../benchServer.mjs';
// @ts-expect-error plain JS benchmark server (v2 SDK), shared with its child processes
import { benchV2Memory } from '../benchServerV2.mjs';

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
  /** The era a server's session speaks (`legacy` | `modern`), when the target can tell: the modern rows refuse to measure a fallback. */
  era?(server: string): string | undefined;
  /** A fresh connection to a connected server, resolved once it is usable again (the connect row's reconnect). */
  reconnect?(server: string): Promise<void>;
}

/** Which MCP era a measurement speaks: `legacy` (2025-11-25, v1 SDK) or `modern` (2026-07-28, v2 SDK). */
export type Era = 'legacy' | 'modern';

/** The era of this measurement process (BENCH_ERA, set by the runner). Defaults to `legacy`. */
export const benchEra = (): Era => (process.env.BENCH_ERA === 'modern' ? 'modern' : 'legacy');

export const BENCH_SERVER = fileURLToPath(new URL('../benchServer.mjs', import.meta.url));
/** The same tools on @modelcontextprotocol/server 2.x (both eras), for the modern rows. */
export const BENCH_SERVER_V2 = fileURLToPath(new URL('../benchServerV2.mjs', import.meta.url));

/**
 * How every target starts the benchmark server (`mode` stdio or http) of `era` (default: the
 * process's BENCH_ERA), with the wire log of BENCH_WIRE_LOG when set (the connect row). When the runner pins the measured client to one core (BENCH_SERVER_CPU
 * names the other), the server runs on the other core: the same placement for every target, and
 * no target's server competes with its client.
 */
export function serverCommand(mode: 'stdio' | 'http', era: Era = benchEra()): { command: string; args: string[] } {
  const cpu = process.env.BENCH_SERVER_CPU;
  const script = era === 'modern' ? BENCH_SERVER_V2 : BENCH_SERVER;
  // The wire log goes as an argument: the SDKs' stdio transports pass a child only a few safe variables.
  const node = [process.execPath, script, mode, ...(process.env.BENCH_WIRE_LOG ? [process.env.BENCH_WIRE_LOG] : [])];
  return cpu ? { command: 'taskset', args: ['-c', cpu, ...node] } : { command: node[0]!, args: node.slice(1) };
}

async function memoryTransport(): Promise<Transport> {
  const [client, server] = InMemoryTransport.createLinkedPair();
  await buildBenchServer().connect(server);
  return client;
}

/** The floor: a bare SDK Client per server and a Map router. */
export function floorTarget(): Target {
  const clients = new Map<string, Client>();
  const specs = new Map<string, ServerSpec>();
  const open = async (spec: ServerSpec) => {
    const client = new Client({ name: 'floor', version: '1.0.0' });
    const transport =
      spec.transport === 'memory'
        ? await memoryTransport()
        : spec.transport === 'stdio'
          ? new StdioClientTransport({ ...serverCommand('stdio', 'legacy'), stderr: 'ignore' })
          : new StreamableHTTPClientTransport(new URL(spec.url!));
    await client.connect(transport);
    await client.listTools();
    clients.set(spec.name, client);
    specs.set(spec.name, spec);
  };
  return {
    async connect(list) {
      await Promise.all(list.map(open));
    },
    call: (server, tool, args) => clients.get(server)!.callTool({ name: tool, arguments: args }),
    era: () => 'legacy',
    // v1 has nothing to remember about a server: a reconnect is a new connect.
    async reconnect(server) {
      await clients.get(server)!.close();
      await open(specs.get(server)!);
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}

/**
 * The built library, as users run it; typed from the sources. Loaded before any timing starts.
 * BENCH_LIBRARY (set by the runner) names the runner's private copy of the build: a test run
 * elsewhere in the working tree rebuilds dist/ in place, and a measurement that started meanwhile
 * loaded half a build and died. Without it, dist/ itself.
 */
export const libraryUrl = process.env.BENCH_LIBRARY ? pathToFileURL(process.env.BENCH_LIBRARY).href : new URL('../../dist/src/index.js', import.meta.url).href;
export const library = (await import(libraryUrl)) as typeof import('../../src/index.js');

/**
 * The same work as the floor: the floor lets all 64 requests reach the server at once and waits up
 * to the SDK's 60 s for initialize, so the switchboard gets the same limits instead of its
 * defaults (16 concurrent calls per server, 10 s connect timeout).
 */
export const SAME_WORK = { limits: { maxConcurrentCalls: 64, maxQueue: 1_000 }, timeouts: { connectMs: 60_000 } };

/** The `cluster:` block of the cluster row's target (DESIGN §16): Redis's URL and the cluster's name. */
export interface BenchCluster {
  redis: { url: string };
  name: string;
}

/**
 * Waits (up to 10 s) until the switchboard's cluster says Redis is up and it sees itself among the
 * replicas (its first heartbeat went through): the cluster row must measure a replica that is in
 * a cluster, not one serving on local state because Redis never answered.
 */
async function clusterUp(sb: Switchboard): Promise<void> {
  const until = performance.now() + 10_000;
  for (;;) {
    const status = sb.cluster?.status();
    if (status?.redis === 'up' && status.replicas.some((r) => r.id === status.self)) return;
    if (performance.now() > until) throw new Error(`the cluster did not come up within 10 s: ${JSON.stringify(status ?? null)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The `protocol` setting of a switchboard target (DESIGN §15); none leaves the library's default (`auto`). */
export type ProtocolSetting = 'auto' | '2025-11-25' | '2026-07-28';

/**
 * mcp-switchboard through its public API, with `protocol` in `defaults` when given. Its servers
 * are of `era` (default: the process's BENCH_ERA): the v1 benchmark server, or the v2 one (in
 * memory behind the SDK's era-picking entry, as over stdio).
 */
export function switchboardTarget(protocol?: ProtocolSetting, era: Era = benchEra(), cluster?: BenchCluster): Target {
  let sb: Switchboard | undefined;
  const memory = era === 'modern' ? async () => benchV2Memory() as Transport : memoryTransport;
  return {
    async connect(specs) {
      const servers: Record<string, unknown> = {};
      const transports: Record<string, () => Promise<Transport>> = {};
      for (const spec of specs) {
        if (spec.transport === 'memory') transports[spec.name] = memory;
        else if (spec.transport === 'stdio') servers[spec.name] = { transport: 'stdio', ...serverCommand('stdio', era) };
        else servers[spec.name] = { transport: 'http', url: spec.url };
      }
      const defaults = protocol ? { ...SAME_WORK, protocol } : SAME_WORK;
      sb = library.createSwitchboard({ servers: servers as never, defaults: defaults as never, ...(cluster ? { cluster } : {}) } as never, { transports });
      await sb.start();
      if (cluster) await clusterUp(sb);
    },
    call: (server, tool, args) => sb!.callTool(tool, args, { server }),
    era: (server) => sb?.getServer(server)?.protocol?.era,
    reconnect: (server) =>
      new Promise<void>((resolve, reject) => {
        const off = sb!.on('server.stateChanged', (event) => {
          if (event.server !== server || (event.to !== 'connected' && event.to !== 'error')) return;
          off();
          if (event.to === 'connected') resolve();
          else reject(new Error(`reconnect of ${server} failed: ${event.error?.message ?? 'error'}`));
        });
        sb!.reconnect(server);
      }),
    async close() {
      await sb?.stop();
    },
  };
}
