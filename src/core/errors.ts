import type { ErrorInfo } from '../../machines/types.js';

/** How the breaker counts a call that failed with a code (research/reliability.md §1.7). */
export type BreakerOutcomeOfCode = 'success' | 'failure' | 'ignored' | 'not recorded' | null;

/** One row of the error table: everything the runtime decides from an error's code. */
export interface ErrorRule {
  /** HTTP status of the admin API (and the gateway's error mapping). */
  status: number;
  /** Whether the admin API sends `Retry-After`. */
  retryAfter: boolean;
  /** How the breaker counts it; null when the call never reached admission. */
  breaker: BreakerOutcomeOfCode;
  /** CLI exit status. */
  exit: number;
}

/**
 * The one error table (DESIGN §5): code → HTTP status, breaker outcome and CLI exit status. The
 * admin API, the CLI and the README's table read it (a test checks the README against it).
 */
export const ERROR_TABLE = {
  ConfigError: { status: 400, retryAfter: false, breaker: null, exit: 2 },
  InvalidRequest: { status: 400, retryAfter: false, breaker: null, exit: 2 },
  InvalidArguments: { status: 400, retryAfter: false, breaker: 'success', exit: 1 },
  ServerNotFound: { status: 404, retryAfter: false, breaker: null, exit: 1 },
  ToolNotFound: { status: 404, retryAfter: false, breaker: null, exit: 1 },
  AmbiguousTool: { status: 409, retryAfter: false, breaker: null, exit: 1 },
  PromptNotFound: { status: 404, retryAfter: false, breaker: null, exit: 1 },
  ResourceNotFound: { status: 404, retryAfter: false, breaker: null, exit: 1 },
  AmbiguousPrompt: { status: 409, retryAfter: false, breaker: null, exit: 1 },
  AmbiguousResource: { status: 409, retryAfter: false, breaker: null, exit: 1 },
  NotSupported: { status: 501, retryAfter: false, breaker: null, exit: 1 },
  ServerBusy: { status: 429, retryAfter: true, breaker: null, exit: 1 },
  ServerUnavailable: { status: 503, retryAfter: true, breaker: 'not recorded', exit: 1 },
  CircuitOpen: { status: 503, retryAfter: true, breaker: 'not recorded', exit: 1 },
  Stopped: { status: 503, retryAfter: true, breaker: 'not recorded', exit: 1 },
  AuthRequired: { status: 503, retryAfter: false, breaker: 'not recorded', exit: 1 },
  UnsupportedProtocolVersion: { status: 503, retryAfter: false, breaker: 'not recorded', exit: 1 },
  ConnectionLost: { status: 502, retryAfter: false, breaker: 'failure', exit: 1 },
  ProtocolError: { status: 502, retryAfter: false, breaker: 'failure', exit: 1 },
  ServerError: { status: 502, retryAfter: false, breaker: 'success', exit: 1 },
  ToolCallTimeout: { status: 504, retryAfter: false, breaker: 'failure', exit: 1 },
  Cancelled: { status: 499, retryAfter: false, breaker: 'ignored', exit: 130 },
} as const satisfies Record<string, ErrorRule>;

/** Every failure a caller can act on has its own code (DESIGN §5). */
export type ErrorCode = keyof typeof ERROR_TABLE;

/** The table row of a code. */
export function ruleOf(code: ErrorCode): ErrorRule {
  return ERROR_TABLE[code];
}

const BRAND = Symbol.for('mcp-switchboard.error');

/** Base class of every error the switchboard throws; `code` says which failure it is. */
export class SwitchboardError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  /** Suggested wait before trying again, when the failure is temporary. */
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code.endsWith('Error') ? code : `${code}Error`;
    this.code = code;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** One problem in a config, with the key path it sits at (`servers.search.url`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config that cannot be used; `issues` lists every problem with its key path. */
export class ConfigError extends SwitchboardError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('ConfigError', `invalid config${where} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines}`);
    this.issues = issues;
  }
}

/** The name matches a tool on more than one server; `servers` lists them. */
export class AmbiguousToolError extends SwitchboardError {
  readonly servers: string[];
  constructor(tool: string, servers: string[], message?: string) {
    super('AmbiguousTool', message ?? `tool "${tool}" exists on servers ${servers.map((s) => `"${s}"`).join(' and ')}; use "<server>__${tool}" or { server }`);
    this.servers = servers;
  }
}

/** True for any error thrown by the switchboard, across package copies. */
export function isSwitchboardError(error: unknown): error is SwitchboardError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/** The JSON form of any error, as used in events, machine context and HTTP bodies. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (isSwitchboardError(error)) {
    const info: ErrorInfo = { code: error.code, message: error.message };
    if (error.retryAfterMs !== undefined) info.retryAfterMs = error.retryAfterMs;
    return info;
  }
  if (error instanceof Error) return { code: (error as { code?: unknown }).code?.toString() ?? error.name, message: error.message };
  return { code: 'Error', message: String(error) };
}

/** Builds the error a caller sees from a machine's `ErrorInfo` about a refused call. */
export function unavailable(server: string, info: ErrorInfo | null, retryAfterMs: number | undefined): SwitchboardError {
  const why = info ? `: ${info.message}` : '';
  const options: { retryAfterMs?: number } = {};
  if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  return new SwitchboardError('ServerUnavailable', `server "${server}" is not connected${why}`, options);
}

/** The error of a call made after (or cut off by) `stop()`. */
export function stoppedError(): SwitchboardError {
  return new SwitchboardError('Stopped', 'the switchboard is stopped');
}

/** The error of a call the manager could not route. */
export function unroutable(server: string, reason: 'removed' | 'failed' | 'stopping'): SwitchboardError {
  if (reason === 'stopping') return stoppedError();
  if (reason === 'failed') return new SwitchboardError('ServerUnavailable', `server "${server}" failed and was stopped (see its lastError)`);
  return new SwitchboardError('ServerNotFound', `server "${server}" was removed`);
}
