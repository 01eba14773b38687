import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type EventOf, type Switchboard } from '../../src/index.js';
import { ERAS, listenSubscriptions, type AnyServer, type EraRow } from '../helpers/eras.js';
import { until } from '../helpers/switchboard.js';

/**
 * Resource subscriptions (DESIGN §10): `subscribeResource` sends `resources/subscribe`, updates
 * arrive as `resource.updated` events, subscriptions are re-sent to every new server instance
 * after a lost connection or `reconnect()`, the unsubscribe function sends `resources/unsubscribe`
 * once the last subscriber lets go, and a server without `resources.subscribe` is refused clearly.
 * Runs once per era (test/helpers/eras.ts): in 2026-07-28 a subscription is a uri in the
 * `resourceSubscriptions` of the client's `subscriptions/listen` streams, which the modern row
 * reads off the wire into the same `subscribes` and `unsubscribes`.
 */

/** One server instance (one per connect attempt) and what it was asked. */
interface Instance {
  server: AnyServer;
  subscribes: string[];
  unsubscribes: string[];
  /** Sends notifications/resources/updated as a server does for a subscribed uri. */
  update(uri: string): Promise<void>;
}

function subsServer(era: EraRow, instances: Instance[], subscribe = true) {
  return async () => {
    const server = new era.Server({ name: 'subs', version: '1.0.0' }, { capabilities: { resources: subscribe ? { subscribe: true } : {} } });
    const instance: Instance = { server, subscribes: [], unsubscribes: [], update: (uri) => server.sendResourceUpdated({ uri }) };
    era.handle(server, 'resources/list', async () => ({ resources: [{ uri: 'res://a', name: 'a' }, { uri: 'res://b', name: 'b' }] }));
    era.handle(server, 'resources/templates/list', async () => ({ resourceTemplates: [] }));
    era.handle(server, 'resources/read', async (request) => ({ contents: [{ uri: request.params.uri, text: 'x' }] }));
    if (subscribe) {
      era.handle(server, 'resources/subscribe', async (request) => (instance.subscribes.push(request.params.uri), {}));
      era.handle(server, 'resources/unsubscribe', async (request) => (instance.unsubscribes.push(request.params.uri), {}));
    }
    instances.push(instance);
    const watch = listenSubscriptions(
      (uri) => instance.subscribes.push(uri),
      (uri) => instance.unsubscribes.push(uri),
    );
    return era.linked(() => server, watch)();
  };
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

async function setup(era: EraRow, subscribe = true) {
  const instances: Instance[] = [];
  const sb = createSwitchboard(era.config({ servers: {}, defaults: { health: { intervalMs: 0 }, reconnect: { baseMs: 20, minMs: 10, maxMs: 50 } } }), {
    transports: { subs: subsServer(era, instances, subscribe) },
  });
  boards.push(sb);
  const updates: EventOf<'resource.updated'>[] = [];
  sb.on('resource.updated', (e) => updates.push(e));
  await sb.start();
  expect(sb.getServer('subs')!.state).toBe('connected');
  return { sb, instances, updates };
}

/** The uris of updates, in order. */
const uris = (updates: EventOf<'resource.updated'>[]) => updates.map((u) => u.uri);

describe.each(ERAS)('resource subscriptions ($era)', (era) => {
  it('sends resources/subscribe and turns notifications/resources/updated into resource.updated events', async () => {
    const { sb, instances, updates } = await setup(era);
    await sb.subscribeResource('res://a');
    expect(instances[0]!.subscribes).toEqual(['res://a']);
    await instances[0]!.update('res://a');
    await until(() => updates.length === 1, 5_000, 'resource.updated');
    expect(updates).toEqual([{ type: 'resource.updated', server: 'subs', uri: 'res://a' }]);
  });

  it('subscribes with { server } to a uri the catalog does not list', async () => {
    const { sb, instances } = await setup(era);
    await sb.subscribeResource('res://unlisted', { server: 'subs' });
    expect(instances[0]!.subscribes).toEqual(['res://unlisted']);
    await expect(sb.subscribeResource('res://unlisted')).rejects.toMatchObject({ code: 'ResourceNotFound' });
  });

  it('re-sends subscriptions to the new server after a lost connection and after reconnect()', async () => {
    const { sb, instances, updates } = await setup(era);
    await sb.subscribeResource('res://a');
    await sb.subscribeResource('res://b');
    // The server side goes away: the switchboard reconnects to a fresh instance.
    await instances[0]!.server.close();
    await until(() => instances.length === 2 && instances[1]!.subscribes.length === 2, 5_000, 'the re-subscription after the loss');
    expect([...instances[1]!.subscribes].sort()).toEqual(['res://a', 'res://b']);
    await until(() => sb.getServer('subs')!.state === 'connected', 5_000, 'connected again');
    await instances[1]!.update('res://b');
    await until(() => updates.length === 1, 5_000, 'an update from the new instance');
    expect(updates).toEqual([{ type: 'resource.updated', server: 'subs', uri: 'res://b' }]);

    sb.reconnect('subs');
    await until(() => instances.length === 3 && instances[2]!.subscribes.length === 2, 5_000, 'the re-subscription after reconnect()');
    expect([...instances[2]!.subscribes].sort()).toEqual(['res://a', 'res://b']);
    await until(() => sb.getServer('subs')!.state === 'connected', 5_000, 'connected again');
    await instances[2]!.update('res://a');
    await until(() => updates.length === 2, 5_000, 'an update after reconnect()');
    expect(updates[1]).toEqual({ type: 'resource.updated', server: 'subs', uri: 'res://a' });
  });

  it('sends resources/unsubscribe from the unsubscribe function, once', async () => {
    const { sb, instances, updates } = await setup(era);
    const offA = await sb.subscribeResource('res://a');
    await sb.subscribeResource('res://b');
    await offA();
    expect(instances[0]!.unsubscribes).toEqual(['res://a']);
    await offA();
    expect(instances[0]!.unsubscribes).toEqual(['res://a']);
    // b is still subscribed: its updates keep coming.
    await instances[0]!.update('res://b');
    await until(() => updates.length === 1, 5_000, 'the update of b');
    expect(uris(updates)).toEqual(['res://b']);
  });

  it('publishes no resource.updated for a uri nobody is subscribed to (any longer)', async () => {
    const { sb, instances, updates } = await setup(era);
    const offA = await sb.subscribeResource('res://a');
    await sb.subscribeResource('res://b');
    await offA();
    // A sloppy server still sends updates for a (and for a uri never subscribed); b's comes after them.
    await instances[0]!.update('res://a');
    await instances[0]!.update('res://never');
    await instances[0]!.update('res://b');
    await until(() => updates.some((u) => u.uri === 'res://b'), 5_000, 'the update of b');
    expect(uris(updates)).toEqual(['res://b']);
  });

  it('does not re-send a subscription that was let go', async () => {
    const { sb, instances } = await setup(era);
    const off = await sb.subscribeResource('res://a');
    await sb.subscribeResource('res://b');
    await off();
    sb.reconnect('subs');
    await until(() => instances.length === 2 && instances[1]!.subscribes.length > 0, 5_000, 'the re-subscription');
    await until(() => sb.getServer('subs')!.state === 'connected', 5_000, 'connected again');
    expect(instances[1]!.subscribes).toEqual(['res://b']);
  });

  it('subscribes once for two subscribers and unsubscribes only after both let go', async () => {
    const { sb, instances } = await setup(era);
    const first = await sb.subscribeResource('res://a');
    const second = await sb.subscribeResource('res://a');
    expect(instances[0]!.subscribes).toEqual(['res://a']);
    await first();
    expect(instances[0]!.unsubscribes).toEqual([]);
    // The first subscriber letting go twice must not count for the second.
    await first();
    expect(instances[0]!.unsubscribes).toEqual([]);
    await second();
    expect(instances[0]!.unsubscribes).toEqual(['res://a']);
  });

  it('subscribes once for two subscribers that subscribe at the same time', async () => {
    const { sb, instances } = await setup(era);
    const [first, second] = await Promise.all([sb.subscribeResource('res://a'), sb.subscribeResource('res://a')]);
    expect(instances[0]!.subscribes).toEqual(['res://a']);
    await first();
    expect(instances[0]!.unsubscribes).toEqual([]);
    await second();
    expect(instances[0]!.unsubscribes).toEqual(['res://a']);
  });

  it('refuses to subscribe on a server without resources.subscribe with NotSupported, at once', async () => {
    const { sb, instances } = await setup(era, false);
    const started = Date.now();
    const error = await sb.subscribeResource('res://a').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: 'NotSupported' });
    expect((error as Error).message).toContain('subs');
    expect((error as Error).message).toContain('subscribe');
    expect(instances).toHaveLength(1);
    // Reads still work: only subscribing is missing.
    expect((await sb.readResource('res://a')).contents).toEqual([{ uri: 'res://a', text: 'x' }]);
  });
});
