import type { ReadResourceResult, Resource, ResourceTemplate as Template } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { ERAS, type AnyServer, type EraRow } from '../helpers/eras.js';

/**
 * Resources through the switchboard (DESIGN §10) against real SDK servers in memory: catalogs of
 * two servers with every page of a paginated list, reads routed by catalog uri, by template match
 * or by `{ server }`, the routing errors, and results passed through unchanged. Runs once per era
 * (test/helpers/eras.ts): the same servers on the v1 SDK (2025-11-25) and on the v2 SDK
 * (2026-07-28, legacy clients refused).
 */

const RESOURCE_PAGES: Record<string, { resources: Resource[]; nextCursor?: string }> = {
  '': {
    resources: [{ uri: 'file:///a.txt', name: 'a', title: 'A file', description: 'first', mimeType: 'text/plain', size: 5, annotations: { audience: ['user'], priority: 0.5 } }],
    nextCursor: 'p2',
  },
  p2: { resources: [{ uri: 'file:///b.bin', name: 'b', mimeType: 'application/octet-stream' }], nextCursor: 'p3' },
  p3: { resources: [{ uri: 'shared://x', name: 'shared-on-files' }] },
};

const TEMPLATE_PAGES: Record<string, { resourceTemplates: Template[]; nextCursor?: string }> = {
  '': { resourceTemplates: [{ uriTemplate: 'log://{day}', name: 'log', title: 'Log', description: 'One day of logs', mimeType: 'text/plain' }], nextCursor: 't2' },
  t2: { resourceTemplates: [{ uriTemplate: 'file:///logs/{name}', name: 'logfile' }] },
};

/** What `files` answers to every read: text and blob contents with `_meta` on both levels. */
const readResult = (uri: string): ReadResourceResult => ({
  contents: [
    { uri, mimeType: 'text/plain', text: 'hello', _meta: { line: 1 } },
    { uri, mimeType: 'application/octet-stream', blob: 'AAEC' },
  ],
  _meta: { servedBy: 'files' },
});

interface Probe {
  lists: string[];
  templateLists: string[];
  reads: { uri: string; meta: unknown }[];
}

/** A low-level server with paginated lists: three pages of resources, two of templates. */
function filesServer(era: EraRow, probe: Probe): AnyServer {
  const server = new era.Server({ name: 'files', version: '1.0.0' }, { capabilities: { resources: {} } });
  era.handle(server, 'resources/list', async (request) => {
    const cursor: string = request.params?.cursor ?? '';
    probe.lists.push(cursor);
    return RESOURCE_PAGES[cursor]!;
  });
  era.handle(server, 'resources/templates/list', async (request) => {
    const cursor: string = request.params?.cursor ?? '';
    probe.templateLists.push(cursor);
    return TEMPLATE_PAGES[cursor]!;
  });
  era.handle(server, 'resources/read', async (request) => {
    probe.reads.push({ uri: request.params.uri, meta: request.params._meta });
    return readResult(request.params.uri);
  });
  return server;
}

/** An McpServer with a fixed resource (shared with `files`) and the template `item://{id}`. */
function itemsServer(era: EraRow): AnyServer {
  const server = new era.McpServer({ name: 'items', version: '1.0.0' });
  server.registerResource('shared', 'shared://x', { description: 'shared on items' }, async (uri: URL) => ({ contents: [{ uri: uri.href, text: 'items copy' }] }));
  server.registerResource('item', new era.ResourceTemplate('item://{id}', { list: undefined }), { title: 'Item', description: 'One item', mimeType: 'application/json' }, async (uri: URL, { id }: { id: string }) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id }) }],
  }));
  return server;
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

async function setup(era: EraRow) {
  const probe: Probe = { lists: [], templateLists: [], reads: [] };
  const refused = async (): Promise<never> => {
    throw new Error('connection refused');
  };
  const sb = createSwitchboard(
    // `down` never connects; its long backoff keeps it down for the whole test.
    era.config({ servers: {}, defaults: { health: { intervalMs: 0 }, reconnect: { baseMs: 60_000, minMs: 60_000, maxMs: 60_000 } } }),
    { transports: { files: era.linked(() => filesServer(era, probe)), items: era.linked(() => itemsServer(era)), down: refused } },
  );
  boards.push(sb);
  await sb.start();
  expect(sb.getServer('files')!.state).toBe('connected');
  expect(sb.getServer('items')!.state).toBe('connected');
  return { sb, probe };
}

describe.each(ERAS)('resources ($era)', (era) => {
  it('lists every page of every server with the server and the optional fields', async () => {
    const { sb, probe } = await setup(era);
    expect(probe.lists).toEqual(['', 'p2', 'p3']);
    expect(probe.templateLists).toEqual(['', 't2']);
    expect(sb.listResources('files')).toEqual([...RESOURCE_PAGES['']!.resources, ...RESOURCE_PAGES.p2!.resources, ...RESOURCE_PAGES.p3!.resources].map((r) => ({ ...r, server: 'files' })));
    expect(sb.listResources('items')).toEqual([{ uri: 'shared://x', name: 'shared', description: 'shared on items', server: 'items' }]);
    expect(sb.listResources().map((r) => `${r.server} ${r.uri}`).sort()).toEqual(['files file:///a.txt', 'files file:///b.bin', 'files shared://x', 'items shared://x']);
    expect(sb.listResources('down')).toEqual([]);
  });

  it('lists the templates of every server, every page, with their optional fields', async () => {
    const { sb } = await setup(era);
    expect(sb.listResourceTemplates('files')).toEqual([
      { uriTemplate: 'log://{day}', name: 'log', title: 'Log', description: 'One day of logs', mimeType: 'text/plain', server: 'files' },
      { uriTemplate: 'file:///logs/{name}', name: 'logfile', server: 'files' },
    ]);
    expect(sb.listResourceTemplates('items')).toEqual([{ uriTemplate: 'item://{id}', name: 'item', title: 'Item', description: 'One item', mimeType: 'application/json', server: 'items' }]);
    expect(sb.listResourceTemplates()).toHaveLength(3);
  });

  it('reads a listed uri from the server that lists it and returns the result unchanged', async () => {
    const { sb, probe } = await setup(era);
    const result = await sb.readResource('file:///b.bin');
    expect(era.wireless(result)).toEqual(readResult('file:///b.bin'));
    expect(probe.reads.map((r) => r.uri)).toEqual(['file:///b.bin']);
  });

  it('routes a uri that matches a template (RFC 6570) to the template owner', async () => {
    const { sb, probe } = await setup(era);
    expect(era.wireless(await sb.readResource('item://42'))).toEqual({ contents: [{ uri: 'item://42', mimeType: 'application/json', text: '{"id":"42"}' }] });
    expect(era.wireless(await sb.readResource('log://monday'))).toEqual(readResult('log://monday'));
    expect(era.wireless(await sb.readResource('file:///logs/today'))).toEqual(readResult('file:///logs/today'));
    expect(probe.reads.map((r) => r.uri)).toEqual(['log://monday', 'file:///logs/today']);
  });

  it('sends a read to the server given, whatever the catalogs say', async () => {
    const { sb, probe } = await setup(era);
    expect(era.wireless(await sb.readResource('unlisted://thing', { server: 'files' }))).toEqual(readResult('unlisted://thing'));
    expect(era.wireless(await sb.readResource('shared://x', { server: 'items' }))).toEqual({ contents: [{ uri: 'shared://x', text: 'items copy' }] });
    expect(era.wireless(await sb.readResource('shared://x', { server: 'files' }))).toEqual(readResult('shared://x'));
    expect(probe.reads.map((r) => r.uri)).toEqual(['unlisted://thing', 'shared://x']);
    await expect(sb.readResource('shared://x', { server: 'nope' })).rejects.toMatchObject({ code: 'ServerNotFound' });
  });

  it('refuses a uri no server lists or matches with ResourceNotFound naming the unconnected servers', async () => {
    const { sb, probe } = await setup(era);
    const error = await sb.readResource('other://1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ResourceNotFound' });
    expect((error as Error).message).toContain('other://1');
    expect((error as Error).message).toContain('"down"');
    expect((error as Error).message).not.toContain('"files"');
    expect(probe.reads).toEqual([]);
  });

  it('refuses a uri listed by two servers with AmbiguousResource naming both', async () => {
    const { sb, probe } = await setup(era);
    const error = await sb.readResource('shared://x').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AmbiguousResource' });
    expect([...(error as { servers: string[] }).servers].sort()).toEqual(['files', 'items']);
    expect((error as Error).message).toContain('"files"');
    expect((error as Error).message).toContain('"items"');
    expect(probe.reads).toEqual([]);
  });

  it('passes the meta option to the server as _meta', async () => {
    const { sb, probe } = await setup(era);
    await sb.readResource('file:///a.txt', { meta: { traceId: 't-1', nested: { a: [1, 2] } } });
    expect(probe.reads).toHaveLength(1);
    expect(probe.reads[0]!.meta).toMatchObject({ traceId: 't-1', nested: { a: [1, 2] } });
    await sb.readResource('file:///a.txt');
    expect(probe.reads[1]!.meta ?? {}).not.toHaveProperty('traceId');
  });
});
