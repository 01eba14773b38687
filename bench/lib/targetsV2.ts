/**
 * The modern era's floor (DESIGN §9.4): a bare v2 SDK `Client` (`@modelcontextprotocol/client`)
 * per server and a Map router, pinned to 2026-07-28, against the v2 benchmark server.
 */
import { Client, InMemoryTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { serverCommand, type ServerSpec, type Target } from './targets.js';
// @ts-expect-error plain JS benchmark server (v2 SDK), shared with its child processes
import { benchV2Memory } from '../benchServerV2.mjs';

/** The era the modern rows speak. */
export const MODERN_VERSION = '2026-07-28';

/**
 * The SDK's stdio transport, probing in place. The v2 Client negotiates on a disposable sibling
 * process only for its *base* `StdioClientTransport` (it re-spawns the command from the retained
 * parameters, then reaps it); for a subclass it sends `server/discover` on the real child, as the
 * switchboard does. Without this the floor would pay a second process per connect and the
 * comparison would flatter the switchboard.
 */
export class InPlaceStdioClientTransport extends StdioClientTransport {}

type Transport = Parameters<Client['connect']>[0];
type DiscoverResult = NonNullable<ReturnType<Client['getDiscoverResult']>>;

/**
 * How the floor negotiates: `pin` (default) is `versionNegotiation: { mode: { pin: '2026-07-28' } }`
 * on a transport that probes in place; `sdk-auto` is the SDK's own `mode: 'auto'` with its base
 * stdio transport (the probe sibling included), shown in the connect row only.
 */
export type FloorMode = 'pin' | 'sdk-auto';

function transportOf(spec: ServerSpec, mode: FloorMode): Transport {
  if (spec.transport === 'memory') return benchV2Memory() as InMemoryTransport;
  if (spec.transport === 'http') return new StreamableHTTPClientTransport(new URL(spec.url!));
  const params = { ...serverCommand('stdio', 'modern'), stderr: 'ignore' as const };
  return mode === 'sdk-auto' ? new StdioClientTransport(params) : new InPlaceStdioClientTransport(params);
}

/** The modern floor: a bare v2 Client per server, pinned to 2026-07-28 (or the SDK's `auto`), and a Map router. */
export function floorV2Target(mode: FloorMode = 'pin'): Target {
  const clients = new Map<string, Client>();
  const specs = new Map<string, ServerSpec>();
  const open = async (spec: ServerSpec, prior?: DiscoverResult) => {
    const client = new Client(
      { name: 'floor', version: '1.0.0' },
      { versionNegotiation: { mode: mode === 'pin' ? { pin: MODERN_VERSION } : 'auto' } },
    );
    const transport = transportOf(spec, mode);
    // A remembered verdict skips the probe, as the SDK documents (`connect(transport, { prior })`).
    await (prior ? client.connect(transport, { prior: { kind: 'modern', discover: prior } }) : client.connect(transport));
    await client.listTools();
    clients.set(spec.name, client);
    specs.set(spec.name, spec);
  };
  return {
    async connect(list) {
      await Promise.all(list.map((spec) => open(spec)));
    },
    call: (server, tool, args) => clients.get(server)!.callTool({ name: tool, arguments: args }),
    era: (server) => clients.get(server)?.getProtocolEra(),
    async reconnect(server) {
      const old = clients.get(server)!;
      const discover = old.getDiscoverResult();
      await old.close();
      await open(specs.get(server)!, discover);
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
