import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { tracer } from './tracer.js';

/**
 * One span per connect attempt: `mcp_switchboard.connect`, or `mcp_switchboard.reconnect` once the
 * server had been connected. A root span (a connect serves every later caller, not the one that
 * happened to be active), from the attempt's start to the server ready (catalog listed) or failed.
 */

/** How an attempt ended: `connected`, `failed` (with the error code) or `superseded` (closed, or another took its place). */
export type ConnectEnding =
  | { outcome: 'connected'; era: string; protocolVersion?: string | undefined }
  | { outcome: 'failed'; errorCode: string }
  | { outcome: 'superseded' };

/** Starts the span of connect attempt `attempt` of `server`. */
export function startConnectSpan(server: string, attempt: number, reconnect: boolean): Span {
  const span = tracer().startSpan(reconnect ? 'mcp_switchboard.reconnect' : 'mcp_switchboard.connect', { kind: SpanKind.CLIENT }, ROOT_CONTEXT);
  if (span.isRecording()) {
    span.setAttribute('mcp_switchboard.server', server);
    span.setAttribute('mcp_switchboard.attempt', attempt);
  }
  return span;
}

/** Ends a connect span with its outcome; a failure sets `error.type` and status ERROR with the code. */
export function endConnectSpan(span: Span, ending: ConnectEnding): void {
  if (span.isRecording()) {
    span.setAttribute('mcp_switchboard.outcome', ending.outcome);
    if (ending.outcome === 'connected') {
      span.setAttribute('mcp_switchboard.era', ending.era);
      if (ending.protocolVersion !== undefined) span.setAttribute('mcp.protocol.version', ending.protocolVersion);
    } else if (ending.outcome === 'failed') {
      span.setAttribute('error.type', ending.errorCode);
      span.setStatus({ code: SpanStatusCode.ERROR, message: ending.errorCode });
    }
  }
  span.end();
}
