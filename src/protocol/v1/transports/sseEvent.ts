import { brokenResponse, substituteError } from '../classify.js';

/**
 * One complete SSE event of an HTTP response, screened before the SDK reads it: a response whose
 * envelope the SDK's schema would reject is repaired into a JSON-RPC error for its request (the SDK
 * would drop it and leave the call to its deadline), and the id a response answers is reported.
 */

const encoder = new TextEncoder();

/**
 * One complete event (its lines, without terminators) as bytes, its data repaired if its envelope
 * is broken, and the id of the request it answers when it is a response.
 */
export function screenEvent(lines: Buffer[]): { bytes: Uint8Array; answers?: string | number } {
  let type: string | undefined;
  let data: string | undefined;
  const kept: string[] = [];
  for (const raw of lines) {
    const end = raw.length > 0 && raw[raw.length - 1] === 13 ? raw.length - 1 : raw.length;
    const colon = raw.indexOf(58);
    const fieldEnd = colon === -1 || colon > end ? end : colon;
    const field = raw.toString('latin1', 0, fieldEnd);
    // The value starts after the colon and one optional space.
    const valueStart = colon === -1 || colon > end ? end : raw[colon + 1] === 32 ? colon + 2 : colon + 1;
    if (field === 'data') {
      const value = raw.toString('utf8', Math.min(valueStart, end), end);
      data = data === undefined ? value : `${data}\n${value}`;
    } else {
      if (field === 'event') type = raw.toString('utf8', Math.min(valueStart, end), end);
      kept.push(raw.toString('utf8', 0, end));
    }
  }
  if ((type !== undefined && type !== 'message') || data === undefined) return { bytes: passOn(lines) };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { bytes: passOn(lines) };
  }
  const answers = responseId(value);
  const broken = brokenResponse(value);
  if (!broken) return { bytes: passOn(lines), ...(answers === undefined ? {} : { answers }) };
  const substitute = substituteError(broken.id, `invalid response envelope from the server: ${broken.problem}`);
  return { bytes: encoder.encode([...kept, `data: ${JSON.stringify(substitute)}`, '', ''].join('\n')), answers: broken.id };
}

/** The id a response answers (a message with an id and a result or an error, no method). */
function responseId(value: unknown): string | number | undefined {
  if (typeof value !== 'object' || value === null || 'method' in value) return undefined;
  const { id } = value as { id?: unknown };
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  return 'result' in value || 'error' in value ? id : undefined;
}

const NEWLINE_BYTES = Buffer.from('\n');

/** The event's lines as they came, each ended by a newline, and the blank line that ends it. */
function passOn(lines: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const line of lines) parts.push(line, NEWLINE_BYTES);
  parts.push(NEWLINE_BYTES);
  return Buffer.concat(parts);
}
