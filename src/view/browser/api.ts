/// <reference lib="dom" />
/**
 * The page's only way to the admin API: `fetch` with `Authorization: Bearer`, the token never in
 * a URL. `/mcp/events` is read with `fetch` too (an `EventSource` cannot send the header), its
 * server-sent events parsed here.
 */

/** A non-2xx answer; `status` 401 means the token was refused. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string) {
    super(message);
  }
}

/** GET or POST one admin route (a body is sent as JSON) and parse its JSON answer. */
export async function api<T>(token: string, path: string, method: 'GET' | 'POST' = 'GET', body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers, cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (signal) init.signal = signal;
  const response = await fetch(path, init);
  if (!response.ok) {
    const answer = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError(response.status, answer?.error?.message ?? `${response.status} ${response.statusText}`, answer?.error?.code);
  }
  return (await response.json()) as T;
}

/** One server-sent event; `id` is the service's sequence number of it, when it has one. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * An incremental parser of the `text/event-stream` format (WHATWG HTML §9.2): `push` text as it
 * arrives, complete events are handed to `onEvent`. Handles CRLF/CR/LF, multi-line `data`,
 * comments and fields without a value; `id` is passed on with its event (the page takes each
 * numbered event once), `retry` is ignored (the page re-reads its state on every reconnect).
 */
export function sseParser(onEvent: (event: SseEvent) => void): { push(text: string): void } {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) onEvent({ event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}) });
      event = '';
      data = [];
      id = undefined;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  };
  return {
    push(text) {
      buffer += text;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        // A lone CR at the end may be the first half of a CRLF: wait for more.
        if (!match || (match[0] === '\r' && match.index === buffer.length - 1)) break;
        line(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    },
  };
}

/** Reads `/mcp/events` until it ends or `signal` aborts; throws ApiError on a refused request. */
export async function readEvents(token: string, path: string, signal: AbortSignal, onEvent: (event: SseEvent) => void): Promise<void> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, cache: 'no-store', signal });
  if (!response.ok || !response.body) throw new ApiError(response.status, `event stream: ${response.status} ${response.statusText}`);
  const parser = sseParser(onEvent);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.push(value);
    }
  } finally {
    reader.releaseLock();
  }
}
