/**
 * The protocol seam's door (DESIGN §2): what the rest of `src/` may import from `src/protocol/`.
 * Our own MCP shapes first; the era-neutral session interface is added below. Append, never
 * rewrite: several features export from here.
 */
export * from './types.js';
export * from './serverRequestTypes.js';
export * from './levels.js';

// The era-neutral session interface (session.ts) and what goes with it, whatever the era.
export type {
  AbortCause,
  CallFailure,
  CallMethod,
  EraVerdict,
  FailureContext,
  ListedKinds,
  LossReason,
  OpenOptions,
  ProtocolChoice,
  ProtocolConnector,
  ProtocolEra,
  ProtocolSession,
  SessionAuth,
  SessionEvents,
  SessionFacts,
  SessionRequestOptions,
} from './session.js';
export { listCatalog, MAX_PAGES, toolEntries } from './catalog.js';
export {
  clientCapabilities,
  type DeclaredCapabilities,
  type HandlerContext,
  type RequestClock,
  type ServerRequestHandlers,
  type ServerRequestLimits,
  type ServerRequestOptions,
  type WithheldCapabilities,
} from './handlers.js';
export { StderrRing } from './stderrRing.js';
export { connectorFor, verdictOf } from './select.js';
// A custom transport is an SDK object: today the v1 SDK's `Transport` (a v2 era widens this type).
export type { McpTransport, TransportSource } from './transport.js';
