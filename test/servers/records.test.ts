import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type EventOf, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';

/**
 * One record per server (DESIGN §2): removing a server deletes its record and everything that
 * hung off it — subscriptions above all, which a new session re-sends — so a server added again
 * under the same name starts clean.
 */

/** One server instance (one per connect attempt) and the uris it was asked to subscribe to. */
interface Instance {
  subscribes: string[];
  unsubscribes: string[];
  update(uri: string): Promise<void>;
}

function subsServer(instances: Instance[]) {
  return async (): Promise<Transport> => {
    const server = new Server({ name: 'subs', version: '1.0.0' }, { capabilities: { resources: { subscribe: true } } });
    const instance: Instance = { subscribes: [], unsubscribes: [], update: (uri) => server.sendResourceUpdated({ uri }) };
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [{ uri: 'res://a', name: 'a' }, { uri: 'res://b', name: 'b' }] }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: [] }));
    server.setRequestHandler(SubscribeRequestSchema, async (request) => (instance.subscribes.push(request.params.uri), {}));
    server.setRequestHandler(UnsubscribeRequestSchema, async (request) => (instance.unsubscribes.push(request.params.uri), {}));
    instances.push(instance);
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    return client;
  };
}

/** How many server records the switchboard holds (white box: the one collection of records). */
function recordCount(sb: Switchboard): number {
  return (sb as unknown as { rt: { servers: { size: number } } }).rt.servers.size;
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

describe('one record per server', () => {
  it('forgets a removed server’s subscriptions: a server added again under its name gets no stale resources/subscribe and no stale resource.updated', async () => {
    const instances: Instance[] = [];
    const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } }, { transports: { subs: subsServer(instances) } });
    boards.push(sb);
    const updates: EventOf<'resource.updated'>[] = [];
    sb.on('resource.updated', (e) => updates.push(e));
    await sb.start();
    await sb.subscribeResource('res://a');
    expect(instances[0]!.subscribes).toEqual(['res://a']);
    expect(recordCount(sb)).toBe(1);

    await sb.removeServer('subs');
    expect(sb.getServer('subs')).toBeUndefined();
    expect(recordCount(sb)).toBe(0);

    // The same name again (its custom transport still given): a new record, nothing carried over.
    sb.addServer('subs', { transport: 'stdio', command: process.execPath });
    await until(() => sb.getServer('subs')?.state === 'connected', 10_000, 'subs to connect again');
    expect(recordCount(sb)).toBe(1);
    await sb.subscribeResource('res://b');
    expect(instances[1]!.subscribes).toEqual(['res://b']);
    // An update of the old uri is not ours any more; the one of the new uri arrives (in order, after it).
    await instances[1]!.update('res://a');
    await instances[1]!.update('res://b');
    await until(() => updates.length > 0, 5_000, 'resource.updated for res://b');
    expect(updates).toEqual([{ type: 'resource.updated', server: 'subs', uri: 'res://b' }]);
  });

  it('lets an unsubscribe function of a removed server touch nothing of a new server of the same name', async () => {
    const instances: Instance[] = [];
    const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } }, { transports: { subs: subsServer(instances) } });
    boards.push(sb);
    await sb.start();
    const old = await Promise.all([sb.subscribeResource('res://a'), sb.subscribeResource('res://a')]);
    expect(instances[0]!.subscribes).toEqual(['res://a']);
    await sb.removeServer('subs');
    sb.addServer('subs', { transport: 'stdio', command: process.execPath });
    await until(() => sb.getServer('subs')?.state === 'connected', 10_000, 'subs to connect again');
    const fresh = await sb.subscribeResource('res://a');
    expect(instances[1]!.subscribes).toEqual(['res://a']);
    // The one subscriber of the new server lets go: it was the last one, whatever the old server had.
    await fresh();
    expect(instances[1]!.unsubscribes).toEqual(['res://a']);
    await sb.subscribeResource('res://a');
    expect(instances[1]!.subscribes).toEqual(['res://a', 'res://a']);
    // The old subscribers let go: the new server's subscription is not theirs to end.
    for (const unsubscribe of old) await unsubscribe();
    expect(instances[1]!.unsubscribes).toEqual(['res://a']);
  });
});
