import type { PromptInfo, ResourceInfo, ResourceTemplateInfo, ServerCatalog, ToolInfo } from '../machines/types.js';
import { AmbiguousToolError, SwitchboardError } from './errors.js';
import { distinctQualifiedName, splitQualified } from './naming.js';
import { compileUriTemplate, type UriTemplateMatcher } from './uriTemplateMatch.js';

/**
 * Routing (DESIGN §5, §10): a bare tool or prompt name routes when exactly one server has it;
 * `server__name`, a qualified name or `{ server }` always works. Built from every enabled server's
 * last known catalog, so a bare name never silently moves to another server while its owner is
 * down. Two entries whose plain qualified names collide both get a hashed, distinct one, and the
 * plain name itself is ambiguous: a call never lands on whichever server won. A resource uri goes
 * to the server that lists it, or whose template matches it: templates are servers' text, so they
 * are matched by uriTemplateMatch.ts in linear time, never by a regex built from them.
 */

/** Where a call goes. */
export interface Route {
  server: string;
  /** The name (or uri) as the server knows it. */
  tool: string;
}

type Named = { name: string; server: string; qualifiedName: string };

/** What differs between the tool and the prompt index: the noun and the error codes. */
interface Nouns {
  noun: 'tool' | 'prompt';
  notFound: 'ToolNotFound' | 'PromptNotFound';
  ambiguous: (name: string, servers: string[], message?: string) => SwitchboardError;
}

const TOOL_NOUNS: Nouns = { noun: 'tool', notFound: 'ToolNotFound', ambiguous: (name, servers, message) => new AmbiguousToolError(name, servers, message) };
const PROMPT_NOUNS: Nouns = {
  noun: 'prompt',
  notFound: 'PromptNotFound',
  ambiguous: (name, servers, message) =>
    Object.assign(new SwitchboardError('AmbiguousPrompt', message ?? `prompt "${name}" exists on servers ${servers.map((s) => `"${s}"`).join(' and ')}; use "<server>__${name}" or { server }`), { servers }),
};

/** An index of named entries (tools or prompts) across servers. */
export class NameIndex<T extends Named> {
  private readonly all: T[] = [];
  private readonly byName = new Map<string, T[]>();
  private readonly byQualified = new Map<string, T>();
  /** Plain qualified names shared by several entries, with the entries that share them. */
  private readonly collided = new Map<string, T[]>();
  /** Entries per server, so a call with `{ server }` is checked in O(1) whatever the catalog size. */
  private readonly byServer = new Map<string, { names: Map<string, T>; entries: T[] }>();

  constructor(
    catalogs: Readonly<Record<string, readonly T[]>>,
    private readonly nouns: Nouns,
  ) {
    const sharing = new Map<string, number>();
    for (const entries of Object.values(catalogs)) for (const e of entries) sharing.set(e.qualifiedName, (sharing.get(e.qualifiedName) ?? 0) + 1);
    for (const [server, entries] of Object.entries(catalogs)) {
      const own = { names: new Map<string, T>(), entries: [] as T[] };
      this.byServer.set(server, own);
      for (const listed of entries) {
        const shared = sharing.get(listed.qualifiedName)! > 1;
        const entry = shared ? { ...listed, qualifiedName: distinctQualifiedName(listed.server, listed.name) } : listed;
        if (shared) this.collided.set(listed.qualifiedName, [...(this.collided.get(listed.qualifiedName) ?? []), entry]);
        own.names.set(entry.name, entry);
        own.entries.push(entry);
        this.all.push(entry);
        const list = this.byName.get(entry.name);
        if (list) list.push(entry);
        else this.byName.set(entry.name, [entry]);
        this.byQualified.set(entry.qualifiedName, entry);
      }
    }
  }

  /** Every entry, with its final (collision-free) qualified name. */
  entries(): T[] {
    return [...this.all];
  }

  /** One server's entries (none for an unknown server). */
  entriesOf(server: string): T[] {
    return [...(this.byServer.get(server)?.entries ?? [])];
  }

  /** The entry a route lands on, when its server listed it. */
  find(route: Route): T | undefined {
    return this.byServer.get(route.server)?.names.get(route.tool);
  }

  /**
   * Resolves a name; `hasServer` says whether a server is configured and enabled, `unconnected`
   * which enabled servers are not connected (named when a name is unknown: their catalogs are).
   */
  resolve(name: string, server: string | undefined, hasServer: (server: string) => boolean, unconnected: () => string[] = () => []): Route {
    const { noun } = this.nouns;
    if (server !== undefined) return this.onServer(server, name, hasServer);
    const qualified = this.byQualified.get(name);
    if (qualified) return { server: qualified.server, tool: qualified.name };
    const sharers = this.collided.get(name);
    if (sharers) {
      const message = `qualified name "${name}" fits ${noun}s of several servers; use ${sharers.map((t) => `"${t.qualifiedName}"`).join(' or ')}, or { server }`;
      throw this.nouns.ambiguous(name, sharers.map((t) => t.server), message);
    }
    const owners = this.byName.get(name);
    if (owners && owners.length === 1) return { server: owners[0]!.server, tool: name };
    if (owners && owners.length > 1) throw this.nouns.ambiguous(name, owners.map((t) => t.server));
    const split = splitQualified(name);
    if (split && hasServer(split.server)) return this.onServer(split.server, split.tool, hasServer);
    const down = unconnected();
    const why = down.length > 0 ? `; not connected (${noun}s unknown): ${down.map((s) => `"${s}"`).join(', ')}` : '';
    throw new SwitchboardError(this.nouns.notFound, `no server has a ${noun} named "${name}"${why}`);
  }

  private onServer(server: string, name: string, hasServer: (server: string) => boolean): Route {
    if (!hasServer(server)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${server}"`);
    const own = this.byServer.get(server);
    // Never listed yet (still connecting, or down since start): admit the call, the server decides.
    if (!own) return { server, tool: name };
    if (own.names.has(name)) return { server, tool: name };
    const qualified = this.byQualified.get(name);
    if (qualified?.server === server) return { server, tool: qualified.name };
    const split = splitQualified(name);
    if (split?.server === server && own.names.has(split.tool)) return { server, tool: split.tool };
    throw new SwitchboardError(this.nouns.notFound, `server "${server}" has no ${this.nouns.noun} named "${name}"`);
  }
}

/** The tool index (kept under its own name: embedders and tests use it). */
export class ToolIndex extends NameIndex<ToolInfo> {
  constructor(catalogs: Readonly<Record<string, readonly ToolInfo[]>>) {
    super(catalogs, TOOL_NOUNS);
  }

  tools(): ToolInfo[] {
    return this.entries();
  }

  toolsOf(server: string): ToolInfo[] {
    return this.entriesOf(server);
  }
}

/** Everything the facade routes by, built once per catalogs snapshot. */
export class CatalogIndex {
  readonly tools: ToolIndex;
  readonly prompts: NameIndex<PromptInfo>;
  readonly resources: ResourceInfo[] = [];
  readonly templates: ResourceTemplateInfo[] = [];
  /** Servers listing each uri, so a read finds its owners without scanning every catalog. */
  private readonly owners = new Map<string, Set<string>>();
  private readonly matchers: { template: ResourceTemplateInfo; matcher: UriTemplateMatcher | null }[] = [];

  constructor(catalogs: Readonly<Record<string, ServerCatalog>>) {
    const tools: Record<string, ToolInfo[]> = {};
    const prompts: Record<string, PromptInfo[]> = {};
    for (const [server, catalog] of Object.entries(catalogs)) {
      tools[server] = catalog.tools;
      prompts[server] = catalog.prompts;
      for (const resource of catalog.resources) {
        this.resources.push(resource);
        const owners = this.owners.get(resource.uri);
        if (owners) owners.add(resource.server);
        else this.owners.set(resource.uri, new Set([resource.server]));
      }
      for (const template of catalog.templates) {
        this.templates.push(template);
        this.matchers.push({ template, matcher: compileUriTemplate(template.uriTemplate) });
      }
    }
    this.tools = new ToolIndex(tools);
    this.prompts = new NameIndex(prompts, PROMPT_NOUNS);
  }

  /** The server a resource uri goes to: the one listing it, else the one whose template matches. */
  resolveResource(uri: string, server: string | undefined, hasServer: (server: string) => boolean, unconnected: () => string[] = () => []): Route {
    if (server !== undefined) {
      if (!hasServer(server)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${server}"`);
      return { server, tool: uri };
    }
    let owners = [...(this.owners.get(uri) ?? [])];
    if (owners.length === 0) owners = [...new Set(this.matchers.filter((m) => m.matcher?.matches(uri)).map((m) => m.template.server))];
    if (owners.length === 1) return { server: owners[0]!, tool: uri };
    if (owners.length > 1) {
      throw Object.assign(new SwitchboardError('AmbiguousResource', `resource "${uri}" is offered by servers ${owners.map((s) => `"${s}"`).join(' and ')}; pass { server }`), { servers: owners });
    }
    const down = unconnected();
    const why = down.length > 0 ? `; not connected (resources unknown): ${down.map((s) => `"${s}"`).join(', ')}` : '';
    throw new SwitchboardError('ResourceNotFound', `no server lists or has a template for resource "${uri}"${why}`);
  }
}
