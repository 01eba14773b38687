import { z } from 'zod';
import { ClusterSchema, type ClusterSettings } from './clusterSchema.js';
import { AuthSchema, noAuth, refuseTwoAuthorizations } from './authSchema.js';
import { ms, PolicyOverridesSchema, positiveMs, type Policy, type PolicyOverrides } from './policySchema.js';

export {
  AdmissionSchema,
  BreakerSchema,
  DEFAULT_POLICY,
  HealthSchema,
  LimitsSchema,
  PolicyOverridesSchema,
  PolicySchema,
  ReconnectSchema,
  ReplaySchema,
  STDIO_CONNECT_MS,
  TimeoutsSchema,
  type AdmissionConfig,
  type Policy,
  type PolicyOverrides,
} from './policySchema.js';
export { AuthSchema, ClientCredentialsAuthSchema, CrossAppAuthSchema, OAuthAuthSchema } from './authSchema.js';
export { PROTOCOL_CHOICES, ProtocolSchema } from './protocolSchema.js';

/**
 * Zod schemas: the only source of config types (DESIGN §3). The servers, the admin and gateway
 * blocks, and the `mcpServers` format live here; the policy blocks (with `DEFAULT_POLICY`) in
 * policySchema.ts.
 */


export const SERVER_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

export const ToolFilterSchema = z.strictObject({
  /** Glob patterns (`*`, `?`) of tool names to expose; empty = all. */
  allow: z.array(z.string().min(1)).optional(),
  /** Glob patterns of tool names to hide; wins over `allow`. */
  deny: z.array(z.string().min(1)).optional(),
});

/**
 * A server's `tools:` block: the filter, plus renames and description overrides (DESIGN §18),
 * applied wherever a tool of this server is shown or routed. Filters match the server's own
 * names; renamed tools are shown and called by their new names.
 */
export const ServerToolsSchema = ToolFilterSchema.extend({
  /** `{ from: to }`: the tool `from` is shown and called as `to` (the server still receives `from`). */
  rename: z.record(z.string().min(1), z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -')).optional(),
  /** `{ name: text }`: the description shown for a tool (by its name on the server). */
  describe: z.record(z.string().min(1), z.string()).optional(),
});

/**
 * Server → client capabilities offered to one server (DESIGN §10). Each is declared when the
 * embedder gives its handler; `false` withholds it from this server. Each defaults to true.
 */
export const CapabilitiesSchema = z.strictObject({
  sampling: z.boolean().optional(),
  elicitation: z.boolean().optional(),
  roots: z.boolean().optional(),
});

const common = {
  enabled: z.boolean().optional(),
  tools: ServerToolsSchema.optional(),
  capabilities: CapabilitiesSchema.optional(),
  ...PolicyOverridesSchema.shape,
};

/**
 * An http(s) URL without credentials: `user:password@` in a URL ends up in logs, errors and
 * process listings and cannot be masked reliably, so it is refused with a pointer to headers.
 */
const urlString = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
  else if (url.username !== '' || url.password !== '') {
    ctx.addIssue({
      code: 'custom',
      message: 'must not contain credentials (user:password@); send them in headers instead, e.g. headers: { Authorization: "Bearer ${TOKEN}" }',
    });
  }
});

export const StdioServerSchema = z.strictObject({
  transport: z.literal('stdio'),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  auth: noAuth,
  ...common,
});

export const HttpServerSchema = z.strictObject({
  transport: z.literal('http'),
  url: urlString,
  headers: z.record(z.string(), z.string()).optional(),
  auth: AuthSchema.optional(),
  ...common,
}).superRefine(refuseTwoAuthorizations);

export const SseServerSchema = z.strictObject({
  transport: z.literal('sse'),
  url: urlString,
  headers: z.record(z.string(), z.string()).optional(),
  auth: AuthSchema.optional(),
  ...common,
})
  .superRefine(refuseTwoAuthorizations)
  .superRefine((server, ctx) => {
    // The legacy SSE transport has no 2026-07-28: a pin that can never connect is a config error.
    if ((server as { protocol?: unknown }).protocol === '2026-07-28') {
      ctx.addIssue({ code: 'custom', path: ['protocol'], message: 'an sse server speaks only the legacy era: use 2025-11-25 or auto (or transport: http)' });
    }
  });

export const ServerSchema = z.discriminatedUnion('transport', [StdioServerSchema, HttpServerSchema, SseServerSchema]);

export const AdminSchema = z.strictObject({
  host: z.string().min(1).optional(),
  /** A number, or digits from a `${VAR}` (expansion yields strings). */
  port: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), z.number().int().min(0).max(65535)).optional(),
  token: z.string().optional(),
  /** Extra Host header values accepted besides the bind address (DNS-rebinding guard). */
  allowedHosts: z.array(z.string().min(1)).optional(),
});

/** One gateway profile: a subset of servers and tools, served at `/mcp/<profile>` and by `switchboard gateway --profile`. */
export const GatewayProfileSchema = z.strictObject({
  /** Server names in this profile; absent = every server. */
  servers: z.array(z.string().min(1)).optional(),
  /** Globs on qualified tool names, deny wins (as `gateway.tools`, applied after it). */
  tools: ToolFilterSchema.optional(),
  /** Overrides `gateway.catalog` for this profile's sessions. */
  catalog: z.enum(['full', 'search']).optional(),
  /** Overrides `gateway.pinned` for this profile's sessions. */
  pinned: z.array(z.string().min(1)).optional(),
});

/** A profile's name: it becomes a URL path segment (`/mcp/<profile>`). */
export const PROFILE_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** What `switchboard gateway` (and `/mcp` on serve) exposes: globs on qualified tool names, deny wins. */
export const GatewaySchema = z.strictObject({
  tools: ToolFilterSchema.optional(),
  /**
   * A downstream client's first `tools/list` (and prompts, resources) waits up to this long for
   * servers that are still connecting, so a host that lists once sees them. 0 = answer at once.
   * Defaults to 15 000 ms.
   */
  initialWaitMs: ms.optional(),
  /** The gateway's cap on a result's text (as `limits.maxResultChars`); 0 = off. Defaults to 100 000. */
  maxResultChars: z.number().int().nonnegative().optional(),
  /**
   * `full` lists every exposed tool; `search` lists only the `pinned` ones plus the gateway's own
   * `search_tools` and `call_tool`, so a host with thousands of upstream tools shows its model a
   * short list (DESIGN §17). Defaults to `full`.
   */
  catalog: z.enum(['full', 'search']).optional(),
  /** Globs on qualified tool names listed as they are in `search` mode (deny of `gateway.tools` still wins). Defaults to none. */
  pinned: z.array(z.string().min(1)).optional(),
  /**
   * Downstream request headers (names or globs, case-insensitive) that `/mcp` passes on to the
   * upstream call's HTTP request (http and sse servers); they are secrets. Defaults to none.
   */
  forwardHeaders: z.array(z.string().min(1)).optional(),
  /** Named subsets of servers and tools (DESIGN §18). */
  profiles: z.record(z.string().regex(PROFILE_NAME, 'a profile name is 1-32 characters of A-Z a-z 0-9 _ -'), GatewayProfileSchema).optional(),
  /** `/mcp` sessions open at once (idle ones expire first); one more gets 503 with Retry-After. Defaults to 100. */
  maxSessions: z.number().int().positive().optional(),
  /** An `/mcp` session with no open request or stream for this long is closed. Defaults to 300 000 ms. */
  sessionIdleMs: positiveMs.optional(),
  /**
   * Bytes queued for one downstream client that stopped reading (an `/mcp` GET stream, the stdio
   * gateway's stdout); past it the oldest notifications are dropped with a warning. Defaults to 1 MiB.
   */
  maxBufferedBytes: z.number().int().positive().optional(),
  /** Largest message a downstream client may send; a larger one is a JSON-RPC error to it. Defaults to 10 MiB. */
  maxMessageBytes: z.number().int().positive().optional(),
});

/** The gateway's bounds with their defaults (`gateway:` block). */
export const DEFAULT_GATEWAY_LIMITS = {
  initialWaitMs: 15_000,
  maxResultChars: 100_000,
  maxSessions: 100,
  sessionIdleMs: 300_000,
  maxBufferedBytes: 1024 * 1024,
  maxMessageBytes: 10 * 1024 * 1024,
} as const;

export const ConfigSchema = z.strictObject({
  servers: z.record(z.string(), ServerSchema),
  defaults: PolicyOverridesSchema.optional(),
  admin: AdminSchema.optional(),
  gateway: GatewaySchema.optional(),
  /** Replicas acting as one on Redis (DESIGN §16); `clusterSchema.ts`. */
  cluster: ClusterSchema.optional(),
});

/** Leaves `transport` out of a server's input type (it is inferred when resolved). */
type Inferred<T> = Omit<T, 'transport'> & { transport?: undefined };

/**
 * One server as written in our own format. `transport` may be left out where the entry says it:
 * `command` is stdio, `url` is streamable HTTP (the same inference as for `mcpServers` entries).
 */
export type ServerInput = z.input<typeof ServerSchema> | Inferred<z.input<typeof StdioServerSchema>> | Inferred<z.input<typeof HttpServerSchema>>;

/** A config as written (after variable expansion), in our own format. */
export type ServersConfig = Omit<z.input<typeof ConfigSchema>, 'servers'> & { servers: Record<string, ServerInput> };

/**
 * One entry of an `mcpServers` file (Claude Desktop, Cursor, VS Code): the transport is inferred
 * from `command` or `url` (or given as `type`), `disabled: true` turns it off. Other keys are
 * skipped with a warning, or reported as errors when the entry has no transport without them.
 */
export const McpServerEntrySchema = z.looseObject({
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  url: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** `stdio`, `http`, `streamable-http` or `sse`. */
  type: z.string().optional(),
  transport: z.string().optional(),
  disabled: z.boolean().optional(),
  enabled: z.boolean().optional(),
  /** As in our format; checked when the converted entry is. */
  capabilities: CapabilitiesSchema.optional(),
  /**
   * Our per-server settings beside the keys hosts write (`timeouts`, …, `protocol`, `admission`,
   * `tools`, `auth`); checked as strictly as in our format when the converted entry is.
   */
  tools: ServerToolsSchema.optional(),
  auth: AuthSchema.optional(),
  ...PolicyOverridesSchema.shape,
});

/**
 * The `mcpServers` format as a whole; converted to our format when resolved. Our top-level blocks
 * (`defaults`, `gateway`, `admin`) may stand beside `mcpServers`, checked as in our format.
 */
export const McpServersConfigSchema = z.object({
  mcpServers: z.record(z.string(), McpServerEntrySchema),
  defaults: PolicyOverridesSchema.optional(),
  admin: AdminSchema.optional(),
  gateway: GatewaySchema.optional(),
});
export type McpServersConfig = z.input<typeof McpServersConfigSchema>;

/** What `createSwitchboard` and `resolveConfig` accept: our format or an `mcpServers` document. */
export type SwitchboardConfig = ServersConfig | McpServersConfig;
export type ServerConfig = z.output<typeof ServerSchema>;
export type AdminConfig = z.output<typeof AdminSchema>;
export type CapabilitiesConfig = z.output<typeof CapabilitiesSchema>;
export type AuthConfig = z.output<typeof AuthSchema>;
export type GatewayProfile = z.output<typeof GatewayProfileSchema>;
export type ServerToolsConfig = z.output<typeof ServerToolsSchema>;

/**
 * One server with every policy field filled in. `secrets` holds every value that `${VAR}`
 * expansion took from the environment for this server (args, URL, headers, env, cwd, command):
 * each is masked wherever the server could be shown or logged.
 */
export type ResolvedServer = ServerConfig & Policy & { name: string; enabled: boolean; secrets: string[] };

/** A validated config: servers fully resolved, admin settings as given. */
export interface ResolvedConfig {
  servers: Record<string, ResolvedServer>;
  admin: AdminConfig;
  /** The `gateway:` block with its bounds filled in (`DEFAULT_GATEWAY_LIMITS`); `tools: {}` when absent. */
  gateway: GatewaySettings;
  /** The `defaults` block as written (expanded), applied to servers added later too. */
  defaults?: PolicyOverrides;
  /** Non-fatal notes, e.g. unknown keys skipped in an `mcpServers` file. */
  warnings: string[];
  /** The `cluster:` block resolved; absent: this process is on its own. */
  cluster?: ClusterSettings;
}

/** The gateway's settings with every bound filled in. */
export interface GatewaySettings {
  tools: { allow?: string[]; deny?: string[] };
  initialWaitMs: number;
  maxResultChars: number;
  catalog: 'full' | 'search';
  pinned: string[];
  forwardHeaders: string[];
  /** Named subsets; `{}` when none. */
  profiles: Record<string, GatewayProfile>;
  maxSessions: number;
  sessionIdleMs: number;
  maxBufferedBytes: number;
  maxMessageBytes: number;
}

/** A server whose transport an embedder supplies in code (`transports` option), not in config. */
export interface CustomServer extends Policy {
  name: string;
  transport: 'custom';
  enabled: boolean;
  tools?: ServerToolsConfig;
  /** Server → client capabilities withheld from it, as in config. Defaults to none withheld. */
  capabilities?: CapabilitiesConfig;
  /** Values to mask in its messages, as for a configured server. Defaults to none. */
  secrets?: string[];
}

/** Any server the runtime can run. */
export type RuntimeServer = ResolvedServer | CustomServer;
