import type { CatalogKind, PromptInfo, ResourceInfo, ResourceTemplateInfo, ServerCatalog, ToolInfo } from '../../machines/types.js';
import { qualifiedName, toolFilter } from '../routing/index.js';
import type { ListedKinds, ProtocolSession } from './session.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from './types.js';

/**
 * A server's catalog as the switchboard keeps it, whatever the era: each kind listed through the
 * session (every page, bounded: `ProtocolSession.list`), then filtered (`tools.allow`/`deny`),
 * deduplicated and given qualified names.
 */

/** Pages followed at most, so a server whose cursors never end cannot list forever. */
export const MAX_PAGES = 1_000;

/** Lists the given kinds (every kind, by default; undeclared ones are empty) and turns them into catalog entries. */
export async function listCatalog(
  session: Pick<ProtocolSession, 'list'>,
  server: { name: string; tools?: { allow?: string[]; deny?: string[] } | undefined },
  signal: AbortSignal,
  warn: (message: string) => void,
  kinds: readonly CatalogKind[] = ['tools', 'resources', 'templates', 'prompts'],
): Promise<Partial<ServerCatalog>> {
  const catalog: Partial<ServerCatalog> = {};
  for (const kind of kinds) {
    const listed = (await session.list(kind, signal, warn)) as ListedKinds[typeof kind];
    if (kind === 'tools') catalog.tools = toolEntries(server.name, listed as Tool[], server.tools);
    else if (kind === 'resources') catalog.resources = dedupe((listed as Resource[]).map((r) => resourceEntry(server.name, r)), (r) => r.uri);
    else if (kind === 'templates') catalog.templates = dedupe((listed as ResourceTemplate[]).map((t) => templateEntry(server.name, t)), (t) => t.uriTemplate);
    else catalog.prompts = dedupe((listed as Prompt[]).map((p) => promptEntry(server.name, p)), (p) => p.name);
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
