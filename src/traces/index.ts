/** Traces: OpenTelemetry spans of calls and connects through `@opentelemetry/api` (a no-op until a host registers an SDK). */
export { startCallSpan, setCallEra, injectCallContext, endCallSpan, type TracedCall, type CallEnding } from './calls.js';
export { startConnectSpan, endConnectSpan, type ConnectEnding } from './connects.js';
export { tracer } from './tracer.js';
