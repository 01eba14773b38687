import { ListRootsResultSchema, RootsListChangedNotificationSchema, type ElicitRequest, type Root } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { notifyRootsChanged } from '../../src/protocol/v1/serverRequests.js';
import { until } from '../helpers/switchboard.js';
import { closePairsAfterEach, connect, refusal } from './serverRequestPair.js';

closePairsAfterEach();

describe('elicitation', () => {
  const schema = {
    type: 'object' as const,
    properties: {
      name: { type: 'string' as const, default: 'Ada' },
      age: { type: 'number' as const, default: 36.5 },
      count: { type: 'integer' as const, default: 3 },
      subscribe: { type: 'boolean' as const, default: true },
      color: { type: 'string' as const, enum: ['red', 'green'], default: 'green' },
      note: { type: 'string' as const },
    },
  };

  it('fills the fields the handler leaves out from the schema defaults', async () => {
    const seen: ElicitRequest['params'][] = [];
    const pair = await connect({
      elicitation: async (params) => {
        seen.push(params);
        return { action: 'accept', content: { note: 'hi' } };
      },
    });
    const result = await pair.mcp.server.elicitInput({ message: 'profile?', requestedSchema: schema });
    expect(result).toEqual({ action: 'accept', content: { note: 'hi', name: 'Ada', age: 36.5, count: 3, subscribe: true, color: 'green' } });
    expect(seen[0]!.mode).toBe('form');
  });

  it('keeps provided fields, and fills every default into an accepted form without content', async () => {
    const answers = [
      { action: 'accept' as const, content: { name: 'Grace', age: 0, count: 0, subscribe: false, color: 'red' } },
      { action: 'accept' as const },
    ];
    const pair = await connect({ elicitation: async () => answers.shift()! });
    const given = await pair.mcp.server.elicitInput({ message: 'profile?', requestedSchema: schema });
    expect(given.content).toEqual({ name: 'Grace', age: 0, count: 0, subscribe: false, color: 'red' });
    const empty = await pair.mcp.server.elicitInput({ message: 'profile?', requestedSchema: schema });
    expect(empty.content).toEqual({ name: 'Ada', age: 36.5, count: 3, subscribe: true, color: 'green' });
  });

  it('applies no defaults when the user declines or cancels', async () => {
    const answers = [{ action: 'decline' as const }, { action: 'cancel' as const }];
    const pair = await connect({ elicitation: async () => answers.shift()! });
    expect(await pair.mcp.server.elicitInput({ message: 'profile?', requestedSchema: schema })).toEqual({ action: 'decline' });
    expect(await pair.mcp.server.elicitInput({ message: 'profile?', requestedSchema: schema })).toEqual({ action: 'cancel' });
  });

  it('passes URL-mode requests to the handler', async () => {
    const seen: ElicitRequest['params'][] = [];
    const pair = await connect({
      elicitation: async (params) => {
        seen.push(params);
        return { action: 'accept' };
      },
    });
    const result = await pair.mcp.server.elicitInput({ mode: 'url', message: 'log in', url: 'https://example.test/login', elicitationId: 'e1' });
    expect(result).toEqual({ action: 'accept' });
    expect(seen[0]).toMatchObject({ mode: 'url', url: 'https://example.test/login', elicitationId: 'e1' });
  });
});

describe('roots', () => {
  const ROOTS: Root[] = [{ uri: 'file:///work', name: 'work' }];

  it('lists static roots', async () => {
    const pair = await connect({ roots: ROOTS });
    expect((await pair.mcp.server.listRoots()).roots).toEqual(ROOTS);
  });

  it('asks a roots function on every request, with the server name', async () => {
    const asked: string[] = [];
    const pair = await connect({
      roots: async ({ server }) => {
        asked.push(server);
        return [{ uri: `file:///${server}/${asked.length}` }];
      },
    });
    expect((await pair.mcp.server.listRoots()).roots).toEqual([{ uri: 'file:///files/1' }]);
    expect((await pair.mcp.server.listRoots()).roots).toEqual([{ uri: 'file:///files/2' }]);
    expect(asked).toEqual(['files', 'files']);
  });

  it('prefers the live roots over the configured ones', async () => {
    let live: Root[] | undefined;
    const pair = await connect({ roots: ROOTS }, { roots: () => live });
    expect((await pair.mcp.server.listRoots()).roots).toEqual(ROOTS);
    live = [{ uri: 'file:///elsewhere' }];
    expect((await pair.mcp.server.listRoots()).roots).toEqual(live);
  });

  it('answers roots that are not file URIs with a JSON-RPC error', async () => {
    const pair = await connect({ roots: [{ uri: 'https://example.test/' }] });
    const error = await refusal(pair.mcp.server.request({ method: 'roots/list' }, ListRootsResultSchema));
    expect(error.message).toMatch(/roots handler returned an invalid result: roots\.0\.uri/);
  });

  it('tells the server when the roots change', async () => {
    const pair = await connect({ roots: ROOTS });
    let changed = 0;
    pair.mcp.server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
      changed += 1;
    });
    await notifyRootsChanged(pair.client);
    await until(() => changed === 1, 5_000, 'roots/list_changed');
    // Without the capability, and after close, it is a quiet no-op.
    const plain = await connect(undefined);
    await expect(notifyRootsChanged(plain.client)).resolves.toBeUndefined();
    await pair.client.close();
    await expect(notifyRootsChanged(pair.client)).resolves.toBeUndefined();
  });
});
