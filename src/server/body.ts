import type { Context } from 'hono';
import { z } from 'zod';
import { HttpError } from './httpErrors.js';

/**
 * The body rules every POST route of the admin API shares: the body is JSON (the 415 and 413
 * checks ran before), it matches the route's strict schema (unknown keys are a 400 like any other
 * mistake), and the first problem is named with its key path.
 */

/**
 * The routing keys every request body may carry: `server` (route there), `timeoutMs` (the
 * deadline) and `headers` (per-call HTTP headers for that request to an http or sse server,
 * DESIGN §17: secrets, checked and masked by the library like any per-call header).
 */
export const ROUTING_FIELDS = {
  server: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
  headers: z.record(z.string(), z.string()).optional(),
};

/**
 * `source`: a label for where a call comes from, carried in its `call.completed` event (the live
 * view sends `live-view`). Letters, digits, `.`, `_` and `-`, 1 to 64 of them: it is shown as is.
 */
export const SOURCE_FIELD = {
  source: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a source is 1 to 64 letters, digits, ".", "_" or "-"')
    .optional(),
};

/** A parsed body: `data` as the schema shaped it, `raw` as the client sent it. */
export interface ParsedBody<T> {
  data: T;
  /**
   * The parsed JSON unchanged. zod's record output drops a `__proto__` key (it assigns into a
   * fresh object); the raw JSON keeps it as an own property, so arguments are taken from here.
   */
  raw: Record<string, unknown>;
}

/** Reads and checks a JSON body; throws 400 `InvalidRequest` naming the first problem. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<ParsedBody<z.output<S>>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HttpError(400, 'InvalidRequest', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(400, 'InvalidRequest', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return { data: parsed.data, raw: raw as Record<string, unknown> };
}

/** The library's per-request options `requestOptions` builds. */
export interface BodyRequestOptions {
  signal: AbortSignal;
  server?: string;
  timeoutMs?: number;
  source?: string;
  headers?: Record<string, string>;
}

/** `{ server?, timeoutMs?, source?, headers? }` of a body as the library's per-request options, with the caller's signal. */
export function requestOptions(
  body: { server?: string | undefined; timeoutMs?: number | undefined; source?: string | undefined; headers?: Record<string, string> | undefined },
  signal: AbortSignal,
): BodyRequestOptions {
  const options: BodyRequestOptions = { signal };
  if (body.headers !== undefined) options.headers = body.headers;
  if (body.server !== undefined) options.server = body.server;
  if (body.timeoutMs !== undefined) options.timeoutMs = body.timeoutMs;
  if (body.source !== undefined) options.source = body.source;
  return options;
}
