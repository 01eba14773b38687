import type { PromptInfo, ResourceInfo, ResourceTemplateInfo, ServerCatalog, ToolInfo } from '../../machines/types.js';
import { AmbiguousToolError, SwitchboardError } from '../core/errors.js';
import { distinctQualifiedName, splitQualified } from './naming.js';
import { applyOverrides, hasOverrides, unlistedOriginal, type ToolOverrides } from './renames.js';
import { compileUriTemplate, type MatchBudget, TEMPLATE_LIMITS, type TemplateLimits, type UriTemplateMatcher, uriTemplateProblem } from './uriTemplate.js';

/**
 * Routing (DESIGN §5, §10): a bare tool or prompt name routes when exactly one server has it;
 * `server__name`, a qualified name or `{ server }` always works. Built from every enabled server's
 * last known catalog, so a bare name never silently moves to another server while its owner is
 * down. Two entries whose plain qualified names collide both get a hashed, distinct one, and the
 * plain name itself is ambiguous: a call never lands on whichever server won. A resource uri goes
 * to the server that lists it, or whose template matches it: templates are servers' text, so they
 * are matched by uriTemplateMatch.ts in linear time, never by a regex built from them, and the
 * work of one resolve across every template is capped (`TEMPLATE_LIMITS`).
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

/**
 * How shown names map back to the servers' own (tool renames, `renames.ts`): `originals` of the
 * servers whose catalogs were renamed, by shown name; `unlisted` the rename config of a server
 * whose catalog is not known yet. Defaults to none: shown names are the servers' names.
 */
export interface ShownNames {
  originals?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  unlisted?: (server: string) => Readonly<Record<string, string>> | undefined;
}

/** One server's entries: by shown name, by the server's own name, in listing order. */
interface OwnEntries<T> {
  names: Map<string, T>;
  originals: Map<string, T>;
  entries: T[];
}

/** An index of named entries (tools or prompts) across servers. */
export class NameIndex<T extends Named> {
  private readonly all: T[] = [];
  private readonly byName = new Map<string, T[]>();
  private readonly byQualified = new Map<string, T>();
  /** Plain qualified names shared by several entries, with the entries that share them. */
  private readonly collided = new Map<string, T[]>();
  /** Entries per server, so a call with `{ server }` is checked in O(1) whatever the catalog size. */
  private readonly byServer = new Map<string, OwnEntries<T>>();

  constructor(
    catalogs: Readonly<Record<string, readonly T[]>>,
    private readonly nouns: Nouns,
    private readonly shown: ShownNames = {},
  ) {
    const sharing = new Map<string, number>();
    for (const entries of Object.values(catalogs)) for (const e of entries) sharing.set(e.qualifiedName, (sharing.get(e.qualifiedName) ?? 0) + 1);
    for (const [server, entries] of Object.entries(catalogs)) {
      const own: OwnEntries<T> = { names: new Map(), originals: new Map(), entries: [] };
      const renamed = shown.originals?.get(server);
      this.byServer.set(server, own);
      for (const listed of entries) {
        const shared = sharing.get(listed.qualifiedName)! > 1;
        const entry = shared ? { ...listed, qualifiedName: distinctQualifiedName(listed.server, listed.name) } : listed;
        if (shared) this.collided.set(listed.qualifiedName, [...(this.collided.get(listed.qualifiedName) ?? []), entry]);
        own.names.set(entry.name, entry);
        own.originals.set(renamed?.get(entry.name) ?? entry.name, entry);
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

  /** The entry a route (the server's own name) lands on, when its server listed it. */
  find(route: Route): T | undefined {
    return this.byServer.get(route.server)?.originals.get(route.tool);
  }

  /** The route of a shown entry: its server and the server's own name for it. */
  private routeOf(entry: T): Route {
    return { server: entry.server, tool: this.shown.originals?.get(entry.server)?.get(entry.name) ?? entry.name };
  }

  /**
   * Resolves a name; `hasServer` says whether a server is configured and enabled, `unconnected`
   * which enabled servers are not connected (named when a name is unknown: their catalogs are).
   */
  resolve(name: string, server: string | undefined, hasServer: (server: string) => boolean, unconnected: () => string[] = () => []): Route {
    const { noun } = this.nouns;
    if (server !== undefined) return this.onServer(server, name, hasServer);
    const qualified = this.byQualified.get(name);
    if (qualified) return this.routeOf(qualified);
    const sharers = this.collided.get(name);
    if (sharers) {
      const message = `qualified name "${name}" fits ${noun}s of several servers; use ${sharers.map((t) => `"${t.qualifiedName}"`).join(' or ')}, or { server }`;
      throw this.nouns.ambiguous(name, sharers.map((t) => t.server), message);
    }
    const owners = this.byName.get(name);
    if (owners && owners.length === 1) return this.routeOf(owners[0]!);
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
    // Never listed yet (still connecting, or down since start): admit the call, the server decides
    // (under its own name when the config renames it; a renamed-away name is not callable).
    if (!own) {
      const split = splitQualified(name);
      const bare = split?.server === server ? split.tool : name;
      const original = unlistedOriginal(bare, this.shown.unlisted?.(server));
      if (original === undefined) throw new SwitchboardError(this.nouns.notFound, `server "${server}" has no ${this.nouns.noun} named "${bare}" (tools.rename gives it another name)`);
      return { server, tool: original };
    }
    const entry = own.names.get(name);
    if (entry) return this.routeOf(entry);
    const qualified = this.byQualified.get(name);
    if (qualified?.server === server) return this.routeOf(qualified);
    const split = splitQualified(name);
    const named = split?.server === server ? own.names.get(split.tool) : undefined;
    if (named) return this.routeOf(named);
    throw new SwitchboardError(this.nouns.notFound, `server "${server}" has no ${this.nouns.noun} named "${name}"`);
  }
}

/** The tool index (kept under its own name: embedders and tests use it). */
export class ToolIndex extends NameIndex<ToolInfo> {
  /** `shown`: how renamed tools map back to the servers' names (see `CatalogIndexOptions.tools`). */
  constructor(catalogs: Readonly<Record<string, readonly ToolInfo[]>>, shown: ShownNames = {}) {
    super(catalogs, TOOL_NOUNS, shown);
  }

  tools(): ToolInfo[] {
    return this.entries();
  }

  toolsOf(server: string): ToolInfo[] {
    return this.entriesOf(server);
  }
}

/** Options of a `CatalogIndex`. */
export interface CatalogIndexOptions {
  /** Caps on template routing (default `TEMPLATE_LIMITS`: 1 KiB, 16 expressions, 1 500 000 steps). */
  templateLimits?: Partial<TemplateLimits>;
  /**
   * States of compiled template NFAs kept between reads (default 1 000 000, about 14 MB); past it
   * a template's NFA is rebuilt on each read that gets past its prefilter.
   */
  maxCachedStates?: number;
  /**
   * A server's `tools:` config (its `rename` and `describe`), applied to its listed tools: shown
   * and called by their new names, reaching the server under its own (`renames.ts`). Defaults to
   * none.
   */
  tools?: (server: string) => ToolOverrides | undefined;
}

/** What the last `resolveResource` spent on templates: for tests and diagnostics. */
export interface TemplateWork {
  /** Steps used (see `TemplateLimits.maxSteps`); may pass the budget by one character's worth. */
  steps: number;
  /** Whether the budget ran out before every template was tried. */
  gaveUp: boolean;
}

interface Compiled {
  server: string;
  matcher: UriTemplateMatcher;
  /** Where it was listed, to keep listing order among equals. */
  order: number;
}

/** Everything the facade routes by, built once per catalogs snapshot. */
export class CatalogIndex {
  readonly tools: ToolIndex;
  readonly prompts: NameIndex<PromptInfo>;
  readonly resources: ResourceInfo[] = [];
  readonly templates: ResourceTemplateInfo[] = [];
  /**
   * One warning per server whose templates are not all used for routing (invalid or over the
   * caps): they stay listed, and a read of their uris needs `{ server }`; and one per tool rename
   * that was skipped or names no listed tool (`renames.ts`). Empty when all are used; the owner of
   * the index logs these (routing prints nothing).
   */
  readonly warnings: string[] = [];
  /** What the last `resolveResource` spent on templates (zero when a listed uri or `{ server }` routed it). */
  lastTemplateWork: TemplateWork = { steps: 0, gaveUp: false };
  /** Servers listing each uri, so a read finds its owners without scanning every catalog. */
  private readonly owners = new Map<string, Set<string>>();
  /** Templates used for routing, most specific first: longest literal prefix, then fewest expressions. */
  private readonly matchers: Compiled[] = [];
  private readonly maxSteps: number;

  constructor(catalogs: Readonly<Record<string, ServerCatalog>>, options: CatalogIndexOptions = {}) {
    const limits = { ...TEMPLATE_LIMITS, ...options.templateLimits };
    this.maxSteps = limits.maxSteps;
    const cache = { states: options.maxCachedStates ?? 1_000_000 };
    const tools: Record<string, ToolInfo[]> = {};
    const prompts: Record<string, PromptInfo[]> = {};
    const originals = new Map<string, Map<string, string>>();
    for (const [server, catalog] of Object.entries(catalogs)) {
      const overrides = options.tools?.(server);
      if (hasOverrides(overrides)) {
        const shown = applyOverrides(server, catalog.tools, overrides);
        tools[server] = shown.tools;
        if (shown.originals.size > 0) originals.set(server, shown.originals);
        this.warnings.push(...shown.warnings);
      } else tools[server] = catalog.tools;
      prompts[server] = catalog.prompts;
      for (const resource of catalog.resources) {
        this.resources.push(resource);
        const owners = this.owners.get(resource.uri);
        if (owners) owners.add(resource.server);
        else this.owners.set(resource.uri, new Set([resource.server]));
      }
      const unused = new Map<string, number>();
      for (const template of catalog.templates) {
        this.templates.push(template);
        const problem = uriTemplateProblem(template.uriTemplate, limits);
        const matcher = problem === undefined ? compileUriTemplate(template.uriTemplate, cache) : null;
        if (matcher) this.matchers.push({ server: template.server, matcher, order: this.matchers.length });
        else unused.set(problem ?? 'invalid', (unused.get(problem ?? 'invalid') ?? 0) + 1);
      }
      if (unused.size > 0) {
        const why = [...unused].map(([problem, n]) => `${n} ${problem}`).join(', ');
        this.warnings.push(`server "${server}": resource templates not used for routing (${why}); read their uris with { server }`);
      }
    }
    this.matchers.sort((a, b) => b.matcher.prefix.length - a.matcher.prefix.length || a.matcher.expressions - b.matcher.expressions || a.order - b.order);
    const unlisted = options.tools ? (server: string) => options.tools!(server)?.rename : undefined;
    this.tools = new ToolIndex(tools, { originals, ...(unlisted ? { unlisted } : {}) });
    this.prompts = new NameIndex(prompts, PROMPT_NOUNS);
  }

  /**
   * The server a resource uri goes to: the one listing it, else the one whose template matches.
   * Templates are tried most specific first within one budget of `maxSteps`; when it runs out the
   * read goes to what matched so far, and with no match it is `ResourceNotFound` saying so.
   */
  resolveResource(uri: string, server: string | undefined, hasServer: (server: string) => boolean, unconnected: () => string[] = () => []): Route {
    this.lastTemplateWork = { steps: 0, gaveUp: false };
    if (server !== undefined) {
      if (!hasServer(server)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${server}"`);
      return { server, tool: uri };
    }
    let owners = [...(this.owners.get(uri) ?? [])];
    let gaveUp = false;
    if (owners.length === 0) ({ owners, gaveUp } = this.matchTemplates(uri));
    if (owners.length === 1) return { server: owners[0]!, tool: uri };
    if (owners.length > 1) {
      throw Object.assign(new SwitchboardError('AmbiguousResource', `resource "${uri}" is offered by servers ${owners.map((s) => `"${s}"`).join(' and ')}; pass { server }`), { servers: owners });
    }
    const down = unconnected();
    const why = down.length > 0 ? `; not connected (resources unknown): ${down.map((s) => `"${s}"`).join(', ')}` : '';
    const gave = gaveUp ? `; template matching gave up after ${this.maxSteps} steps (too many or too complex templates), pass { server }` : '';
    throw new SwitchboardError('ResourceNotFound', `no server lists or has a template for resource "${uri}"${why}${gave}`);
  }

  /** The servers with a template matching `uri`, found within the step budget. */
  private matchTemplates(uri: string): { owners: string[]; gaveUp: boolean } {
    const budget: MatchBudget = { steps: this.maxSteps };
    const owners = new Set<string>();
    let gaveUp = false;
    for (let i = 0; i < this.matchers.length; i++) {
      const { server, matcher } = this.matchers[i]!;
      // A server that already matched needs no second template: its others cannot change the answer.
      if (owners.has(server)) continue;
      if (matcher.matches(uri, budget)) owners.add(server);
      else if (budget.steps <= 0) gaveUp = true;
      if (budget.steps <= 0) {
        gaveUp ||= this.matchers.slice(i + 1).some((m) => !owners.has(m.server));
        break;
      }
    }
    this.lastTemplateWork = { steps: this.maxSteps - budget.steps, gaveUp };
    return { owners: [...owners], gaveUp };
  }
}
