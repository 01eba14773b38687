import { afterEach, describe, expect, it, vi } from 'vitest';
import { until } from '../helpers/switchboard.js';
import { connectClient, setup, teardown } from './upstream.js';

/**
 * What one request through the gateway costs (issue 18): a call beside a 10 000-tool server took
 * 11 ms because the whole aggregated list was rebuilt and filtered per call. Counted, not timed:
 * calls, prompt gets and resource reads look names up and never rebuild a list until the catalog
 * (or the tool filter) changes; then each list is built once.
 */

afterEach(teardown);

describe('gateway lookups', () => {
  it('calls, gets prompts and reads resources without rebuilding any list', async () => {
    const { sb, gateway } = await setup({ gateway: { tools: { deny: ['*__ask'] } } });
    const client = await connectClient(gateway);
    await client.listTools();
    await client.listPrompts();
    await client.listResources();
    const spies = [vi.spyOn(sb, 'listTools'), vi.spyOn(sb, 'listPrompts'), vi.spyOn(sb, 'listResources'), vi.spyOn(sb, 'listResourceTemplates')];
    for (let i = 0; i < 20; i++) {
      expect((await client.callTool({ name: 'up__echo', arguments: { text: `call ${i}` } })).content).toEqual([{ type: 'text', text: `call ${i}` }]);
    }
    await expect(client.callTool({ name: 'up__ask' })).rejects.toMatchObject({ code: -32602 });
    await expect(client.callTool({ name: 'up__nope' })).rejects.toMatchObject({ code: -32602 });
    expect((await client.getPrompt({ name: 'up__greet', arguments: { who: 'Ada' } })).messages).toHaveLength(1);
    expect((await client.readResource({ uri: 'mem://up/readme' })).contents).toEqual([{ uri: 'mem://up/readme', text: 'readme of up' }]);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('up__ask');
    await client.listPrompts();
    await client.listResources();
    await client.listResourceTemplates();
    expect(spies.map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0, 0]);
  });

  it('builds the tool list once after a catalog or filter change, and finds the new tools', async () => {
    const { sb, gateway, probe } = await setup();
    const client = await connectClient(gateway);
    await client.listTools();
    const listTools = vi.spyOn(sb, 'listTools');
    gateway.setToolFilter({ allow: ['up__echo'] });
    await expect(client.callTool({ name: 'up__add', arguments: { a: 1, b: 2 } })).rejects.toMatchObject({ code: -32602 });
    for (let i = 0; i < 5; i++) await client.callTool({ name: 'up__echo', arguments: { text: 'x' } });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['up__echo']);
    expect(listTools).toHaveBeenCalledTimes(1);
    gateway.setToolFilter({});
    let changed = false;
    sb.on('tools.changed', () => (changed = true));
    probe.server!.registerTool('late', { description: 'Added at run time' }, async () => ({ content: [{ type: 'text', text: 'late' }] }));
    await until(() => changed, 5_000, 'tools.changed');
    for (let i = 0; i < 5; i++) expect((await client.callTool({ name: 'up__late' })).content).toEqual([{ type: 'text', text: 'late' }]);
    expect(await client.callTool({ name: 'up__add', arguments: { a: 1, b: 2 } })).toMatchObject({ structuredContent: { sum: 3 } });
    expect(listTools).toHaveBeenCalledTimes(2);
  });
});
