import type { Prompt, Resource, ResourceTemplateType as ResourceTemplate, Tool } from '@modelcontextprotocol/server';
import type { PromptInfo, ResourceInfo, ResourceTemplateInfo, ServerCatalog, ToolInfo } from '../../machines/types.js';
import { SwitchboardError } from '../core/errors.js';
import { CatalogIndex } from '../routing/index.js';
import type { Switchboard } from '../switchboard/switchboard.js';

/**
 * What the gateway lists and looks names up in, built once per catalog change (DESIGN §12): a
 * call used to rebuild and filter the whole aggregated tool list to find one tool (11 ms a call
 * beside a 10 000-tool server). Each kind is built on first use after its `*.changed` event (or a
 * new tool filter) and shared by every session until the next one; a call is a map lookup. A
 * catalog has a scope (`profiles.ts`): every server, or a profile's servers and tools.
 */

/** What a catalog shows. */
export interface CatalogScope {
  /** Whether a server's tools, prompts, resources and templates are shown. */
  server(name: string): boolean;
  /** Whether a tool of a shown server is exposed, by its qualified name. */
  tool(qualifiedName: string): boolean;
  /** True for a subset of servers (a profile): resources are then routed among its servers only. */
  readonly scoped: boolean;
}

/** The catalog kinds the gateway caches, by the event that invalidates them. */
export type CatalogPart = 'tools' | 'prompts' | 'resources';

interface ToolCache {
  byName: Map<string, ToolInfo>;
  list: Tool[];
}

interface PromptCache {
  byName: Map<string, PromptInfo>;
  list: Prompt[];
}

interface ResourceCache {
  list: Resource[];
  templates: ResourceTemplate[];
  /** The one server listing each uri; null when several do (the switchboard routes those). */
  owners: Map<string, string | null>;
  /** A scoped catalog's routing of uris among its servers (listed uris and templates); built on first use. */
  index: CatalogIndex | undefined;
  /** A scoped catalog's resources and templates by server, for `index`. */
  byServer: Record<string, ServerCatalog>;
}

/** The gateway's view of the switchboard's catalogs. */
export class GatewayCatalog {
  private tools: ToolCache | undefined;
  private prompts: PromptCache | undefined;
  private resources: ResourceCache | undefined;

  constructor(
    private readonly sb: Switchboard,
    private readonly scope: CatalogScope,
  ) {}

  /** Forgets one kind; it is rebuilt when next used. */
  invalidate(part: CatalogPart): void {
    this[part] = undefined;
  }

  /** The exposed tool of a qualified name. */
  tool(name: string): ToolInfo | undefined {
    return this.toolCache().byName.get(name);
  }

  toolList(): Tool[] {
    return this.toolCache().list;
  }

  prompt(name: string): PromptInfo | undefined {
    return this.promptCache().byName.get(name);
  }

  promptList(): Prompt[] {
    return this.promptCache().list;
  }

  resourceList(): Resource[] {
    return this.resourceCache().list;
  }

  templateList(): ResourceTemplate[] {
    return this.resourceCache().templates;
  }

  /** The server that lists `uri` when exactly one does. */
  resourceOwner(uri: string): string | undefined {
    return this.resourceCache().owners.get(uri) ?? undefined;
  }

  /**
   * The server a scoped catalog reads `uri` from: the one of its servers that lists it or whose
   * template matches it; undefined when unscoped (the switchboard routes). Throws
   * `ResourceNotFound` or `AmbiguousResource` as the switchboard would.
   */
  resourceServer(uri: string): string | undefined {
    if (!this.scope.scoped) return undefined;
    const cache = this.resourceCache();
    cache.index ??= new CatalogIndex(cache.byServer);
    return cache.index.resolveResource(uri, undefined, () => true).server;
  }

  /** The server of a resource template in a scoped catalog (`completion/complete`); undefined when unscoped. */
  templateServer(uriTemplate: string): string | undefined {
    if (!this.scope.scoped) return undefined;
    const owners = Object.entries(this.resourceCache().byServer)
      .filter(([, catalog]) => catalog.templates.some((t) => t.uriTemplate === uriTemplate))
      .map(([server]) => server);
    if (owners.length === 1) return owners[0];
    if (owners.length === 0) throw new SwitchboardError('ResourceNotFound', `no server offers the resource template "${uriTemplate}"`);
    throw Object.assign(new SwitchboardError('AmbiguousResource', `resource template "${uriTemplate}" is offered by servers ${owners.map((s) => `"${s}"`).join(' and ')}; pass a uri of one`), { servers: owners });
  }

  private toolCache(): ToolCache {
    if (this.tools) return this.tools;
    const byName = new Map<string, ToolInfo>();
    const list: Tool[] = [];
    for (const info of this.sb.listTools()) {
      if (!this.scope.server(info.server) || !this.scope.tool(info.qualifiedName) || byName.has(info.qualifiedName)) continue;
      byName.set(info.qualifiedName, info);
      list.push(toTool(info));
    }
    return (this.tools = { byName, list });
  }

  private promptCache(): PromptCache {
    if (this.prompts) return this.prompts;
    const byName = new Map<string, PromptInfo>();
    const list: Prompt[] = [];
    for (const info of this.sb.listPrompts()) {
      if (!this.scope.server(info.server)) continue;
      list.push(toPrompt(info));
      if (!byName.has(info.qualifiedName)) byName.set(info.qualifiedName, info);
    }
    return (this.prompts = { byName, list });
  }

  private resourceCache(): ResourceCache {
    if (this.resources) return this.resources;
    const owners = new Map<string, string | null>();
    const list: Resource[] = [];
    const byServer: Record<string, ServerCatalog> = {};
    const catalogOf = (server: string) => (byServer[server] ??= { tools: [], prompts: [], resources: [], templates: [] });
    for (const info of this.sb.listResources()) {
      if (!this.scope.server(info.server)) continue;
      list.push(withoutServer(info) as Resource);
      const owner = owners.get(info.uri);
      owners.set(info.uri, owner === undefined || owner === info.server ? info.server : null);
      if (this.scope.scoped) catalogOf(info.server).resources.push(info);
    }
    const templates: ResourceTemplate[] = [];
    for (const info of this.sb.listResourceTemplates()) {
      if (!this.scope.server(info.server)) continue;
      templates.push(withoutServer(info) as ResourceTemplate);
      if (this.scope.scoped) catalogOf(info.server).templates.push(info);
    }
    return (this.resources = { list, templates, owners, index: undefined, byServer });
  }
}

function toTool(info: ToolInfo): Tool {
  const tool: Tool = { name: info.qualifiedName, inputSchema: info.inputSchema as Tool['inputSchema'] };
  if (info.title !== undefined) tool.title = info.title;
  if (info.description !== undefined) tool.description = info.description;
  if (info.outputSchema !== undefined) tool.outputSchema = info.outputSchema as Tool['outputSchema'];
  if (info.annotations !== undefined) tool.annotations = info.annotations;
  if (info._meta !== undefined) tool._meta = info._meta;
  return tool;
}

function toPrompt(info: PromptInfo): Prompt {
  const prompt: Prompt = { name: info.qualifiedName };
  if (info.title !== undefined) prompt.title = info.title;
  if (info.description !== undefined) prompt.description = info.description;
  if (info.arguments !== undefined) prompt.arguments = info.arguments;
  return prompt;
}

/** The server's listing without the switchboard's `server` field. */
function withoutServer<T extends ResourceInfo | ResourceTemplateInfo>(info: T): Omit<T, 'server'> {
  const { server: _server, ...rest } = info;
  return rest;
}
