import type { CallOutcome } from '../../machines/breakerModel.js';
import { ruleOf, SwitchboardError, type ErrorCode as Code } from '../core/errors.js';
import type { AbortCause, CallFailure } from './session.js';

/**
 * How a failed request becomes a `CallFailure`, the same in both eras: each era's classify.ts
 * decides the code and flags from its own SDK's errors, this builds the rest (DESIGN §5).
 */

/** Marks the `data` of an error answer we substituted for an unusable one (never the server's own). */
export const SUBSTITUTE = 'mcp-switchboard/substitute';

/** True for the `data` of an error answer we substituted. */
export const isSubstituteData = (data: unknown): boolean => (data as { by?: unknown } | null | undefined)?.by === SUBSTITUTE;

export interface FailureFlags {
  /** The connection itself is suspect: check it at once. */
  suspect?: boolean;
  /** Provably not processed by the tool: safe to send again on a new session. */
  undispatched?: boolean;
  /** Never reached the server at all: the breaker does not record it, whatever its code. */
  unsent?: boolean;
  sessionExpired?: boolean;
  authFailed?: boolean;
}

/** How the breaker counts a code, from the one error table. */
function outcomeOf(code: Code): CallOutcome {
  const breaker = ruleOf(code).breaker;
  return breaker === 'success' || breaker === 'failure' ? breaker : 'ignored';
}

/** The failure builder for one error: `fail(code, message, flags)`. */
export function failureOf(cause: unknown): (code: Code, message: string, flags?: FailureFlags) => CallFailure {
  return (code, message, flags = {}) => ({
    error: new SwitchboardError(code, message, { cause }),
    outcome: flags.unsent ? 'ignored' : outcomeOf(code),
    suspectConnection: flags.suspect ?? false,
    undispatched: flags.undispatched ?? false,
    sessionExpired: flags.sessionExpired ?? false,
    authFailed: flags.authFailed ?? false,
  });
}

/** A request our own side ended (deadline, caller, stop): the same failure whatever the SDK threw. */
export function abortFailure(fail: ReturnType<typeof failureOf>, abortCause: AbortCause | null, where: string): CallFailure | undefined {
  if (abortCause === 'timeout') return fail('ToolCallTimeout', `${where} timed out`);
  if (abortCause === 'cancelled') return fail('Cancelled', `${where} was cancelled by the caller`);
  if (abortCause === 'stopped') return fail('Stopped', 'the switchboard is stopping');
  return undefined;
}
