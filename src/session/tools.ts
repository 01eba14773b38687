import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ListToolsResultSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolInfo } from '../../machines/types.js';
import { qualifiedName, toolFilter } from '../naming.js';
import { NO_SDK_TIMEOUT } from './connect.js';

/** Pages followed at most, so a server whose cursors never end cannot list forever. */
export const MAX_PAGES = 1_000;

/**
 * Lists every tool of a server, following `nextCursor`. Uses `client.request` rather than
 * `listTools()`: the latter compiles each output schema with Ajv, and one bad schema makes the
 * whole server unlistable (research/sdk-notes.md §5). A cursor seen before (a server looping)
 * or more than MAX_PAGES pages end the listing with what was gathered, and `warn` says why.
 */
export async function listAllTools(client: Client, signal: AbortSignal, warn: (message: string) => void = () => undefined): Promise<Tool[]> {
  if (!client.getServerCapabilities()?.tools) return [];
  const tools: Tool[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    if (page === MAX_PAGES) {
      warn(`tools/list returned more than ${MAX_PAGES} pages; keeping the first ${tools.length} tools`);
      break;
    }
    const result = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ListToolsResultSchema, { signal, timeout: NO_SDK_TIMEOUT });
    tools.push(...result.tools);
    cursor = result.nextCursor;
    if (!cursor) break;
    if (seen.has(cursor)) {
      warn(`tools/list repeated the cursor ${JSON.stringify(cursor.slice(0, 80))} after ${page + 1} pages (a pagination loop); keeping the ${tools.length} tools listed so far`);
      break;
    }
    seen.add(cursor);
  }
  return tools;
}

/** Turns a server's tools into the switchboard's catalog: filtered, with qualified names. */
export function toCatalog(server: string, tools: readonly Tool[], filter: { allow?: string[]; deny?: string[] } | undefined): ToolInfo[] {
  const keep = toolFilter(filter);
  const seen = new Set<string>();
  const catalog: ToolInfo[] = [];
  for (const tool of tools) {
    if (!keep(tool.name) || seen.has(tool.name)) continue;
    seen.add(tool.name);
    const info: ToolInfo = {
      name: tool.name,
      server,
      qualifiedName: qualifiedName(server, tool.name),
      inputSchema: tool.inputSchema as Record<string, unknown>,
    };
    if (tool.description !== undefined) info.description = tool.description;
    if (tool.title !== undefined) info.title = tool.title;
    if (tool.outputSchema !== undefined) info.outputSchema = tool.outputSchema as Record<string, unknown>;
    if (tool.annotations !== undefined) info.annotations = tool.annotations as Record<string, unknown>;
    catalog.push(info);
  }
  return catalog;
}
