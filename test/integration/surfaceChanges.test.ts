import type { Prompt, Resource } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createSwitchboard, type EventOf, type Switchboard } from '../../src/index.js';
import { ERAS, type AnyServer } from '../helpers/eras.js';
import { until } from '../helpers/switchboard.js';

/**
 * list_changed for resources and prompts (DESIGN §10): the kind is relisted, `resources.changed`
 * and `prompts.changed` say what was added, removed and changed, the lists follow, and a burst of
 * notifications is debounced into one relist (on the simulated clock, counted on the server).
 * Runs once per era (test/helpers/eras.ts): in 2026-07-28 the notifications arrive on the
 * client's `subscriptions/listen` stream.
 */

const text = (value: string) => async (uri: URL) => ({ contents: [{ uri: uri.href, text: value }] });

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

/** Lets pending promise chains (in-memory transport, SDK) run without moving the clock. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe.each(ERAS)('list_changed relists (McpServer changing its catalog after connect, $era)', (era) => {
  async function setup() {
    let live: AnyServer | undefined;
    const build = () => {
      const server = new era.McpServer({ name: 'live', version: '1.0.0' });
      // Registered before connect so that the resource and prompt handlers (and capabilities) exist.
      const a = server.registerResource('a', 'res://a', {}, text('a'));
      const c = server.registerResource('c', 'res://c', { description: 'old' }, text('c'));
      server.registerPrompt('p1', { description: 'first' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'p1' } }] }));
      live = Object.assign(server, { a, c });
      return server;
    };
    const sb = createSwitchboard(era.config({ servers: {}, defaults: { health: { intervalMs: 0 } } }), { transports: { live: era.linked(build) } });
    boards.push(sb);
    const resources: EventOf<'resources.changed'>[] = [];
    const prompts: EventOf<'prompts.changed'>[] = [];
    sb.on('resources.changed', (e) => resources.push(e));
    sb.on('prompts.changed', (e) => prompts.push(e));
    await sb.start();
    // The first listing reports everything as added; only what follows is of interest here.
    expect(resources.flatMap((e) => e.added).sort()).toEqual(['res://a', 'res://c']);
    expect(prompts.flatMap((e) => e.added)).toEqual(['p1']);
    resources.length = 0;
    prompts.length = 0;
    return { sb, server: live as AnyServer & { a: { remove(): void }; c: { update(u: object): void } }, resources, prompts };
  }

  it('relists resources and templates and reports what was added, removed and changed', async () => {
    const { sb, server, resources, prompts } = await setup();
    expect(sb.listResources().map((r) => r.uri)).toEqual(['res://a', 'res://c']);
    // Each of these sends notifications/resources/list_changed.
    server.registerResource('b', 'res://b', { mimeType: 'text/plain' }, text('b'));
    server.a.remove();
    server.c.update({ metadata: { description: 'new' } });
    server.registerResource('t', new era.ResourceTemplate('tmpl://{x}', { list: undefined }), {}, text('t'));
    await until(() => sb.listResourceTemplates().length === 1 && sb.listResources().some((r) => r.uri === 'res://b') && !sb.listResources().some((r) => r.uri === 'res://a'), 5_000, 'the relist');
    expect(sb.listResources()).toEqual([
      { uri: 'res://c', name: 'c', description: 'new', server: 'live' },
      { uri: 'res://b', name: 'b', mimeType: 'text/plain', server: 'live' },
    ]);
    expect(sb.listResourceTemplates()).toEqual([{ uriTemplate: 'tmpl://{x}', name: 't', server: 'live' }]);
    const merged = { added: resources.flatMap((e) => e.added).sort(), removed: resources.flatMap((e) => e.removed), changed: resources.flatMap((e) => e.changed) };
    expect(merged).toEqual({ added: ['res://b', 'tmpl://{x}'], removed: ['res://a'], changed: ['res://c'] });
    expect(resources.every((e) => e.server === 'live')).toBe(true);
    expect(prompts).toEqual([]);
    expect((await sb.readResource('tmpl://9')).contents).toEqual([{ uri: 'tmpl://9', text: 't' }]);
    await expect(sb.readResource('res://a')).rejects.toMatchObject({ code: 'ResourceNotFound' });
  });

  it('relists prompts on notifications/prompts/list_changed and routes the new prompt', async () => {
    const { sb, server, resources, prompts } = await setup();
    await expect(sb.getPrompt('p2')).rejects.toMatchObject({ code: 'PromptNotFound' });
    server.registerPrompt('p2', { description: 'second' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'p2' } }] }));
    await until(() => prompts.length > 0, 5_000, 'prompts.changed');
    expect(prompts).toEqual([{ type: 'prompts.changed', server: 'live', added: ['p2'], removed: [], changed: [] }]);
    expect(sb.listPrompts().map((p) => p.qualifiedName)).toEqual(['live__p1', 'live__p2']);
    expect((await sb.getPrompt('p2')).messages[0]!.content).toEqual({ type: 'text', text: 'p2' });
    expect(resources).toEqual([]);
  });
});

describe.each(ERAS)('debounced relists (low-level server, simulated clock, $era)', (era) => {
  it('turns a burst of list_changed notifications into one relist per kind', async () => {
    const clock = new SimulatedClock();
    const counts = { resources: 0, templates: 0, prompts: 0 };
    let resourceList: Resource[] = [{ uri: 'res://one', name: 'one' }];
    let promptList: Prompt[] = [{ name: 'first' }];
    let server: AnyServer | undefined;
    const build = () => {
      server = new era.Server({ name: 'bursty', version: '1.0.0' }, { capabilities: { resources: { listChanged: true }, prompts: { listChanged: true } } });
      era.handle(server!, 'resources/list', async () => (counts.resources++, { resources: resourceList }));
      era.handle(server!, 'resources/templates/list', async () => (counts.templates++, { resourceTemplates: [] }));
      era.handle(server!, 'prompts/list', async () => (counts.prompts++, { prompts: promptList }));
      return server!;
    };
    const sb = createSwitchboard(era.config({ servers: {}, defaults: { health: { intervalMs: 0 } } }), { clock, transports: { bursty: era.linked(build) } });
    boards.push(sb);
    const events: string[] = [];
    sb.on('resources.changed', (e) => events.push(`resources +${e.added.join(',')} -${e.removed.join(',')}`));
    sb.on('prompts.changed', (e) => events.push(`prompts +${e.added.join(',')} -${e.removed.join(',')}`));
    await sb.start();
    expect(counts).toEqual({ resources: 1, templates: 1, prompts: 1 });
    events.length = 0;

    resourceList = [{ uri: 'res://two', name: 'two' }];
    promptList = [{ name: 'first' }, { name: 'second' }];
    for (let i = 0; i < 5; i++) await server!.sendResourceListChanged();
    for (let i = 0; i < 3; i++) await server!.sendPromptListChanged();
    await settle();
    clock.increment(99);
    await settle();
    expect(counts).toEqual({ resources: 1, templates: 1, prompts: 1 });
    clock.increment(1);
    await until(() => events.length === 2, 5_000, 'the change events');
    expect(counts).toEqual({ resources: 2, templates: 2, prompts: 2 });
    expect(events.sort()).toEqual(['prompts +second -', 'resources +res://two -res://one']);
    expect(sb.listResources().map((r) => r.uri)).toEqual(['res://two']);
    // Nothing left stale: no further relist, however long it waits.
    clock.increment(60_000);
    await settle();
    expect(counts).toEqual({ resources: 2, templates: 2, prompts: 2 });
    expect(events).toHaveLength(2);
  });
});
