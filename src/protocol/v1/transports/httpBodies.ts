import { idFromEdges, MessageTooLargeError, substituteError } from '../classify.js';
import { screenEvent } from './sseEvent.js';

/**
 * HTTP response bodies read under `limits.maxMessageBytes`. SDK 1.32.2 reads a JSON body whole
 * (`response.json()`) and an SSE stream event by event without any limit; one 300 MB result grew a
 * host by 1.1 GiB. A JSON (or any non-SSE) body over the limit errors its stream, so `send()` and
 * with it the request reject at once. An SSE event over the limit is never kept: its bytes are
 * dropped as they arrive and the request it answers gets a JSON-RPC error instead (the SDK would
 * only report a stream error and leave the call to its deadline). The same substitution repairs
 * an event whose envelope the SDK's schema would reject (`result: 42`, result and error together).
 */

export interface BodyGuard {
  maxBytes: number;
  /** The JSON-RPC id of the request this POST carries; its SSE stream answers only that request. */
  requestId: string | number | undefined;
  /** Aborting it ends the underlying request (and closes its socket). */
  controller: AbortController;
  /** Called once when the body ended, failed or was cancelled. */
  release(): void;
  /** True for an abort the guard's owner caused on purpose (a call that ended). */
  ownAbort(error: unknown): boolean;
  /**
   * The SSE stream of a POST ended after its request was settled (answered, or ended by us), with
   * `lastEventId` the last event id it carried: a resumption from there must not happen.
   */
  settled?(lastEventId: string): void;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
/** Bytes kept from each end of a dropped message to find its id. */
const EDGE = 512;
const NEWLINE = 10;

/** Wraps `response` so that its body is read under the guard; status and headers are kept. */
export function guardBody(response: Response, guard: BodyGuard): Response {
  if (!response.body || NULL_BODY_STATUS.has(response.status)) {
    guard.release();
    return response;
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const reader = response.body.getReader();
  const events = type === 'text/event-stream' ? new SseEvents(guard.maxBytes, guard.requestId) : null;
  let bytes = 0;
  let released = false;
  const finish = (settled = false) => {
    if (released) return;
    released = true;
    guard.release();
    // The SDK resumes a POST stream that had event ids and no *result* (an error answer or a call
    // we ended count as none), and a server's event store may then replay other requests' events
    // into it (server-everything replays every stream: duplicated progress). Nothing is pending.
    const cursor = events?.lastEventId;
    if (cursor !== undefined && guard.requestId !== undefined && (settled || events!.answered)) guard.settled?.(cursor);
  };
  const stream = new ReadableStream<Uint8Array>({
    // Loops until it has something to hand on: an SSE chunk may complete no event.
    async pull(out) {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          const own = guard.ownAbort(error);
          finish(own);
          // A stream we ended for a finished call ends quietly: as an error the SDK would call it
          // a disconnect (and the session would ping).
          if (events && own) out.close();
          else out.error(error);
          return;
        }
        if (chunk.done) {
          const rest = events?.end() ?? [];
          finish();
          for (const piece of rest) out.enqueue(piece);
          out.close();
          return;
        }
        if (events) {
          const pieces = events.push(chunk.value);
          for (const piece of pieces) out.enqueue(piece);
          if (events.finished) {
            // The request this stream answers has its (substituted) answer: stop downloading.
            finish(true);
            out.close();
            guard.controller.abort(new MessageTooLargeError(guard.maxBytes));
            reader.cancel().catch(() => undefined);
            return;
          }
          if (pieces.length > 0) return;
          continue;
        }
        bytes += chunk.value.length;
        if (bytes > guard.maxBytes) {
          finish();
          const error = new MessageTooLargeError(guard.maxBytes);
          out.error(error);
          guard.controller.abort(error);
          reader.cancel(error).catch(() => undefined);
          return;
        }
        out.enqueue(chunk.value);
        return;
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return withBody(response, stream);
}

/**
 * `response` with its body read through `stream`: the SDK and the auth code read only `body`,
 * `text()` and `json()` (and status, ok, headers, which stay the original's). A new Response per
 * request copied every header into a fresh Headers object (measured: ~10% of the switchboard's
 * client CPU per HTTP call).
 */
function withBody(response: Response, stream: ReadableStream<Uint8Array>): Response {
  const bytes = async (): Promise<Buffer> => {
    const reader = stream.getReader();
    const parts: Uint8Array[] = [];
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return Buffer.concat(parts);
      parts.push(chunk.value);
    }
  };
  const text = async () => (await bytes()).toString('utf8');
  Object.defineProperties(response, {
    body: { value: stream, configurable: true },
    text: { value: text, configurable: true },
    json: { value: async () => JSON.parse(await text()) as unknown, configurable: true },
    arrayBuffer: { value: async () => new Uint8Array(await bytes()).buffer, configurable: true },
  });
  return response;
}

const encoder = new TextEncoder();

/** An SSE byte stream cut into events; each event is passed on as it was, repaired, or replaced. */
class SseEvents {
  /** A substituted answer ended the stream's one request. */
  finished = false;
  /** An answer (result or error) to the stream's request went through. */
  answered = false;
  /** The last `id:` field seen (the SDK's resumption cursor). */
  lastEventId: string | undefined;
  private lines: Buffer[] = [];
  private partial: Buffer[] = [];
  private size = 0;
  private skip: { head: string; tail: string; line: Buffer; reported: boolean } | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly requestId: string | number | undefined,
  ) {}

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (!this.finished) {
      const newline = buffer.indexOf(NEWLINE, start);
      this.take(buffer.subarray(start, newline === -1 ? buffer.length : newline), out);
      if (newline === -1 || this.finished) break;
      this.endLine(out);
      start = newline + 1;
    }
    return out;
  }

  /** What is left at the end of the stream: an unfinished event goes on as it was. */
  end(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.skip) this.endSkipped(out);
    else if (this.lines.length > 0 || this.partial.length > 0) out.push(Buffer.concat([...this.lines.flatMap((l) => [l, Buffer.from('\n')]), ...this.partial]));
    this.lines = [];
    this.partial = [];
    return out;
  }

  private take(piece: Buffer, out: Uint8Array[]): void {
    if (piece.length === 0) return;
    if (this.skip) {
      // No copy of a large piece: dropped bytes should not even become garbage.
      this.skip.line = piece.length >= EDGE ? piece.subarray(piece.length - EDGE) : lastBytes(Buffer.concat([this.skip.line, piece]));
      return;
    }
    if (this.size + piece.length <= this.maxBytes) {
      this.partial.push(piece);
      this.size += piece.length;
      return;
    }
    // Too large: keep only the edges, from here on drop every byte of this event.
    const head = Buffer.concat([...this.lines.flatMap((l) => [l, Buffer.from('\n')]), ...this.partial, piece.subarray(0, EDGE)]).subarray(0, EDGE).toString('utf8');
    this.skip = { head, tail: '', line: lastBytes(piece), reported: false };
    this.lines = [];
    this.partial = [];
    this.size = 0;
    const id = this.requestId ?? idFromEdges(head, '');
    if (id !== undefined) this.report(id, out);
    if (this.requestId !== undefined) this.finished = true;
  }

  private endLine(out: Uint8Array[]): void {
    if (this.skip) {
      const line = this.skip.line;
      if (line.length === 0 || (line.length === 1 && line[0] === 13)) this.endSkipped(out);
      else {
        this.skip.tail = this.skip.line.toString('utf8');
        this.skip.line = Buffer.alloc(0);
      }
      return;
    }
    const line = this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial);
    this.partial = [];
    this.size += 1;
    if (line.length === 0 || (line.length === 1 && line[0] === 13)) {
      const event = this.lines;
      this.lines = [];
      this.size = 0;
      if (event.length > 0) out.push(this.screen(event));
      else out.push(Buffer.from('\n'));
      return;
    }
    // `id:` (SSE field names are case-sensitive); an id containing NUL is ignored, as by the SDK's parser.
    if (line.length >= 3 && line[0] === 105 && line[1] === 100 && line[2] === 58) {
      const value = line.toString('utf8', line[3] === 32 ? 4 : 3).replace(/\r$/, '');
      if (!value.includes('\0')) this.lastEventId = value;
    }
    this.lines.push(line);
  }

  private endSkipped(out: Uint8Array[]): void {
    const skip = this.skip!;
    this.skip = null;
    if (skip.reported) return;
    const id = idFromEdges(skip.head, skip.tail.replace(/^data: ?/, ''));
    if (id !== undefined) this.report(id, out);
  }

  private screen(event: Buffer[]): Uint8Array {
    const screened = screenEvent(event);
    if (screened.answers !== undefined && screened.answers === this.requestId) this.answered = true;
    return screened.bytes;
  }

  private report(id: string | number, out: Uint8Array[]): void {
    if (this.skip) this.skip.reported = true;
    if (id === this.requestId) this.answered = true;
    out.push(encoder.encode(`data: ${JSON.stringify(substituteError(id, new MessageTooLargeError(this.maxBytes).message))}\n\n`));
  }
}

function lastBytes(buffer: Buffer): Buffer {
  return buffer.length <= EDGE ? buffer : buffer.subarray(buffer.length - EDGE);
}
