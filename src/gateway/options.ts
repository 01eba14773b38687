import type { LoggingLevel } from '@modelcontextprotocol/server';
import type { Logger } from '../core/logger.js';
import type { GatewayRouter } from './router.js';

/** The options and outside parts of a gateway (`gateway.ts`), and how it maps upstream log levels. */

/** Options of `createGateway`. */
export interface GatewayOptions {
  /** Globs (`*`, `?`) of qualified tool names to expose and to hide (deny wins). Defaults to every tool. */
  tools?: { allow?: string[]; deny?: string[] };
  /** `serverInfo.name` of the gateway. Defaults to `mcp-switchboard`. */
  name?: string;
  /** `serverInfo.version`. Defaults to the package's version. */
  version?: string;
  /** `instructions` sent at initialize. Defaults to none. */
  instructions?: string;
  /** Gets the gateway's own lines (sessions, refusals). Never stdout: over stdio that is the protocol. Defaults to none. */
  logger?: Logger;
  /**
   * The router whose `handlers` the switchboard was created with; without one, upstream sampling,
   * elicitation and roots requests are not forwarded. Defaults to a router of its own.
   */
  router?: GatewayRouter;
  /** A burst of catalog changes within this many ms is one `list_changed` per kind. Defaults to 50 ms. */
  listChangedDebounceMs?: number;
}

/** The catalogs whose changes the gateway announces. */
export type ListKind = 'tools' | 'prompts' | 'resources';

/** Something else the gateway tells of catalog changes and closes with it (the modern `/mcp` listen streams). */
export interface GatewayAttachment {
  /** The profile whose sessions it serves (`/mcp/<profile>`); a reload that changes that profile tells it every kind changed. Defaults to none. */
  readonly profile?: string | undefined;
  /** The kinds whose catalogs changed (debounced like `list_changed`). */
  changed(kinds: ListKind[]): void;
  /** An upstream resource changed (followed through `Gateway.follow`, or by a legacy session). Defaults to ignoring it. */
  resourceUpdated?(uri: string): void;
  close(): Promise<void>;
}

const LEVELS: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const SEVERITY = new Map<string, number>(LEVELS.map((level, index) => [level, index]));

/** An upstream log line's level as an MCP level (the switchboard's `warn` is `warning`; unknown ones are `info`). */
export function mcpLevel(level: string): LoggingLevel {
  return SEVERITY.has(level) ? (level as LoggingLevel) : level === 'warn' ? 'warning' : 'info';
}

/** Whether a line at `level` passes a client's `threshold` (`logging/setLevel`). */
export function atLeast(level: LoggingLevel, threshold: LoggingLevel): boolean {
  return SEVERITY.get(level)! >= SEVERITY.get(threshold)!;
}
