import type { Readable, Writable } from 'node:stream';
import { parseJSONRPCMessage, ProtocolErrorCode as ErrorCode, type JSONRPCMessage, type RequestId, type Transport } from '@modelcontextprotocol/server';
import type { Logger } from '../core/logger.js';
import { Outbox } from './outbox.js';
import { RefusalLog } from './refusalLog.js';

/**
 * The stdio gateway's transport, in place of the SDK's StdioServerTransport (the v1 one and the
 * v2 server package's alike: v2 2.4.0 still closes on a line over its `maxBufferSize` and writes
 * every message at once), which a host can break both ways (DESIGN §12). The v2 `serveStdio`
 * entry that picks the era runs over this transport (its `transport` option), so both eras keep
 * these bounds. The SDK's transport ends the session on a line over its 10 MiB buffer (a 30 MB
 * request stopped every upstream, exit 0, the host told nothing), says nothing to the host about
 * a line it cannot parse, and queues whatever stdout does not take without bound. Here a line over
 * `maxMessageBytes` is skipped to its newline (never held) and answered with a JSON-RPC error, a
 * bad line with -32700/-32600, and stdout is written through an `Outbox`.
 *
 * Reading follows writing (backpressure): lines are handled in batches with a turn of the event
 * loop between them, and stdin is paused while the outbox holds more than its budget, so a burst of
 * bad lines cannot make the gateway's own answers look like a host that does not read. A host is
 * stuck only when it has not taken any output for `stallMs` with responses past the allowance.
 * Refusals are logged once, then as a count per interval (`RefusalLog`).
 */

/** Options of `StdioGatewayTransport`. */
export interface StdioTransportOptions {
  /** Longest line the host may send, in bytes. */
  maxMessageBytes: number;
  /** Bytes queued for stdout before notifications are dropped. */
  maxBufferedBytes: number;
  logger?: Logger | undefined;
  /**
   * How long the host may read nothing while more than `maxBufferedBytes` of responses wait before
   * its session ends. Defaults to `STDIO_STALL_MS` (10 000 ms).
   */
  stallMs?: number;
  /** Called once when the host is stuck (see `stallMs`): the session ends. */
  onStalled?: () => void;
}

/** 10 s: how long a host with responses past `maxBufferedBytes` may read nothing before its session ends. */
export const STDIO_STALL_MS = 10_000;
/** Lines handled before the event loop gets a turn (stdout drains, timers run). */
const BATCH_LINES = 256;


/** How much of each end of a skipped line is kept to find its id. */
const EDGE = 256;
const ID = String.raw`(-?\d{1,16}|"(?:[^"\\]|\\.){0,128}")`;
/** The id as a top-level key at the start (`{"jsonrpc":"2.0","id":…` or `{"id":…`). */
const HEAD_ID = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID}`);
/** The id as the last key of the top-level object (`…,"id":5}`, as the SDK writes it). */
const TAIL_ID = new RegExp(String.raw`[,{]\s*"id"\s*:\s*${ID}\s*\}\s*$`);
/** The first key after jsonrpc/id: `result`/`error` make the line a response to one of our requests. */
const HEAD_KIND = new RegExp(String.raw`^\s*\{\s*(?:"(?:jsonrpc|id)"\s*:\s*(?:"(?:[^"\\]|\\.){0,128}"|-?\d{1,16})\s*,\s*){0,2}"(result|error|method)"`);

interface Skipped {
  head: Buffer;
  tail: Buffer;
  bytes: number;
}

/** MCP over a host's stdin/stdout with bounded reads and writes. */
export class StdioGatewayTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly outbox: Outbox;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipped: Skipped | undefined;
  private waitingForDrain = false;
  private closed = false;
  /** Input not handled yet (stdin is paused while there is any); the first from `inboxOffset`. */
  private inbox: Buffer[] = [];
  private inboxOffset = 0;
  private pumpScheduled = false;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly refusals: RefusalLog;

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
    private readonly options: StdioTransportOptions,
  ) {
    this.refusals = new RefusalLog(options.logger);
    this.outbox = new Outbox({
      maxBufferedBytes: options.maxBufferedBytes,
      // Input pauses past the budget, so what waits beyond it are answers to requests already
      // read: the host is stuck when it has read none of them for stallMs, however few bytes.
      stallBytes: 0,
      stallMs: options.stallMs ?? STDIO_STALL_MS,
      // send() always says: a message without an id is a notification.
      droppable: () => false,
      label: 'the stdio host',
      logger: options.logger,
    });
  }

  async start(): Promise<void> {
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onInputError);
    this.stdout.on('drain', this.onDrain);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const chunk = Buffer.from(`${JSON.stringify(message)}\n`, 'utf8');
    const result = this.outbox.push(chunk, !('id' in message));
    if (result === 'stalled') return this.stall();
    this.flush();
    this.armStall();
  }

  /** Past the allowance but not yet for `stallMs`: look again then, even if nothing more is sent. */
  private armStall(): void {
    if (this.stallTimer !== undefined || this.closed || this.outbox.bytes <= this.options.maxBufferedBytes) return;
    const wait = Math.max(1, (this.options.stallMs ?? STDIO_STALL_MS) - this.outbox.stuckMs());
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.closed) return;
      if (this.outbox.stalled()) void this.stall();
      else this.armStall();
    }, wait);
    this.stallTimer.unref();
  }

  private async stall(): Promise<void> {
    this.options.logger?.log('warn', `gateway: the stdio host has not read ${this.outbox.bytes} bytes of responses for ${this.outbox.stuckMs()} ms; ending the session`);
    this.options.onStalled?.();
    // The write already handed to the OS fails with EPIPE once the host lets go: expected now.
    this.stdout.on('error', () => undefined);
    this.stdout.destroy();
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onInputError);
    this.stdout.off('drain', this.onDrain);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.pending = [];
    this.skipped = undefined;
    this.inbox = [];
    this.outbox.clear();
    clearTimeout(this.stallTimer);
    this.refusals.flush();
    this.onclose?.();
  }

  /** Writes while stdout takes more; the rest waits in the outbox for `drain`. */
  private flush(): void {
    if (this.waitingForDrain) return;
    for (;;) {
      const chunk = this.outbox.take();
      if (!chunk) return;
      if (!this.stdout.write(chunk)) {
        this.waitingForDrain = true;
        return;
      }
    }
  }

  private readonly onDrain = () => {
    this.waitingForDrain = false;
    this.flush();
    // Input waited for the host to read: go on now that it does.
    if (this.inbox.length > 0 && this.outbox.bytes <= this.options.maxBufferedBytes) this.schedule();
  };

  private readonly onInputError = (error: Error) => this.onerror?.(error);

  private readonly onData = (chunk: Buffer | string) => {
    if (this.closed) return;
    this.inbox.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    if (this.inbox.length === 1) this.pump();
  };

  private schedule(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Handles up to BATCH_LINES lines of the inbox. With more left, stdin pauses and the rest waits
   * for the next turn of the event loop, or, while the outbox is over its budget, for stdout's drain.
   */
  private pump(): void {
    let lines = 0;
    while (this.inbox.length > 0 && !this.closed) {
      if (lines >= BATCH_LINES || this.outbox.bytes > this.options.maxBufferedBytes) {
        this.stdin.pause();
        if (this.outbox.bytes <= this.options.maxBufferedBytes) this.schedule();
        return;
      }
      const data = this.inbox[0]!;
      const newline = data.indexOf(10, this.inboxOffset);
      const end = newline === -1 ? data.length : newline;
      this.collect(data.subarray(this.inboxOffset, end));
      if (newline === -1) {
        this.inbox.shift();
        this.inboxOffset = 0;
        continue;
      }
      this.inboxOffset = newline + 1;
      if (this.inboxOffset >= data.length) {
        this.inbox.shift();
        this.inboxOffset = 0;
      }
      this.endLine();
      lines++;
    }
    if (!this.closed && this.stdin.isPaused()) this.stdin.resume();
  }

  /** Holds part of a line, or, once the line is too long, only its two ends. */
  private collect(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.skipped) {
      this.skipped.bytes += piece.length;
      this.skipped.tail = lastBytes([this.skipped.tail, piece]);
      return;
    }
    if (this.pendingBytes + piece.length <= this.options.maxMessageBytes) {
      this.pending.push(piece);
      this.pendingBytes += piece.length;
      return;
    }
    const parts = [...this.pending, piece];
    this.skipped = { head: Buffer.from(Buffer.concat(parts, Math.min(EDGE * 4, this.pendingBytes + piece.length)).subarray(0, EDGE)), tail: lastBytes(parts), bytes: this.pendingBytes + piece.length };
    this.pending = [];
    this.pendingBytes = 0;
  }

  private endLine(): void {
    const skipped = this.skipped;
    if (skipped) {
      this.skipped = undefined;
      this.tooLarge(skipped);
      return;
    }
    const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8').replace(/\r$/, '');
    this.pending = [];
    this.pendingBytes = 0;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.refuse(null, ErrorCode.ParseError, 'Parse error: the line is not JSON');
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(value);
    } catch {
      this.refuse(idOf(value), ErrorCode.InvalidRequest, 'Invalid Request: the line is not a JSON-RPC message');
      return;
    }
    this.onmessage?.(message);
  }

  /**
   * A line over the limit: its id, when its ends show one, gets the error; a response (to a
   * sampling or elicitation request of ours) is failed here so the upstream hears of it too.
   */
  private tooLarge(skipped: Skipped): void {
    const head = skipped.head.toString('utf8');
    const match = HEAD_ID.exec(head) ?? TAIL_ID.exec(skipped.tail.toString('utf8'));
    const id = match ? (JSON.parse(match[1]!) as RequestId) : null;
    const kind = HEAD_KIND.exec(head)?.[1];
    const message = `Request too large: a message of ${skipped.bytes} bytes is over the limit of ${this.options.maxMessageBytes} bytes (gateway.maxMessageBytes)`;
    this.refusals.warn(message);
    if ((kind === 'result' || kind === 'error') && id !== null) {
      this.onmessage?.({ jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidRequest, message } });
      return;
    }
    this.refuse(id, ErrorCode.InvalidRequest, message, false);
  }

  /** A JSON-RPC error to the host for a line it sent; the session goes on. */
  private refuse(id: RequestId | null, code: number, message: string, log = true): void {
    if (log) this.refusals.warn(message);
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }
}

/** The id of a parsed value that is not a valid message, when it has a usable one. */
function idOf(value: unknown): RequestId | null {
  const id = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

/** A copy of the last EDGE bytes (a copy: a slice would keep the whole chunk alive). */
function lastBytes(parts: Buffer[]): Buffer {
  const out: Buffer[] = [];
  let bytes = 0;
  for (let i = parts.length - 1; i >= 0 && bytes < EDGE; i--) {
    const part = parts[i]!;
    const piece = part.subarray(Math.max(0, part.length - (EDGE - bytes)));
    out.unshift(piece);
    bytes += piece.length;
  }
  return Buffer.from(Buffer.concat(out, bytes));
}
