import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/**
 * A tool result checked by hand instead of by the SDK's full zod schema: the same guarantees a
 * caller relies on (an object, `content` an array of typed blocks, `structuredContent` an object,
 * `isError` a boolean) at a fraction of the cost, and the server's object passed through
 * unchanged. A result that fails the check rejects as a ZodError, classified as ProtocolError.
 */
export function isToolResult(value: unknown): value is CallToolResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const result = value as Record<string, unknown>;
  const content = result.content;
  if (content !== undefined) {
    if (!Array.isArray(content)) return false;
    for (const block of content) {
      if (block === null || typeof block !== 'object' || typeof (block as { type?: unknown }).type !== 'string') return false;
    }
  }
  const structured = result.structuredContent;
  if (structured !== undefined && (structured === null || typeof structured !== 'object' || Array.isArray(structured))) return false;
  return result.isError === undefined || typeof result.isError === 'boolean';
}

/**
 * The schema handed to `client.request` for `tools/call` (one predicate, no zod pipe on the hot
 * path); a missing `content` is filled in with [] where the call settles (`withContent`).
 */
export const ToolResultSchema = z.custom<CallToolResult>(isToolResult, { message: 'invalid tool result' });

/** The SDK's own schema defaults `content` to []; so does the switchboard. */
export function withContent(result: CallToolResult): CallToolResult {
  return result.content === undefined ? { ...result, content: [] } : result;
}
