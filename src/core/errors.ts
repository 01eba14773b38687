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
/** The `_meta` key of the error in a failed tool result the gateway and the framework tools give a model (DESIGN §12). */
export const ERROR_META_KEY = 'mcp-switchboard/error';

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

/** What every error class takes besides its message. */
export interface SwitchboardErrorOptions {
  /** The error this one was made from (the standard `Error.cause`). */
  cause?: unknown;
  /** Suggested wait before trying again; only codes with Retry-After in `ERROR_TABLE` carry it. */
  retryAfterMs?: number | undefined;
}

/**
 * Base class of every error the switchboard throws; `code` says which failure it is and the
 * error is an instance of that code's own class (`ERROR_CLASSES`), whichever way it was built.
 */
export class SwitchboardError extends Error {
  readonly [BRAND] = true;
  readonly code!: ErrorCode;
  /**
   * Suggested wait before trying again, when the failure is temporary (codes with Retry-After).
   * Declared only: an error without one has no such own property (`'retryAfterMs' in e` is false).
   */
  declare readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: SwitchboardErrorOptions = {}) {
    // Built through the base class, an error still becomes its code's class, so that
    // `isSwitchboardError(e, code)` and `instanceof` agree wherever in the runtime it was made.
    if (new.target === SwitchboardError && Object.hasOwn(ERROR_CLASSES, code)) return ofCode(code, message, options);
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code.endsWith('Error') ? code : `${code}Error`;
    this.code = code;
    if (options.retryAfterMs !== undefined) (this as { retryAfterMs?: number }).retryAfterMs = options.retryAfterMs;
  }
}

/** Builds `code`'s class through the base constructor; the fields it cannot know start empty. */
function ofCode(code: ErrorCode, message: string, options: SwitchboardErrorOptions): SwitchboardError {
  const error = Reflect.construct(SwitchboardError, [code, message, options], ERROR_CLASSES[code]) as SwitchboardError;
  if (code === 'ConfigError') Object.assign(error, { issues: [] });
  if (code === 'AmbiguousTool' || code === 'AmbiguousPrompt' || code === 'AmbiguousResource') Object.assign(error, { servers: [] });
  return error;
}

/** One problem in a config, with the key path it sits at (`servers.search.url`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

const quoted = (names: string[]): string => names.map((s) => `"${s}"`).join(' and ');

/** `ConfigError`: a config that cannot be used; `issues` lists every problem with its key path. */
export class ConfigError extends SwitchboardError {
  declare readonly code: 'ConfigError';
  /** Every problem found, each with its key path (empty when the error came without them, e.g. from a remote service). */
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('ConfigError', `invalid config${where} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines}`);
    this.issues = issues;
  }
}

/** `InvalidRequest`: caller input that cannot be sent (not an object, too deep, too large), refused before admission. */
export class InvalidRequestError extends SwitchboardError {
  declare readonly code: 'InvalidRequest';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('InvalidRequest', message, options);
  }
}

/** `InvalidArguments`: the server answered the call with JSON-RPC -32602. */
export class InvalidArgumentsError extends SwitchboardError {
  declare readonly code: 'InvalidArguments';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('InvalidArguments', message, options);
  }
}

/** `ServerNotFound`: no (enabled) server has that name. */
export class ServerNotFoundError extends SwitchboardError {
  declare readonly code: 'ServerNotFound';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ServerNotFound', message, options);
  }
}

/** `ToolNotFound`: no server has a tool of that name (the message names servers whose tools are unknown). */
export class ToolNotFoundError extends SwitchboardError {
  declare readonly code: 'ToolNotFound';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ToolNotFound', message, options);
  }
}

/** `AmbiguousTool`: the bare name is a tool on more than one server; `servers` lists them. */
export class AmbiguousToolError extends SwitchboardError {
  declare readonly code: 'AmbiguousTool';
  /** The servers that have the tool; call `<server>__<tool>` or pass `{ server }`. */
  readonly servers: string[];
  constructor(tool: string, servers: string[], message?: string) {
    super('AmbiguousTool', message ?? `tool "${tool}" exists on servers ${quoted(servers)}; use "<server>__${tool}" or { server }`);
    this.servers = servers;
  }
}

/** `PromptNotFound`: no server has a prompt of that name. */
export class PromptNotFoundError extends SwitchboardError {
  declare readonly code: 'PromptNotFound';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('PromptNotFound', message, options);
  }
}

/** `ResourceNotFound`: no server lists the uri or has a template that matches it. */
export class ResourceNotFoundError extends SwitchboardError {
  declare readonly code: 'ResourceNotFound';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ResourceNotFound', message, options);
  }
}

/** `AmbiguousPrompt`: the bare name is a prompt on more than one server; `servers` lists them. */
export class AmbiguousPromptError extends SwitchboardError {
  declare readonly code: 'AmbiguousPrompt';
  /** The servers that have the prompt; use `<server>__<prompt>` or pass `{ server }`. */
  readonly servers: string[];
  constructor(prompt: string, servers: string[], message?: string) {
    super('AmbiguousPrompt', message ?? `prompt "${prompt}" exists on servers ${quoted(servers)}; use "<server>__${prompt}" or { server }`);
    this.servers = servers;
  }
}

/** `AmbiguousResource`: more than one server lists the uri or has a matching template; `servers` lists them. */
export class AmbiguousResourceError extends SwitchboardError {
  declare readonly code: 'AmbiguousResource';
  /** The servers that offer the resource; pass `{ server }`. */
  readonly servers: string[];
  constructor(uri: string, servers: string[], message?: string) {
    super('AmbiguousResource', message ?? `resource "${uri}" is offered by servers ${quoted(servers)}; pass { server }`);
    this.servers = servers;
  }
}

/** `NotSupported`: the server does not declare the capability, or the method is gone in its protocol era. */
export class NotSupportedError extends SwitchboardError {
  declare readonly code: 'NotSupported';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('NotSupported', message, options);
  }
}

/** `ServerBusy`: the server's queue is full; try again after `retryAfterMs`. */
export class ServerBusyError extends SwitchboardError {
  declare readonly code: 'ServerBusy';
  /** Suggested wait before trying again. */
  declare readonly retryAfterMs?: number;
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ServerBusy', message, options);
  }
}

/** `ServerUnavailable`: the server is backing off or in `error`; `retryAfterMs` is when its next attempt is due. */
export class ServerUnavailableError extends SwitchboardError {
  declare readonly code: 'ServerUnavailable';
  /** Time until the server's next connect attempt, when one is scheduled. */
  declare readonly retryAfterMs?: number;
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ServerUnavailable', message, options);
  }
}

/** `CircuitOpen`: the server's breaker refuses calls; `retryAfterMs` is when it lets a probe through. */
export class CircuitOpenError extends SwitchboardError {
  declare readonly code: 'CircuitOpen';
  /** Time until the breaker turns half-open; absent while its half-open probe runs. */
  declare readonly retryAfterMs?: number;
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('CircuitOpen', message, options);
  }
}

/** `Stopped`: the switchboard is stopping or stopped (or a reload restarted the server). */
export class StoppedError extends SwitchboardError {
  declare readonly code: 'Stopped';
  /** Suggested wait before trying again, when known. */
  declare readonly retryAfterMs?: number;
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('Stopped', message, options);
  }
}

/** `AuthRequired`: the server answered 401/403; it stays in `error` until `reconnect` (or `loginServer`). */
export class AuthRequiredError extends SwitchboardError {
  declare readonly code: 'AuthRequired';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('AuthRequired', message, options);
  }
}

/** `UnsupportedProtocolVersion`: the server refuses this client's protocol version. */
export class UnsupportedProtocolVersionError extends SwitchboardError {
  declare readonly code: 'UnsupportedProtocolVersion';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('UnsupportedProtocolVersion', message, options);
  }
}

/** `ConnectionLost`: the server crashed or the connection broke mid-call. */
export class ConnectionLostError extends SwitchboardError {
  declare readonly code: 'ConnectionLost';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ConnectionLost', message, options);
  }
}

/** `ProtocolError`: -32603/-32700, an invalid result or envelope, an oversized message, HTTP 5xx. */
export class ProtocolError extends SwitchboardError {
  declare readonly code: 'ProtocolError';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ProtocolError', message, options);
  }
}

/** `ServerError`: the server answered with another JSON-RPC error or HTTP 4xx; it is alive. */
export class ServerError extends SwitchboardError {
  declare readonly code: 'ServerError';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ServerError', message, options);
  }
}

/** `ToolCallTimeout`: the call's deadline passed (the server was sent `notifications/cancelled`). */
export class ToolCallTimeoutError extends SwitchboardError {
  declare readonly code: 'ToolCallTimeout';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('ToolCallTimeout', message, options);
  }
}

/** `Cancelled`: the caller aborted its signal (the server was sent `notifications/cancelled`). */
export class CancelledError extends SwitchboardError {
  declare readonly code: 'Cancelled';
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('Cancelled', message, options);
  }
}

/** The class of every code: an error with that code is an instance of it. */
export const ERROR_CLASSES = {
  ConfigError,
  InvalidRequest: InvalidRequestError,
  InvalidArguments: InvalidArgumentsError,
  ServerNotFound: ServerNotFoundError,
  ToolNotFound: ToolNotFoundError,
  AmbiguousTool: AmbiguousToolError,
  PromptNotFound: PromptNotFoundError,
  ResourceNotFound: ResourceNotFoundError,
  AmbiguousPrompt: AmbiguousPromptError,
  AmbiguousResource: AmbiguousResourceError,
  NotSupported: NotSupportedError,
  ServerBusy: ServerBusyError,
  ServerUnavailable: ServerUnavailableError,
  CircuitOpen: CircuitOpenError,
  Stopped: StoppedError,
  AuthRequired: AuthRequiredError,
  UnsupportedProtocolVersion: UnsupportedProtocolVersionError,
  ConnectionLost: ConnectionLostError,
  ProtocolError,
  ServerError,
  ToolCallTimeout: ToolCallTimeoutError,
  Cancelled: CancelledError,
} as const satisfies { [C in ErrorCode]: abstract new (...args: never[]) => SwitchboardError & { readonly code: C } };

/** The error class of a code, with that code's fields: `SwitchboardErrorOf<'AmbiguousTool'>` has `servers`. */
export type SwitchboardErrorOf<C extends ErrorCode> = InstanceType<(typeof ERROR_CLASSES)[C]>;

/** True for any error thrown by the switchboard, across package copies. */
export function isSwitchboardError(error: unknown): error is SwitchboardError;
/**
 * True for an error of the switchboard with this code; narrows to the code's class and its fields
 * (`servers` on the ambiguous codes, `issues` on `ConfigError`, `retryAfterMs` on the codes with
 * Retry-After). Checks the brand and the code, so it holds across package copies too.
 */
export function isSwitchboardError<C extends ErrorCode>(error: unknown, code: C): error is SwitchboardErrorOf<C>;
export function isSwitchboardError(error: unknown, code?: ErrorCode): boolean {
  if (typeof error !== 'object' || error === null || (error as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (error as SwitchboardError).code === code;
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
export function unavailable(server: string, info: ErrorInfo | null, retryAfterMs: number | undefined): ServerUnavailableError {
  const why = info ? `: ${info.message}` : '';
  return new ServerUnavailableError(`server "${server}" is not connected${why}`, { retryAfterMs });
}

/** The error of a call made after (or cut off by) `stop()`. */
export function stoppedError(): StoppedError {
  return new StoppedError('the switchboard is stopped');
}

/** The error of a call the manager could not route. */
export function unroutable(server: string, reason: 'removed' | 'failed' | 'stopping'): SwitchboardError {
  if (reason === 'stopping') return stoppedError();
  if (reason === 'failed') return new ServerUnavailableError(`server "${server}" failed and was stopped (see its lastError)`);
  return new ServerNotFoundError(`server "${server}" was removed`);
}
