import type { CompleteRequest, CompleteResult, GetPromptResult, LoggingLevel, ReadResourceResult } from '../protocol/index.js';
import type { PromptInfo, ResourceInfo, ResourceTemplateInfo, ServerFacts } from '../../machines/types.js';
import type { CallKind } from '../calls/index.js';
import { argumentsProblem } from '../calls/index.js';
import { capResult } from '../calls/resultCap.js';
import { SwitchboardError } from '../core/errors.js';
import type { CatalogIndex, Route } from '../routing/index.js';

/**
 * The MCP client surface beyond tools (DESIGN §10): resources, templates, subscriptions, prompts,
 * completion and logging. Every request goes through the same path as a tool call (routing,
 * admission with breaker, backpressure, deadline and cancellation, `call.completed` with a kind):
 * this module only routes and shapes requests, the facade's `request` runs them.
 */

/** Per-request options of the surface's methods. */
export interface RequestOptions {
  /** Route to this server; needed when a name or uri is on several servers. */
  server?: string | undefined;
  /** Deadline for waiting, queueing and the request. Defaults to the server's `timeouts.callMs`. */
  timeoutMs?: number | undefined;
  /** Aborting it rejects with `Cancelled` and sends `notifications/cancelled`. */
  signal?: AbortSignal | undefined;
  /** Passed to the server as `_meta`. */
  meta?: Record<string, unknown> | undefined;
  /**
   * HTTP headers for this call's request only (http and sse servers; on another server the call
   * fails with `InvalidRequest` before anything is sent). Not on `initialize`, lists or other
   * calls. Names must be HTTP tokens, not ones the transport owns (`Content-Type`, `Host`,
   * `Mcp-Session-Id`, `Mcp-Protocol-Version`, hop-by-hop…) nor ones the server's config sets
   * (its `headers`, or `Authorization` under `auth`): configured credentials always win. Values
   * are secrets: masked in errors, events and logs. Defaults to none.
   */
  headers?: Record<string, string> | undefined;
  /**
   * A label for where this call comes from, carried in its `call.completed` event as `source` (the
   * admin API's live view sends `live-view`). Not sent to the server. Defaults to none (no `source` key).
   */
  source?: string | undefined;
}

/** A server's cap on a result's characters (`limits.maxResultChars`, DESIGN §17); 0 = off. */
export type ResultCap = (server: string) => number;

const NO_CAP: ResultCap = () => 0;

/** One request for the facade to admit and send. */
export interface RequestSpec {
  kind: CallKind;
  /** What it is about, for events and messages (a uri, a prompt name, a level). */
  name: string;
  method: string;
  params: Record<string, unknown>;
  readOnly: boolean;
}

/** What the surface needs from the facade. */
export interface SurfaceHost {
  index(): CatalogIndex;
  isEnabled(server: string): boolean;
  unconnected(): string[];
  facts(server: string): ServerFacts | null;
  /** Enabled servers that are connected now. */
  connected(): string[];
  maxMessageBytes(server: string): number;
  request<T>(server: string, spec: RequestSpec, options: RequestOptions): Promise<T>;
  /** The subscriptions of a server's record (a reconnect re-sends them); undefined once it is removed. */
  subscriptionsOf(server: string): ServerSubscriptions | undefined;
}

/** A server's resource subscriptions, as its record keeps them (removing the server drops them). */
export interface ServerSubscriptions {
  /** Subscribed uris with subscriber counts. */
  readonly subscriptions: Map<string, number>;
  /** Subscribes in flight by uri, so that simultaneous subscribers wait on one. */
  readonly subscribing: Map<string, Promise<unknown>>;
}

/** The capability a method needs (checked when the server's capabilities are known). */
const CAPABILITY: Record<string, string> = {
  'resources/read': 'resources',
  'resources/subscribe': 'resources',
  'resources/unsubscribe': 'resources',
  'prompts/get': 'prompts',
  'completion/complete': 'completions',
  'logging/setLevel': 'logging',
};

export class ClientSurface {
  constructor(private readonly host: SurfaceHost) {}

  listResources(server?: string): ResourceInfo[] {
    const all = this.host.index().resources;
    return server === undefined ? [...all] : all.filter((r) => r.server === server);
  }

  listResourceTemplates(server?: string): ResourceTemplateInfo[] {
    const all = this.host.index().templates;
    return server === undefined ? [...all] : all.filter((t) => t.server === server);
  }

  listPrompts(server?: string): PromptInfo[] {
    const prompts = this.host.index().prompts;
    return server === undefined ? prompts.entries() : prompts.entriesOf(server);
  }

  /** Reads a resource; its text is capped at `maxChars(server)` of the server it routes to (0 = off). */
  readResource(uri: string, options: RequestOptions = {}, maxChars: ResultCap = NO_CAP): Promise<ReadResourceResult> {
    const spec = (route: Route): RequestSpec => ({ kind: 'resource', name: uri, method: 'resources/read', params: { uri: route.tool }, readOnly: true });
    return this.send<ReadResourceResult>(() => this.resourceRoute(uri, options), spec, options, undefined, undefined, maxChars);
  }

  /** Gets a prompt; its message texts are capped at `maxChars(server)` of the server it routes to (0 = off). */
  getPrompt(name: string, args: Record<string, string> = {}, options: RequestOptions = {}, maxChars: ResultCap = NO_CAP): Promise<GetPromptResult> {
    const route = () => this.host.index().prompts.resolve(name, options.server, (s) => this.host.isEnabled(s), () => this.host.unconnected());
    const spec = (r: Route): RequestSpec => ({ kind: 'prompt', name: r.tool, method: 'prompts/get', params: { name: r.tool, arguments: args }, readOnly: true });
    return this.send<GetPromptResult>(route, spec, options, args, undefined, maxChars);
  }

  complete(params: CompleteRequest['params'], options: RequestOptions = {}): Promise<CompleteResult> {
    const enabled = (s: string) => this.host.isEnabled(s);
    const route = (): Route => {
      // A prompt reference routes like getPrompt (bare, qualified or with { server }).
      if (params.ref.type === 'ref/prompt') return this.host.index().prompts.resolve(params.ref.name, options.server, enabled, () => this.host.unconnected());
      return this.resourceRoute(params.ref.uri, options);
    };
    const label = params.ref.type === 'ref/prompt' ? params.ref.name : params.ref.uri;
    return this.send<CompleteResult>(route, (r) => {
      const ref = params.ref.type === 'ref/prompt' ? { ...params.ref, name: r.tool } : params.ref;
      return { kind: 'completion', name: label, method: 'completion/complete', params: { ...params, ref }, readOnly: true };
    }, options);
  }

  /**
   * `logging/setLevel` on one server, or on every connected server that declares logging and has
   * the method (a modern server has none, DESIGN §15: skipped like one without logging; named, it
   * is `NotSupported`).
   */
  async setLogLevel(level: LoggingLevel, options: RequestOptions = {}): Promise<void> {
    const canSetLevel = (s: string) => {
      const facts = this.host.facts(s);
      return facts?.capabilities?.logging !== undefined && facts.era !== 'modern';
    };
    const servers = options.server !== undefined ? [options.server] : this.host.connected().filter(canSetLevel);
    const spec = (): RequestSpec => ({ kind: 'logging', name: level, method: 'logging/setLevel', params: { level }, readOnly: true });
    const results = await Promise.allSettled(servers.map((server) => this.send(() => this.serverRoute(server, level), spec, { ...options, server })));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Subscribes to a resource; `resource.updated` events follow. Returns the unsubscribe function. */
  async subscribeResource(uri: string, options: RequestOptions = {}): Promise<() => Promise<void>> {
    const route = this.resourceRoute(uri, options);
    const spec = (method: string) => (): RequestSpec => ({ kind: 'subscription', name: uri, method, params: { uri }, readOnly: true });
    const record = this.host.subscriptionsOf(route.server);
    if (!record) throw new SwitchboardError('ServerNotFound', `no enabled server named "${route.server}"`);
    // Counted before any await: subscribers arriving together share one subscribe. The counts live
    // in the server's record, so removing the server drops them (a new server of that name starts clean).
    const { subscriptions: counts, subscribing } = record;
    const first = !counts.has(uri);
    counts.set(uri, (counts.get(uri) ?? 0) + 1);
    let sending = subscribing.get(uri);
    if (first) {
      const own = this.send<unknown>(() => route, spec('resources/subscribe'), options, undefined, 'subscribe');
      sending = own;
      subscribing.set(uri, own);
      const done = () => {
        if (subscribing.get(uri) === own) subscribing.delete(uri);
      };
      void own.then(done, done);
    }
    const release = () => {
      const left = (counts.get(uri) ?? 1) - 1;
      if (left > 0) counts.set(uri, left);
      else counts.delete(uri);
      return left;
    };
    try {
      await sending;
    } catch (error) {
      release();
      throw error;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      // The server was removed (maybe added again under its name): this subscription died with its record.
      if (this.host.subscriptionsOf(route.server) !== record) return;
      if (release() > 0) return;
      if (this.host.connected().includes(route.server)) await this.send(() => route, spec('resources/unsubscribe'), { ...options, server: route.server }, undefined, 'subscribe');
    };
  }

  private resourceRoute(uri: string, options: RequestOptions): Route {
    return this.host.index().resolveResource(uri, options.server, (s) => this.host.isEnabled(s), () => this.host.unconnected());
  }

  private serverRoute(server: string, name: string): Route {
    if (!this.host.isEnabled(server)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${server}"`);
    return { server, tool: name };
  }

  /** Routes, checks the capability and the input, then hands the request to the facade. */
  private send<T>(route: () => Route, spec: (route: Route) => RequestSpec, options: RequestOptions, input?: unknown, feature?: 'subscribe', maxChars: ResultCap = NO_CAP): Promise<T> {
    let target: Route;
    let request: RequestSpec;
    let limit: number;
    try {
      // With { server }, a missing capability is the answer, whatever the name: check it first.
      if (options.server !== undefined) this.checkCapability(options.server, spec({ server: options.server, tool: '' }).method, feature);
      target = route();
      request = spec(target);
      this.checkCapability(target.server, request.method, feature);
      const problem = input === undefined ? null : argumentsProblem(input, this.host.maxMessageBytes(target.server));
      if (problem) throw problem;
      if (options.meta) request.params = { ...request.params, _meta: options.meta };
      limit = maxChars(target.server);
    } catch (error) {
      return Promise.reject(error);
    }
    const sent = this.host.request<T>(target.server, request, options);
    return limit > 0 ? sent.then((result) => capResult(result, limit)) : sent;
  }

  /** Throws NotSupported when the server's known capabilities lack what `method` needs. */
  private checkCapability(server: string, method: string, feature: 'subscribe' | undefined): void {
    const needed = CAPABILITY[method];
    const capabilities = this.host.facts(server)?.capabilities;
    if (!needed || !capabilities) return;
    const offered = capabilities[needed] as Record<string, unknown> | undefined;
    if (offered === undefined) throw new SwitchboardError('NotSupported', `server "${server}" does not offer ${needed} (${method})`);
    if (feature === 'subscribe' && !offered.subscribe) throw new SwitchboardError('NotSupported', `server "${server}" does not offer resource subscriptions (${method})`);
  }
}
