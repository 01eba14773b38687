/**
 * The call path (DESIGN §4): the pending-call table (calls travel through the machines as request
 * ids; arguments, deadline and promise wait here), deadlines on the actor clock, cancellation
 * signals, the argument check, and the outbox that hands each server's burst of ids to the
 * machines. See ARCHITECTURE.md for the picture of one call.
 */
export { sharedAborts } from '../core/abortFanout.js';
export { argumentsProblem, MAX_ARGUMENT_DEPTH } from './input.js';
export { headerSecrets, headersProblem, type HeaderTarget } from './headers.js';
export { CallPath, type CallPolicies, type CallShape, type CallSpec } from './path.js';
export {
  CallSignal,
  PendingCalls,
  type AbortCause,
  type CallCompleted,
  type CallKind,
  type CallTable,
  type OpenCallOptions,
  type PendingCall,
} from './table.js';
