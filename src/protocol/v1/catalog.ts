import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ErrorCode,
  McpError,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { CatalogKind, PromptInfo, ResourceInfo, ResourceTemplateInfo, ServerCatalog, ToolInfo } from '../../machines/types.js';
import { qualifiedName, toolFilter } from '../routing/index.js';
import { NO_SDK_TIMEOUT } from './connect.js';
import { requestSignal } from './requests.js';

/**
 * Listing a server's catalog: tools, resources, resource templates and prompts, each only when the
 * server declares the capability, every page followed. Uses `client.request` rather than
 * `listTools()`: the latter compiles each output schema with Ajv, and one bad schema makes the
 * whole server unlistable (research/sdk-notes.md §5). A cursor seen before (a server looping) or
 * more than MAX_PAGES pages end one listing with what was gathered, and `warn` says why.
 */

/** Pages followed at most, so a server whose cursors never end cannot list forever. */
export const MAX_PAGES = 1_000;

const LISTS = {
  tools: { method: 'tools/list', schema: ListToolsResultSchema, key: 'tools', capability: 'tools' },
  resources: { method: 'resources/list', schema: ListResourcesResultSchema, key: 'resources', capability: 'resources' },
  templates: { method: 'resources/templates/list', schema: ListResourceTemplatesResultSchema, key: 'resourceTemplates', capability: 'resources' },
  prompts: { method: 'prompts/list', schema: ListPromptsResultSchema, key: 'prompts', capability: 'prompts' },
} as const;

/** Every page of one list method. */
async function listPages<T>(client: Client, kind: CatalogKind, signal: AbortSignal, warn: (message: string) => void): Promise<T[]> {
  const { method, schema, key } = LISTS[kind];
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    if (page === MAX_PAGES) {
      warn(`${method} returned more than ${MAX_PAGES} pages; keeping the first ${items.length} entries`);
      break;
    }
    // A signal of its own per page: the SDK never removes the abort listener it adds to a request's
    // signal, and 200 pages on one signal made Node print a MaxListenersExceededWarning.
    const pageSignal = requestSignal(signal);
    let result: Record<string, unknown>;
    try {
      result = (await client.request({ method, params: cursor ? { cursor } : {} } as { method: 'tools/list' }, schema as z.ZodType, { signal: pageSignal.signal, timeout: NO_SDK_TIMEOUT })) as Record<string, unknown>;
    } finally {
      pageSignal.done();
    }
    items.push(...((result[key] as T[] | undefined) ?? []));
    cursor = result.nextCursor as string | undefined;
    if (!cursor) break;
    if (seen.has(cursor)) {
      warn(`${method} repeated the cursor ${JSON.stringify(cursor.slice(0, 80))} after ${page + 1} pages (a pagination loop); keeping the ${items.length} entries listed so far`);
      break;
    }
    seen.add(cursor);
  }
  return items;
}

/** Lists the given kinds (every kind the server declares, by default) and turns them into catalog entries. */
export async function listCatalog(
  client: Client,
  server: { name: string; tools?: { allow?: string[]; deny?: string[] } | undefined },
  signal: AbortSignal,
  warn: (message: string) => void,
  kinds: readonly CatalogKind[] = ['tools', 'resources', 'templates', 'prompts'],
): Promise<Partial<ServerCatalog>> {
  const capabilities = (client.getServerCapabilities() ?? {}) as Record<string, unknown>;
  const catalog: Partial<ServerCatalog> = {};
  for (const kind of kinds) {
    if (!capabilities[LISTS[kind].capability]) {
      catalog[kind] = [];
      continue;
    }
    let items: (Tool & Resource & ResourceTemplate & Prompt)[];
    try {
      items = await listPages<Tool & Resource & ResourceTemplate & Prompt>(client, kind, signal, warn);
    } catch (error) {
      // Many servers declare resources but implement only list and read: a missing list method
      // leaves that kind empty instead of making the whole server unreachable.
      if (kind === 'tools' || !(error instanceof McpError) || error.code !== ErrorCode.MethodNotFound) throw error;
      warn(`${LISTS[kind].method} is not implemented by the server (-32601); its ${kind} stay empty`);
      catalog[kind] = [];
      continue;
    }
    if (kind === 'tools') catalog.tools = toolEntries(server.name, items, server.tools);
    else if (kind === 'resources') catalog.resources = dedupe(items.map((r) => resourceEntry(server.name, r)), (r) => r.uri);
    else if (kind === 'templates') catalog.templates = dedupe(items.map((t) => templateEntry(server.name, t)), (t) => t.uriTemplate);
    else catalog.prompts = dedupe(items.map((p) => promptEntry(server.name, p)), (p) => p.name);
  }
  return catalog;
}

function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && Boolean(seen.add(key(item))));
}

/** Copies the optional fields that are present (no `undefined` keys in inspected context). */
function withOptional<T extends object>(target: T, source: object, keys: readonly string[]): T {
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}

/** Turns a server's tools into the switchboard's catalog: filtered, with qualified names. */
export function toolEntries(server: string, tools: readonly Tool[], filter: { allow?: string[]; deny?: string[] } | undefined): ToolInfo[] {
  const keep = toolFilter(filter);
  const kept = dedupe(tools.filter((t) => keep(t.name)), (t) => t.name);
  return kept.map((tool) =>
    withOptional({ name: tool.name, server, qualifiedName: qualifiedName(server, tool.name), inputSchema: tool.inputSchema as Record<string, unknown> } as ToolInfo, tool, [
      'description',
      'title',
      'outputSchema',
      'annotations',
      'execution',
      'icons',
      '_meta',
    ]),
  );
}

function resourceEntry(server: string, resource: Resource): ResourceInfo {
  return withOptional({ uri: resource.uri, name: resource.name, server } as ResourceInfo, resource, ['title', 'description', 'mimeType', 'size', 'annotations', 'icons', '_meta']);
}

function templateEntry(server: string, template: ResourceTemplate): ResourceTemplateInfo {
  return withOptional({ uriTemplate: template.uriTemplate, name: template.name, server } as ResourceTemplateInfo, template, ['title', 'description', 'mimeType', 'annotations', 'icons', '_meta']);
}

function promptEntry(server: string, prompt: Prompt): PromptInfo {
  return withOptional({ name: prompt.name, server, qualifiedName: qualifiedName(server, prompt.name) } as PromptInfo, prompt, ['title', 'description', 'arguments', 'icons', '_meta']);
}
