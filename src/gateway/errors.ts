import { ProtocolError, ProtocolErrorCode as ErrorCode, type CallToolResult } from '@modelcontextprotocol/server';
import { ERROR_META_KEY, isSwitchboardError, toErrorInfo, type ErrorCode as SwitchboardCode } from '../core/errors.js';

/**
 * How the gateway answers failures (DESIGN §12). A tool call the switchboard refused or that
 * failed upstream is a tool result with `isError: true`, so the model reads what happened and may
 * try again later; a name the gateway does not know is a JSON-RPC error, as the spec asks for
 * unknown tools. Other requests (prompts, resources, completion) answer with JSON-RPC errors.
 */

export { ERROR_META_KEY };

/** Codes that mean "no such tool here": JSON-RPC errors, not tool results. */
const UNKNOWN_TOOL = new Set<SwitchboardCode>(['ToolNotFound', 'AmbiguousTool', 'ServerNotFound']);

/** Whether a failed tool call is answered as a JSON-RPC error (the name is unknown). */
export function isUnknownTool(error: unknown): boolean {
  return isSwitchboardError(error) && UNKNOWN_TOOL.has(error.code);
}

/** A JSON-RPC error to a downstream client (either era): its message goes on the wire as it is. */
export function downstreamError(code: number, message: string, data?: unknown): ProtocolError {
  return new ProtocolError(code, message, data);
}

/** The error of a tool name the gateway does not expose: -32602, as the SDK's McpServer and the spec use. */
export function unknownTool(name: string): ProtocolError {
  return downstreamError(ErrorCode.InvalidParams, `Tool ${name} not found`);
}

/**
 * A failed call as a tool result: `isError`, the message as text, and `{ code, retryAfterMs? }`
 * under `_meta["mcp-switchboard/error"]`. The message passes `redact` (secrets of any server).
 */
export function toolErrorResult(error: unknown, redact: (text: string) => string): CallToolResult {
  const info = toErrorInfo(error);
  const detail: { code: string; retryAfterMs?: number } = { code: isSwitchboardError(error) ? info.code : 'InternalError' };
  if (info.retryAfterMs !== undefined) detail.retryAfterMs = info.retryAfterMs;
  return { isError: true, content: [{ type: 'text', text: redact(info.message) }], _meta: { [ERROR_META_KEY]: detail } };
}

/** JSON-RPC codes of the switchboard's codes; the rest are -32603 (internal error). */
const JSON_RPC_CODE: Partial<Record<SwitchboardCode, number>> = {
  InvalidArguments: ErrorCode.InvalidParams,
  InvalidRequest: ErrorCode.InvalidParams,
  ToolNotFound: ErrorCode.InvalidParams,
  AmbiguousTool: ErrorCode.InvalidParams,
  PromptNotFound: ErrorCode.InvalidParams,
  AmbiguousPrompt: ErrorCode.InvalidParams,
  AmbiguousResource: ErrorCode.InvalidParams,
  ServerNotFound: ErrorCode.InvalidParams,
  NotSupported: ErrorCode.MethodNotFound,
  // The spec's "Resource not found" (-32002): the v2 SDK puts -32602 on the wire for it in both
  // eras (its era codecs map -32002 so), as the 2026-07-28 spec asks; data.code still tells.
  ResourceNotFound: ErrorCode.ResourceNotFound,
};

/**
 * A failure of a request other than tools/call as a JSON-RPC error: the switchboard's message,
 * and `data: { code, retryAfterMs? }` so a client can tell a refusal from a failure. An upstream
 * JSON-RPC error keeps its code.
 */
export function toMcpError(error: unknown, redact: (text: string) => string): ProtocolError {
  const sdkCode = jsonRpcCode(error);
  if (!isSwitchboardError(error) && sdkCode !== undefined) return downstreamError(sdkCode, redact((error as Error).message.replace(/^MCP error -?\d+: /, '')));
  const info = toErrorInfo(error);
  const code = isSwitchboardError(error) ? (JSON_RPC_CODE[error.code] ?? upstreamCode(error) ?? ErrorCode.InternalError) : ErrorCode.InternalError;
  const data: { code: string; retryAfterMs?: number } = { code: isSwitchboardError(error) ? info.code : 'InternalError' };
  if (info.retryAfterMs !== undefined) data.retryAfterMs = info.retryAfterMs;
  return downstreamError(code, redact(info.message), { [ERROR_META_KEY]: data });
}

/** The numeric JSON-RPC code of an SDK error of either era (v1 `McpError`, v2 `ProtocolError`). */
function jsonRpcCode(error: unknown): number | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' && Number.isSafeInteger(code) ? code : undefined;
}

/** The JSON-RPC code an upstream server answered with (a `ServerError` caused by an SDK error). */
function upstreamCode(error: Error & { code: SwitchboardCode }): number | undefined {
  return error.code === 'ServerError' ? jsonRpcCode((error as { cause?: unknown }).cause) : undefined;
}
