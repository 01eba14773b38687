import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, ListPromptsResultSchema, ListResourcesResultSchema, ListResourceTemplatesResultSchema, ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { CatalogKind, ServerCatalog } from '../../../machines/types.js';
import { listCatalog as listEntries, MAX_PAGES } from '../catalog.js';
import type { ListedKinds } from '../session.js';
import { NO_SDK_TIMEOUT } from './connect.js';
import { requestSignal } from './requests.js';

/**
 * Listing a server's catalog: tools, resources, resource templates and prompts, each only when the
 * server declares the capability, every page followed. Uses `client.request` rather than
 * `listTools()`: the latter compiles each output schema with Ajv, and one bad schema makes the
 * whole server unlistable (research/sdk-notes.md §5, SDK 1.32.2). A cursor seen before (a server looping) or
 * more than MAX_PAGES pages end one listing with what was gathered, and `warn` says why.
 */

export { MAX_PAGES } from '../catalog.js';

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
      warn(`${method} repeated the cursor ${shownCursor(cursor)} after ${page + 1} pages (a pagination loop); keeping the ${items.length} entries listed so far`);
      break;
    }
    seen.add(cursor);
  }
  return items;
}

/** Cursors longer than this are named by their length in messages. */
const MAX_SHOWN_CURSOR = 80;

/**
 * A cursor as a warning shows it: whole, or only its length. Never cut: the warning is redacted
 * afterwards, and a secret the server echoed into its cursor would no longer be recognized in two.
 */
function shownCursor(cursor: string): string {
  return cursor.length <= MAX_SHOWN_CURSOR ? JSON.stringify(cursor) : `of ${cursor.length} characters`;
}

/**
 * Every page of one kind, or none: a kind the server does not declare is empty, and so is a
 * non-tool kind whose list method is missing (many servers declare resources but implement only
 * list and read: that must not make the whole server unreachable).
 */
export async function listKind<K extends CatalogKind>(client: Client, kind: K, signal: AbortSignal, warn: (message: string) => void): Promise<ListedKinds[K]> {
  const capabilities = (client.getServerCapabilities() ?? {}) as Record<string, unknown>;
  if (!capabilities[LISTS[kind].capability]) return [];
  try {
    return await listPages<ListedKinds[K][number]>(client, kind, signal, warn) as ListedKinds[K];
  } catch (error) {
    if (kind === 'tools' || !(error instanceof McpError) || error.code !== ErrorCode.MethodNotFound) throw error;
    warn(`${LISTS[kind].method} is not implemented by the server (-32601); its ${kind} stay empty`);
    return [];
  }
}

/** Lists the given kinds of an SDK client into catalog entries (`../catalog.ts` over `listKind`). */
export function listCatalog(
  client: Client,
  server: { name: string; tools?: { allow?: string[]; deny?: string[] } | undefined },
  signal: AbortSignal,
  warn: (message: string) => void,
  kinds?: readonly CatalogKind[],
): Promise<Partial<ServerCatalog>> {
  return listEntries({ list: (kind, s, w) => listKind(client, kind, s, w) }, server, signal, warn, kinds);
}
