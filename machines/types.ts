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
}

/** Server facts learned at initialize time. */
export interface ServerFacts {
  serverInfo?: { name: string; version: string; title?: string };
  capabilities?: Record<string, unknown>;
  instructions?: string;
  protocolVersion?: string;
}

export type TransportKind = 'stdio' | 'http' | 'sse' | 'custom';
