/**
 * Plain-JSON types shared by the machines and the runtime. Nothing here may hold a function,
 * an Error or an SDK object: the Stately inspector serializes everything the machines carry.
 */

/** JSON form of an error, used in machine context, events and HTTP bodies. */
export interface ErrorInfo {
  code: string;
  message: string;
  /** Whether a new connect attempt can help (false for ENOENT, 401, bad protocol version…). */
  retryable?: boolean;
  /** Server-suggested wait (HTTP Retry-After), in ms. */
  retryAfterMs?: number;
}

/** A tool as the switchboard exposes it: the server's definition plus routing names. */
export interface ToolInfo {
  name: string;
  server: string;
  /** `server__tool`, safe for LLM providers: at most 64 chars of `[A-Za-z0-9_-]`. */
  qualifiedName: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  title?: string;
  /** How the tool runs: `taskSupport: 'required'` tools are called as tasks. */
  execution?: { taskSupport?: 'forbidden' | 'optional' | 'required' };
  icons?: unknown[];
  _meta?: Record<string, unknown>;
  /**
   * Whether a call can be admitted now: its server connected and its breaker not open. Computed
   * when listed (never stored), so a host can hide what would fail.
   */
  available?: boolean;
}

/** Server facts learned at initialize time. */
export interface ServerFacts {
  serverInfo?: { name: string; version: string; title?: string };
  capabilities?: Record<string, unknown>;
  instructions?: string;
  protocolVersion?: string;
  /** The protocol era of the session: `legacy` (initialize, 2025-11-25 and older) or `modern` (2026-07-28). */
  era?: 'legacy' | 'modern';
}

/** The MCP era and version a server's session speaks (DESIGN §15). */
export interface ServerProtocol {
  /** `legacy`: the `initialize` handshake (2025-11-25 and older); `modern`: 2026-07-28 (`server/discover`). */
  era: 'legacy' | 'modern';
  /** The negotiated protocol version, e.g. `2025-11-25` or `2026-07-28`. */
  version: string;
}

export type TransportKind = 'stdio' | 'http' | 'sse' | 'custom';

/** A resource as the switchboard exposes it: the server's listing plus the server's name. */
export interface ResourceInfo {
  uri: string;
  name: string;
  server: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: Record<string, unknown>;
  icons?: unknown[];
  _meta?: Record<string, unknown>;
}

/** A resource template (RFC 6570 `uriTemplate`) of one server. */
export interface ResourceTemplateInfo {
  uriTemplate: string;
  name: string;
  server: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: Record<string, unknown>;
  icons?: unknown[];
  _meta?: Record<string, unknown>;
}

/** A prompt as the switchboard exposes it, with a routing name like tools'. */
export interface PromptInfo {
  name: string;
  server: string;
  /** `server__prompt`, same rules as a tool's qualified name. */
  qualifiedName: string;
  title?: string;
  description?: string;
  arguments?: { name: string; description?: string; required?: boolean }[];
  icons?: unknown[];
  _meta?: Record<string, unknown>;
  /** Whether a request can be admitted now (its server connected, its breaker not open); computed when listed. */
  available?: boolean;
}

/** Everything one server offers, as last listed. Kinds the server lacks are empty. */
export interface ServerCatalog {
  tools: ToolInfo[];
  resources: ResourceInfo[];
  templates: ResourceTemplateInfo[];
  prompts: PromptInfo[];
}

/** The parts of a catalog, each listed (and relisted on its list_changed) on its own. */
export type CatalogKind = 'tools' | 'resources' | 'templates' | 'prompts';

/** The kinds of a catalog, in listing order. */
export const CATALOG_KINDS: readonly CatalogKind[] = ['tools', 'resources', 'templates', 'prompts'];
