import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Clock } from '../../../core/clock.js';
import { brokenResponse, idFromEdges, MessageTooLargeError, substituteError } from '../classify.js';
import { JsonExtent } from './jsonExtent.js';

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
 * comes last is followed to its end for at most `SKIP_FACTOR` times the cap and `SKIP_MS`.
 *
 * An id read from a dropped line is trusted only if the line was one message: a response that
 * stalls past the cap and is then continued by another message (the server's next answer glued on,
 * its newline ending the line) would otherwise blame the later call for the first one's size, or
 * swallow the later call's answer. So the line must close exactly one JSON value (`JsonExtent`),
 * its tail id must be the head id when both are there, and a tail id must belong to a request that
 * had been sent when the line began (the SDK's ids increase). Anything else loses the framing.
 */

/** Bytes kept from each end of a dropped line to find its id. */
const EDGE = 512;

/**
 * An oversized response whose id is still unknown (or known, for an endless one) is followed for at
 * most this many times `limits.maxMessageBytes` before its framing counts as lost: an answer of
 * 50 MB under a 1 MiB cap still fails only its call, an endless line ends the session.
 */
export const SKIP_FACTOR = 64;

/**
 * An oversized line must end within this many ms after it passed the cap, or its framing counts as
 * lost: a response that stalls or trickles without its newline would otherwise hold its call until
 * the deadline and keep a broken server connected. A pipe moves 64 × 10 MiB well within it.
 */
export const SKIP_MS = 5_000;

/** What the framing needs to know of the session beyond its cap. */
export interface FramingOptions {
  /** The session's clock for `SKIP_MS` (its timers are unref'd when they can be). Defaults to real timers. */
  clock?: Clock;
  /**
   * The highest numeric request id sent to the server so far, undefined before any. Without this
   * option a tail id is not checked against what was sent.
   */
  highestSentId?: () => number | undefined;
}

const realTimers: Clock = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout),
};

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
  /** The id at the head, whose request got its error already. */
  headId: string | number | undefined;
  /** Bytes of the line so far. */
  bytes: number;
  /** Where the line's JSON value ends, to tell one message from several glued together. */
  extent: JsonExtent;
  /** Ends the line as lost after `SKIP_MS`. */
  timer: unknown;
}

export class ScreeningReadBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  private skip: Skip | null = null;
  private ready: (JSONRPCMessage | Error)[] = [];
  private lost = false;
  private trusting = false;
  /** The highest request id sent when the current line's first byte arrived (see `FramingOptions`). */
  private sentAtLineStart: number | undefined;
  private readonly clock: Clock;

  /** @param onLost called once, after the messages read before the loss were handed on. */
  constructor(
    private readonly maxBytes: number,
    private readonly onLost: (error: FramingLostError) => void,
    private readonly options: FramingOptions = {},
  ) {
    this.clock = options.clock ?? realTimers;
  }

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

  /**
   * The Client that reads this channel validates every message itself (the v2 SDK's, in the modern
   * era): from now on a line is only screened for its envelope (a broken response still gets its
   * substitute answer), not parsed against the v1 schema a second time (~9 µs per message).
   */
  trustClient(): void {
    this.trusting = true;
  }

  clear(): void {
    this.parts = [];
    this.size = 0;
    this.endSkip();
  }

  private endSkip(): void {
    if (this.skip) this.clock.clearTimeout(this.skip.timer);
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
      if (!skip.extent.feed(piece)) {
        this.lose('another message followed a response over the cap on the same line');
        return;
      }
      const tail = piece.length >= EDGE ? piece : Buffer.concat([skip.tail, piece]);
      skip.tail = Buffer.from(tail.subarray(Math.max(0, tail.length - EDGE)));
      return;
    }
    if (this.size === 0) this.sentAtLineStart = this.options.highestSentId?.();
    if (this.size + piece.length <= this.maxBytes) {
      this.parts.push(piece);
      this.size += piece.length;
      return;
    }
    this.startSkip(piece);
  }

  /** The line just passed the cap: from here on only its edges and its JSON extent are kept. */
  private startSkip(piece: Buffer): void {
    const head = Buffer.concat([...this.parts, piece.subarray(0, EDGE)]).subarray(0, EDGE).toString('utf8');
    const extent = new JsonExtent();
    const single = this.parts.every((part) => extent.feed(part)) && extent.feed(piece);
    const timer = this.clock.setTimeout(() => {
      if (this.skip?.timer === timer) this.lose(`a line over the cap did not end within ${SKIP_MS} ms`);
    }, SKIP_MS);
    // A bound on a line never keeps the host alive: the session's close clears it anyway.
    (timer as { unref?: () => void } | null)?.unref?.();
    const tail = Buffer.from(piece.subarray(Math.max(0, piece.length - EDGE)));
    this.skip = { head, tail, headId: undefined, bytes: this.size + piece.length, extent, timer };
    this.parts = [];
    this.size = 0;
    if (!RESPONSE_HEAD.test(head.trimStart())) {
      this.lose('a line over the cap that is no response (so it answers no request)');
      return;
    }
    if (!single) {
      this.lose('another message followed a response over the cap on the same line');
      return;
    }
    // An id up front settles the call now; an id at the end (SDK servers) once the line is over.
    const id = idFromEdges(head, '');
    if (id === undefined) return;
    if (!this.answersSent(id)) return this.lose(`a response over the cap names request ${id}, which was not sent when it began`);
    this.skip.headId = id;
    this.report(id);
  }

  /** A response's id can be trusted only for a request already sent when its line began. */
  private answersSent(id: string | number): boolean {
    if (typeof id !== 'number' || !this.options.highestSentId) return true;
    return this.sentAtLineStart !== undefined && id <= this.sentAtLineStart;
  }

  private endLine(): void {
    if (this.skip) {
      const { head, tail, headId, extent } = this.skip;
      this.endSkip();
      // Not one closed value: a stalled response continued by another message (whose newline this
      // was). Neither its edges' ids nor the glued message can be trusted.
      if (!extent.complete()) return this.lose('a response over the cap was cut off and continued by another message');
      const tailId = idFromEdges('', tail.toString('utf8'));
      if (headId !== undefined && tailId !== undefined && tailId !== headId) return this.lose('a response over the cap ends with the id of another request');
      if (headId !== undefined) return;
      const id = idFromEdges(head, tail.toString('utf8'));
      if (id === undefined) return this.lose('a response over the cap without a readable id');
      if (!this.answersSent(id)) return this.lose(`a response over the cap names request ${id}, which was not sent when it began`);
      this.report(id);
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
    if (this.trusting) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        this.ready.push(new Error('the server sent a line that is not a JSON-RPC message'));
        return;
      }
      const broken = brokenResponse(value, false);
      this.ready.push(broken ? substituteError(broken.id, `invalid response envelope from the server: ${broken.problem}`) : (value as JSONRPCMessage));
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
    this.ready.push(substituteError(id, new MessageTooLargeError(this.maxBytes).message));
  }

  /** Stops reading for good; the owner ends the session once what was read before is handed on. */
  private lose(why: string): void {
    if (this.lost) return;
    this.lost = true;
    this.clear();
    const error = new FramingLostError(this.maxBytes, why);
    // The SDK hands on the messages read so far right after `append` returns.
    queueMicrotask(() => this.onLost(error));
  }
}
