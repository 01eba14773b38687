import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, isSpanContextValid, type Span } from '@opentelemetry/api';
import { tracer } from './tracer.js';

/**
 * One span per call (OpenTelemetry MCP semantic conventions, client span: `{mcp.method.name}
 * {target}`, `mcp.method.name`, `gen_ai.tool.name` / `gen_ai.prompt.name` / `mcp.resource.uri`,
 * `mcp.protocol.version`, `error.type`, status ERROR when it is set). Never arguments or results.
 * With no SDK registered every span is the API's non-recording one: no attribute object is built.
 */

/** What a call's span is named and tagged after. */
export interface TracedCall {
  server: string;
  /** Defaults to `tool`. */
  kind?: string | undefined;
  /** The tool's name, or what the request is about (a uri, a prompt name, a level). */
  tool: string;
  /** The JSON-RPC method; `tools/call` for a tool. */
  method?: string | undefined;
}

/** How a call settled, for its span. */
export interface CallEnding {
  ok: boolean;
  /** The tool answered `isError: true`. */
  isError?: boolean;
  errorCode?: string;
}

const TRACEPARENT = 'traceparent';

/**
 * Starts the span of a call. Its parent is the trace context the caller put in the request's
 * `_meta` (`traceparent`, e.g. a downstream request through the gateway) when there is one, else
 * the active context (the caller's own span).
 */
export function startCallSpan(call: TracedCall, meta: Record<string, unknown> | undefined): Span {
  const kind = call.kind ?? 'tool';
  const method = call.method ?? 'tools/call';
  const parent = meta !== undefined && typeof meta[TRACEPARENT] === 'string' ? propagation.extract(context.active(), meta) : context.active();
  const low = kind === 'tool' || kind === 'prompt';
  const span = tracer().startSpan(low ? `${method} ${call.tool}` : method, { kind: SpanKind.CLIENT }, parent);
  if (!span.isRecording()) return span;
  span.setAttribute('mcp.method.name', method);
  span.setAttribute('mcp_switchboard.server', call.server);
  span.setAttribute('mcp_switchboard.call.kind', kind);
  if (kind === 'tool') {
    span.setAttribute('gen_ai.tool.name', call.tool);
    span.setAttribute('gen_ai.operation.name', 'execute_tool');
  } else if (kind === 'prompt') span.setAttribute('gen_ai.prompt.name', call.tool);
  else if (kind === 'resource' || kind === 'subscription') span.setAttribute('mcp.resource.uri', call.tool);
  else span.setAttribute('mcp_switchboard.call.target', call.tool);
  return span;
}

/** The era the call was sent in (set on each attempt: a replay after a reconnect may change it). */
export function setCallEra(span: Span, era: string, protocolVersion: string | undefined): void {
  if (!span.isRecording()) return;
  span.setAttribute('mcp_switchboard.era', era);
  if (protocolVersion !== undefined) span.setAttribute('mcp.protocol.version', protocolVersion);
}

/**
 * The request's `_meta` with the call span's context injected by the host's propagators
 * (`traceparent`, `tracestate`, `baggage`, unprefixed as the conventions say). A `traceparent` the
 * caller set became the span's parent (startCallSpan), so it is replaced by the span's own: the
 * server's span is the call span's child. Unchanged (the same object) when the span has no valid
 * context or no propagator is registered.
 */
export function injectCallContext(span: Span, meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return meta;
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  for (const _key in carrier) return { ...meta, ...carrier };
  return meta;
}

/** Ends a call's span: outcome, `error.type` and status ERROR with the code on failure. */
export function endCallSpan(span: Span, ending: CallEnding): void {
  if (span.isRecording()) {
    const code = ending.ok ? (ending.isError ? 'tool_error' : undefined) : (ending.errorCode ?? 'Error');
    span.setAttribute('mcp_switchboard.outcome', ending.ok ? (ending.isError ? 'tool_error' : 'ok') : 'error');
    if (code !== undefined) {
      span.setAttribute('error.type', code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    }
  }
  span.end();
}
