import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer, ResourceTemplate as SdkResourceTemplateClass } from '@modelcontextprotocol/sdk/server/mcp.js';
import type * as Spec from '@modelcontextprotocol/sdk/spec.types.js';
import { LoggingLevelSchema as SdkLoggingLevelSchema, type CallToolResult as SdkCallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type * as Sdk from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createSwitchboard, isLoggingLevel, LOGGING_LEVELS, type Switchboard } from '../../src/index.js';
import type * as Ours from '../../src/index.js';
import { LoggingLevelSchema, loggingLevelRank } from '../../src/protocol/index.js';

/**
 * Our MCP shapes (src/protocol/types.ts) against the v1 SDK's and the spec's, both ways: an
 * embedder's SDK-typed value must assign to ours (what they pass in: roots, handler results) and
 * ours to the SDK's (what they pass on: a result returned from their own McpServer). tsc checks
 * the `expectTypeOf` lines (`npm test` type-checks first); the runtime part proves nothing is lost.
 */

/**
 * Compiles only when `A` and `B` assign to each other; the string names the direction that fails.
 * (expect-type's `toExtend` misjudges an open type — index signature — against optional fields.)
 */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : 'the second does not assign to the first') : 'the first does not assign to the second';
function mutual<A, B>(ok: Mutual<A, B>): void {
  expect(ok).toBe(true);
}

/** A tool result with every content block kind, structured content, `_meta` and an extra field. */
const EVERY_BLOCK = {
  content: [
    { type: 'text', text: 'hello', annotations: { audience: ['user'], priority: 0.5 }, _meta: { trace: 't1' } },
    { type: 'image', data: 'aW1n', mimeType: 'image/png' },
    { type: 'audio', data: 'YXVk', mimeType: 'audio/wav' },
    { type: 'resource_link', uri: 'file:///a.txt', name: 'a', title: 'A', mimeType: 'text/plain', size: 3, icons: [{ src: 'https://x.invalid/i.png', theme: 'dark' }] },
    { type: 'resource', resource: { uri: 'file:///b.txt', mimeType: 'text/plain', text: 'bee' } },
    { type: 'resource', resource: { uri: 'file:///c.bin', blob: 'Yw==' } },
  ],
  structuredContent: { answer: 42 },
  isError: false,
  _meta: { 'example.com/trace': 'abc' },
  extraField: { kept: true },
} satisfies SdkCallToolResult;

/** An SDK McpServer with a tool, a resource, a template and a prompt, in memory. */
function upstream() {
  return async () => {
    const server = new McpServer({ name: 'upstream', version: '1.0.0' });
    server.registerTool('every', {}, async () => EVERY_BLOCK);
    server.registerResource('note', 'note://one', { mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: 'one', _meta: { k: 1 } }] }));
    server.registerResource('doc', new SdkResourceTemplateClass('doc://{id}', { list: undefined, complete: { id: (v) => ['alpha', 'beta'].filter((x) => x.startsWith(v)) } }), {}, async (uri) => ({ contents: [{ uri: uri.href, blob: 'AA==' }] }));
    server.registerPrompt('greet', { description: 'greets' }, async () => ({ description: 'greets', messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }] }));
    const [client, end] = InMemoryTransport.createLinkedPair();
    await server.connect(end);
    return client;
  };
}

describe('our MCP types', () => {
  let sb: Switchboard | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await sb?.stop();
    sb = undefined;
  });

  it('assign to and from the v1 SDK types and the spec types, every shape the API uses', () => {
    mutual<Sdk.CallToolResult, Ours.CallToolResult>(true);
    mutual<Sdk.ContentBlock, Ours.ContentBlock>(true);
    mutual<Sdk.ResourceLink, Ours.ResourceLink>(true);
    mutual<Sdk.EmbeddedResource, Ours.EmbeddedResource>(true);
    mutual<Sdk.ReadResourceResult, Ours.ReadResourceResult>(true);
    mutual<Sdk.GetPromptResult, Ours.GetPromptResult>(true);
    mutual<Sdk.CompleteRequest['params'], Ours.CompleteRequest['params']>(true);
    mutual<Sdk.CompleteResult, Ours.CompleteResult>(true);
    mutual<Sdk.Tool, Ours.Tool>(true);
    mutual<Sdk.ToolAnnotations, Ours.ToolAnnotations>(true);
    mutual<Sdk.Resource, Ours.Resource>(true);
    mutual<Sdk.ResourceTemplate, Ours.ResourceTemplate>(true);
    mutual<Sdk.Prompt, Ours.Prompt>(true);
    mutual<Sdk.Root, Ours.Root>(true);
    mutual<Sdk.ListRootsResult, Ours.ListRootsResult>(true);
    mutual<Sdk.Implementation, Ours.Implementation>(true);
    mutual<Sdk.ServerCapabilities, Ours.ServerCapabilities>(true);
    mutual<Sdk.ClientCapabilities, Ours.ClientCapabilities>(true);
    expectTypeOf<Ours.LoggingLevel>().toEqualTypeOf<Sdk.LoggingLevel>();
    mutual<Sdk.Progress, Ours.Progress>(true);
    mutual<Sdk.Icon, Ours.Icon>(true);
    mutual<Sdk.CreateMessageRequest['params'], Ours.CreateMessageRequestParams>(true);
    mutual<Sdk.CreateMessageResult, Ours.CreateMessageResult>(true);
    mutual<Sdk.CreateMessageResultWithTools, Ours.CreateMessageResultWithTools>(true);
    mutual<Sdk.ElicitRequest['params'], Ours.ElicitRequestParams>(true);
    mutual<Sdk.ElicitResult, Ours.ElicitResult>(true);
    // The spec's own TypeScript schema, which the next SDK generation is built from.
    mutual<Spec.CallToolResult, Ours.CallToolResult>(true);
    mutual<Spec.ReadResourceResult, Ours.ReadResourceResult>(true);
    mutual<Spec.GetPromptResult, Ours.GetPromptResult>(true);
    mutual<Spec.Tool, Ours.Tool>(true);
    mutual<Spec.CreateMessageRequestParams, Ours.CreateMessageRequestParams>(true);
    mutual<Spec.ElicitRequestParams, Ours.ElicitRequestParams>(true);
    mutual<Spec.ElicitResult, Ours.ElicitResult>(true);
    mutual<Spec.ContentBlock, Ours.ContentBlock>(true);
    mutual<Spec.CompleteRequestParams, Ours.CompleteRequestParams>(true);
    mutual<Spec.CompleteResult, Ours.CompleteResult>(true);
    mutual<Spec.Resource, Ours.Resource>(true);
    mutual<Spec.ResourceTemplate, Ours.ResourceTemplate>(true);
    mutual<Spec.Prompt, Ours.Prompt>(true);
    mutual<Spec.Root, Ours.Root>(true);
    mutual<Spec.ListRootsResult, Ours.ListRootsResult>(true);
    mutual<Spec.Implementation, Ours.Implementation>(true);
    mutual<Spec.ServerCapabilities, Ours.ServerCapabilities>(true);
    mutual<Spec.ClientCapabilities, Ours.ClientCapabilities>(true);
    mutual<Spec.CreateMessageResult, Ours.CreateMessageResultWithTools>(true);
    mutual<Spec.ToolAnnotations, Ours.ToolAnnotations>(true);
    mutual<Spec.Icon, Ours.Icon>(true);
    expectTypeOf<Ours.LoggingLevel>().toEqualTypeOf<Spec.LoggingLevel>();
  });

  it('are what the public API takes and returns, not the SDK types', () => {
    expectTypeOf<Awaited<ReturnType<Switchboard['callTool']>>>().toEqualTypeOf<Ours.CallToolResult>();
    expectTypeOf<Awaited<ReturnType<Switchboard['readResource']>>>().toEqualTypeOf<Ours.ReadResourceResult>();
    expectTypeOf<Awaited<ReturnType<Switchboard['getPrompt']>>>().toEqualTypeOf<Ours.GetPromptResult>();
    expectTypeOf<Awaited<ReturnType<Switchboard['complete']>>>().toEqualTypeOf<Ours.CompleteResult>();
    expectTypeOf<Parameters<Switchboard['complete']>[0]>().toEqualTypeOf<Ours.CompleteRequestParams>();
    expectTypeOf<Parameters<Switchboard['setLogLevel']>[0]>().toEqualTypeOf<Ours.LoggingLevel>();
    expectTypeOf<Parameters<Switchboard['setRoots']>[0]>().toEqualTypeOf<Ours.Root[]>();
    expectTypeOf<Parameters<NonNullable<Ours.CallToolOptions['onProgress']>>[0]>().toEqualTypeOf<Ours.Progress>();
  });

  it('carry every result field through the switchboard into an SDK server and back out, nothing lost', async () => {
    sb = createSwitchboard({ servers: {} }, { transports: { up: upstream() } });
    await sb.start();
    const through = sb;
    // An embedder's own McpServer that hands our results straight to SDK code (types must fit).
    const proxy = new McpServer({ name: 'proxy', version: '1.0.0' });
    proxy.registerTool('relay', {}, async (): Promise<SdkCallToolResult> => through.callTool('every'));
    const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
    await proxy.connect(serverEnd);
    const client = new Client({ name: 'host', version: '1.0.0' });
    await client.connect(clientEnd);
    closers.push(() => client.close(), () => proxy.close());

    const direct: Ours.CallToolResult = await sb.callTool('every');
    expect(direct).toEqual(EVERY_BLOCK);
    const relayed: Ours.CallToolResult = (await client.callTool({ name: 'relay' })) as SdkCallToolResult;
    expect(relayed).toEqual(EVERY_BLOCK);

    const read: Sdk.ReadResourceResult = await sb.readResource('note://one');
    expect(read.contents).toEqual([{ uri: 'note://one', text: 'one', _meta: { k: 1 } }]);
    const blob: Sdk.ReadResourceResult = await sb.readResource('doc://7', { server: 'up' });
    expect(blob.contents).toEqual([{ uri: 'doc://7', blob: 'AA==' }]);
    const prompt: Sdk.GetPromptResult = await sb.getPrompt('greet');
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'hi' } }]);
    const params: Sdk.CompleteRequest['params'] = { ref: { type: 'ref/resource', uri: 'doc://{id}' }, argument: { name: 'id', value: 'al' } };
    const completion: Sdk.CompleteResult = await sb.complete(params, { server: 'up' });
    expect(completion.completion.values).toEqual(['alpha']);
    const roots: Sdk.Root[] = [{ uri: 'file:///work', name: 'work', _meta: { k: 'v' } }];
    sb.setRoots(roots);
  });

  it('have their own runtime log levels, the same list and order as MCP', () => {
    expect([...LOGGING_LEVELS]).toEqual(SdkLoggingLevelSchema.options);
    expect(LoggingLevelSchema.safeParse('warning').success).toBe(true);
    expect(LoggingLevelSchema.safeParse('warn').success).toBe(false);
    expect(isLoggingLevel('emergency')).toBe(true);
    expect(isLoggingLevel('trace')).toBe(false);
    expect(isLoggingLevel(3)).toBe(false);
    expect(loggingLevelRank('debug')).toBeLessThan(loggingLevelRank('warning'));
    expect(loggingLevelRank('emergency')).toBe(7);
  });
});
