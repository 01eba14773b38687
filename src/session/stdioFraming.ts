import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { brokenResponse, idFromEdges, MessageTooLargeError, substituteError } from './classify.js';

/**
 * The line framing of a stdio server's stdout, under `limits.maxMessageBytes`. It replaces the SDK
 * transport's line buffer (`ReadBuffer`, a private field), which caps the whole buffer and closes the
 * transport on an oversized read, failing every call on the server.
 *
 * Each line is capped instead, and never kept whole past the cap: its bytes are dropped as they
 * stream in, only its first and last bytes kept to find its id. An oversized response whose id can
 * be read fails just that request (a JSON-RPC error in its place, as soon as the id is known: at the
 * head, or at the tail for SDK servers, which write the id last). Anything else over the cap cannot
 * be matched to a request, so where the next message starts is unknown: the framing is lost and the
 * session must end. That is decided when the partial line passes the cap (a line that is not the
 * start of a response), never by waiting for a newline that may not come; a response whose id
 * comes last is followed to its end for at most `SKIP_FACTOR` times the cap.
 */

/** Bytes kept from each end of a dropped line to find its id. */
const EDGE = 512;

/**
 * An oversized response whose id is still unknown (or known, for an endless one) is followed for at
 * most this many times `limits.maxMessageBytes` before its framing counts as lost: an answer of
 * 50 MB under a 1 MiB cap still fails only its call, an endless line ends the session.
 */
export const SKIP_FACTOR = 64;

const ID = String.raw`(?:-?\d+|"(?:[^"\\]|\\.){0,200}")`;
const JSONRPC = String.raw`"jsonrpc"\s*:\s*"2\.0"\s*,\s*`;
/** The start of a response: `result` or `error` first, after at most `jsonrpc` and `id`, in any order. */
const RESPONSE_HEAD = new RegExp(String.raw`^\{\s*(?:${JSONRPC})?(?:"id"\s*:\s*${ID}\s*,\s*)?(?:${JSONRPC})?"(?:result|error)"\s*:`);

/** The session's stdout can no longer be split into messages. */
export class FramingLostError extends Error {
  constructor(limit: number, why: string) {
    super(`the server's output lost its message framing: ${why} (limits.maxMessageBytes is ${limit})`);
    this.name = 'FramingLostError';
  }
}

interface Skip {
  head: string;
  tail: Buffer;
  /** The request it answers got its error already. */
  reported: boolean;
  /** Bytes of the line so far. */
  bytes: number;
}

export class ScreeningReadBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  private skip: Skip | null = null;
  private ready: (JSONRPCMessage | Error)[] = [];
  private lost = false;

  /** @param onLost called once, after the messages read before the loss were handed on. */
  constructor(
    private readonly maxBytes: number,
    private readonly onLost: (error: FramingLostError) => void,
  ) {}

  append(chunk: Buffer): void {
    let start = 0;
    while (!this.lost) {
      const newline = chunk.indexOf(10, start);
      this.take(newline === -1 ? chunk.subarray(start) : chunk.subarray(start, newline));
      if (newline === -1 || this.lost) return;
      this.endLine();
      start = newline + 1;
    }
  }

  /** The next message; an error is thrown, which the SDK reports to `onerror` before it reads on. */
  readMessage(): JSONRPCMessage | null {
    const next = this.ready.shift();
    if (next instanceof Error) throw next;
    return next ?? null;
  }

  clear(): void {
    this.parts = [];
    this.size = 0;
    this.skip = null;
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    const skip = this.skip;
    if (skip) {
      skip.bytes += piece.length;
      if (skip.bytes > this.maxBytes * SKIP_FACTOR) {
        this.lose(`a line went on for more than ${SKIP_FACTOR} times the cap without ending`);
        return;
      }
      const tail = piece.length >= EDGE ? piece : Buffer.concat([skip.tail, piece]);
      skip.tail = Buffer.from(tail.subarray(Math.max(0, tail.length - EDGE)));
      return;
    }
    if (this.size + piece.length <= this.maxBytes) {
      this.parts.push(piece);
      this.size += piece.length;
      return;
    }
    const head = Buffer.concat([...this.parts, piece.subarray(0, EDGE)]).subarray(0, EDGE).toString('utf8');
    this.skip = { head, tail: Buffer.from(piece.subarray(Math.max(0, piece.length - EDGE))), reported: false, bytes: this.size + piece.length };
    this.parts = [];
    this.size = 0;
    if (!RESPONSE_HEAD.test(head.trimStart())) {
      this.lose('a line over the cap that is no response (so it answers no request)');
      return;
    }
    // An id up front settles the call now; an id at the end (SDK servers) once the line is over.
    const id = idFromEdges(head, '');
    if (id !== undefined) this.report(id);
  }

  private endLine(): void {
    if (this.skip) {
      const { head, tail, reported } = this.skip;
      this.skip = null;
      if (reported) return;
      const id = idFromEdges(head, tail.toString('utf8'));
      if (id !== undefined) this.report(id);
      else this.lose('a response over the cap without a readable id');
      return;
    }
    const line = (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)).toString('utf8').replace(/\r$/, '');
    this.parts = [];
    this.size = 0;
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.ready.push(error as Error);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (parsed.success) {
      this.ready.push(parsed.data);
      return;
    }
    const broken = brokenResponse(value, true);
    this.ready.push(broken ? substituteError(broken.id, `invalid response envelope from the server: ${broken.problem}`) : parsed.error);
  }

  private report(id: string | number): void {
    if (this.skip) this.skip.reported = true;
    this.ready.push(substituteError(id, new MessageTooLargeError(this.maxBytes).message));
  }

  /** Stops reading for good; the owner ends the session once what was read before is handed on. */
  private lose(why: string): void {
    this.lost = true;
    this.clear();
    const error = new FramingLostError(this.maxBytes, why);
    // The SDK hands on the messages read so far right after `append` returns.
    queueMicrotask(() => this.onLost(error));
  }
}
