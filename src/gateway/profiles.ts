import type { Tool } from '@modelcontextprotocol/server';
import type { GatewayProfile } from '../config/index.js';
import { toolFilter } from '../routing/index.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import { GatewayCatalog, type CatalogPart } from './catalog.js';
import type { ListenFollows } from './follows.js';
import { searchModeList, type CatalogMode } from './searchMode.js';

/**
 * Gateway profiles (DESIGN §18): `gateway.profiles.<name>: { servers?, tools? }` gives each host
 * its own subset, served at `/mcp/<name>` and by `switchboard gateway --profile <name>`. A
 * session of a profile sees only its servers' tools, prompts, resources and templates, the tools
 * further filtered by the profile's globs on qualified names (after `gateway.tools`); anything
 * outside is unknown to it: a call is refused as an unknown tool, a read or subscription of a uri
 * no server of the profile offers is "resource not found". The profile is read from the
 * switchboard's config in force, so a reload applies to the next list; a profile the config no
 * longer has shows nothing.
 */

/** What one downstream session sees: every server (`profile` undefined), or one profile's subset. */
export class GatewayView {
  /** The catalog of this view, shared by its sessions and rebuilt when it changes. */
  readonly catalog: GatewayCatalog;
  /** The uris the modern HTTP listen streams of this view follow (`Gateway.follow`); stdio connections keep their own. */
  readonly follows: ListenFollows;
  /** The search-mode list last built, with what it was built from. */
  private searchList: { full: readonly Tool[]; pinned: string; list: Tool[] } | undefined;
  /** The profile definition the filters below were compiled from (a reload replaces it). */
  private compiled: { of: GatewayProfile | undefined; servers: ReadonlySet<string> | null; tools: (name: string) => boolean } | undefined;

  /**
   * @param exposes the gateway's own tool filter (`gateway.tools`), on qualified names.
   * @param newFollows makes the follows of listen streams that subscribe through this view.
   */
  constructor(
    private readonly sb: Switchboard,
    readonly profile: string | undefined,
    private readonly exposes: (qualifiedName: string) => boolean,
    newFollows: (view: GatewayView) => ListenFollows,
  ) {
    this.follows = newFollows(this);
    this.catalog = new GatewayCatalog(sb, {
      server: (name) => this.hasServer(name),
      tool: (name) => this.showsTool(name),
      scoped: profile !== undefined,
    });
  }

  /** The profile's definition in the config in force; undefined for the unscoped view and for a profile no longer configured. */
  definition(): GatewayProfile | undefined {
    if (this.profile === undefined) return undefined;
    const profiles = this.sb.gatewayConfig.profiles ?? {};
    return Object.hasOwn(profiles, this.profile) ? profiles[this.profile] : undefined;
  }

  /** Whether this view is a profile that the config in force no longer has. */
  get gone(): boolean {
    return this.profile !== undefined && this.definition() === undefined;
  }

  /** How this view lists tools: the profile's `catalog`/`pinned`, else the gateway's (read per list: a reload applies). */
  catalogMode(): CatalogMode {
    const own = this.definition();
    const gateway = this.sb.gatewayConfig;
    return { mode: own?.catalog ?? gateway?.catalog ?? 'full', pinned: own?.pinned ?? gateway?.pinned ?? [] };
  }

  /** What `tools/list` answers: every exposed tool, or in search mode the gateway's two and the pinned ones. */
  listTools(): Tool[] {
    const full = this.catalog.toolList();
    const { mode, pinned } = this.catalogMode();
    if (mode === 'full') return full;
    const key = pinned.join('\u0000');
    if (this.searchList?.full !== full || this.searchList.pinned !== key) this.searchList = { full, pinned: key, list: searchModeList(full, pinned) };
    return this.searchList.list;
  }

  /** Whether the server's entries are in this view. */
  hasServer(name: string): boolean {
    if (this.profile === undefined) return true;
    if (this.gone) return false;
    const servers = this.filters().servers;
    return servers === null || servers.has(name);
  }

  /** Whether a tool of one of its servers would be shown under `qualifiedName` (the gateway's and the profile's tool globs). */
  showsTool(qualifiedName: string): boolean {
    return this.exposes(qualifiedName) && this.filters().tools(qualifiedName);
  }

  /** Subscribes upstream to a uri this view offers (`resources/subscribe`, a listen stream's `resourceSubscriptions`). */
  subscribe(uri: string, options: { signal?: AbortSignal } = {}): Promise<() => Promise<void>> {
    let server: string | undefined;
    try {
      server = this.catalog.resourceServer(uri);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.sb.subscribeResource(uri, server === undefined ? options : { ...options, server });
  }

  /** The profile's server set (null: every server) and tool filter, compiled once per definition. */
  private filters(): { servers: ReadonlySet<string> | null; tools: (name: string) => boolean } {
    const of = this.definition();
    if (this.compiled?.of !== of || this.compiled === undefined) {
      this.compiled = { of, servers: of?.servers ? new Set(of.servers) : null, tools: toolFilter(of?.tools) };
    }
    return this.compiled;
  }
}

/** The views of one gateway, by profile, each made on first use; tells which ones a reload changed. */
export class GatewayViews {
  /** Key '' is the unscoped view. A view whose profile a reload removed stays, empty. */
  private readonly views = new Map<string, GatewayView>();
  /** The profiles of the config in force as JSON, to tell which ones a reload changed. */
  private texts: Map<string, string>;

  constructor(
    private readonly sb: Switchboard,
    private readonly exposes: (qualifiedName: string) => boolean,
    private readonly newFollows: (view: GatewayView) => ListenFollows,
  ) {
    this.texts = this.snapshot();
  }

  /** The names of the profiles the config in force has. */
  names(): string[] {
    return Object.keys(this.sb.gatewayConfig?.profiles ?? {});
  }

  /** The view of `profile` (undefined: every server); a profile the config does not have throws, so no session opens on one. */
  get(profile: string | undefined): GatewayView {
    const key = profile ?? '';
    const known = this.views.get(key);
    if (known) return known;
    if (profile !== undefined && !this.names().includes(profile)) {
      throw new Error(`no gateway profile named "${profile}" (gateway.profiles has ${this.names().map((p) => `"${p}"`).join(', ') || 'none'})`);
    }
    const view = new GatewayView(this.sb, profile, this.exposes, this.newFollows);
    this.views.set(key, view);
    return view;
  }

  /** Every view made so far. */
  all(): IterableIterator<GatewayView> {
    return this.views.values();
  }

  /** Forgets one kind in every view's catalog. */
  invalidate(part: CatalogPart): void {
    for (const view of this.views.values()) view.catalog.invalidate(part);
  }

  /** After a reload: the views whose profile changed or went, their catalogs forgotten. */
  reloaded(): GatewayView[] {
    const next = this.snapshot();
    const changed = [...this.views.values()].filter((view) => view.profile !== undefined && this.texts.get(view.profile) !== next.get(view.profile));
    for (const view of changed) for (const part of ['tools', 'prompts', 'resources'] as const) view.catalog.invalidate(part);
    this.texts = next;
    return changed;
  }

  private snapshot(): Map<string, string> {
    return new Map(Object.entries(this.sb.gatewayConfig?.profiles ?? {}).map(([name, profile]) => [name, JSON.stringify(profile)]));
  }
}
