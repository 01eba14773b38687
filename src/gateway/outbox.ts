import type { Logger } from '../logger.js';

/**
 * What waits to be written to one downstream client (the stdio gateway's stdout, one `/mcp` SSE
 * stream), bounded like `/mcp/events`. A client that stops reading must not grow the process:
 * past `maxBufferedBytes` the oldest notifications (log lines, progress, list_changed, keep-alive
 * comments) are dropped, with one warning per episode. Responses and server → client requests
 * are never dropped — a client waits for them — so they are queued past the budget; only when
 * `maxBufferedBytes + stallBytes` are queued already is the client taken as stuck, and the owner
 * ends its stream (`push` answers `stalled`).
 */

/** Options of an `Outbox`. */
export interface OutboxOptions {
  /** Bytes queued before notifications are dropped. */
  maxBufferedBytes: number;
  /** Further bytes of responses queued past `maxBufferedBytes` before the client counts as stuck. */
  stallBytes: number;
  /** Tells whether a queued chunk may be dropped; asked only under pressure. */
  droppable(chunk: Uint8Array): boolean;
  /** Names the client in the warnings, e.g. `stdio` or `/mcp session 1f0c…`. */
  label: string;
  /** Gets the warnings. Defaults to none. */
  logger?: Logger | undefined;
}

interface Entry {
  chunk: Uint8Array;
  /** Unknown until asked; asking may parse the chunk. */
  droppable: boolean | undefined;
  gone: boolean;
}

/** The result of `push`. */
export type PushResult = 'queued' | 'dropped' | 'stalled';

/** The bounded queue of one downstream stream. */
export class Outbox {
  private entries: Entry[] = [];
  private head = 0;
  /** Entries before it are gone or not droppable: eviction resumes here (amortized O(1)). */
  private scan = 0;
  private queued = 0;
  /** Notifications dropped since the client last caught up. */
  private dropped = 0;

  constructor(private readonly options: OutboxOptions) {}

  /** Bytes queued now. */
  get bytes(): number {
    return this.queued;
  }

  /** Queues a chunk. `droppable` may be given when the caller knows it (else `options.droppable` decides). */
  push(chunk: Uint8Array, droppable?: boolean): PushResult {
    const size = chunk.byteLength;
    if (this.queued + size <= this.options.maxBufferedBytes) return this.append(chunk, droppable);
    const entry: Entry = { chunk, droppable, gone: false };
    if (this.isDroppable(entry)) {
      this.evict(size);
      if (this.queued + size > this.options.maxBufferedBytes) {
        this.drop();
        return 'dropped';
      }
      return this.append(chunk, true);
    }
    if (this.queued > this.options.maxBufferedBytes + this.options.stallBytes) return 'stalled';
    return this.append(chunk, false);
  }

  /** Takes queued chunks, oldest first, up to about `maxBytes` (at least one); undefined when empty. */
  take(maxBytes = 64 * 1024): Uint8Array | undefined {
    const taken: Uint8Array[] = [];
    let bytes = 0;
    while (this.head < this.entries.length && (taken.length === 0 || bytes + this.entries[this.head]!.chunk.byteLength <= maxBytes)) {
      const entry = this.entries[this.head++]!;
      if (entry.gone) continue;
      taken.push(entry.chunk);
      bytes += entry.chunk.byteLength;
    }
    this.queued -= bytes;
    this.compact();
    if (this.queued === 0 && this.dropped > 0) {
      this.options.logger?.log('warn', `gateway: ${this.options.label} caught up; ${this.dropped} notification(s) were dropped while it did not read`);
      this.dropped = 0;
    }
    return taken.length === 0 ? undefined : taken.length === 1 ? taken[0] : concat(taken, bytes);
  }

  /** Forgets everything queued (the stream ended). */
  clear(): void {
    this.entries = [];
    this.head = 0;
    this.scan = 0;
    this.queued = 0;
    this.dropped = 0;
  }

  private append(chunk: Uint8Array, droppable: boolean | undefined): PushResult {
    this.entries.push({ chunk, droppable, gone: false });
    this.queued += chunk.byteLength;
    return 'queued';
  }

  /** Drops the oldest notifications until `size` more bytes fit, or none is left to drop. */
  private evict(size: number): void {
    this.scan = Math.max(this.scan, this.head);
    while (this.queued + size > this.options.maxBufferedBytes && this.scan < this.entries.length) {
      const entry = this.entries[this.scan++]!;
      if (entry.gone || !this.isDroppable(entry)) continue;
      entry.gone = true;
      this.queued -= entry.chunk.byteLength;
      entry.chunk = EMPTY;
      this.drop();
    }
  }

  private isDroppable(entry: Entry): boolean {
    entry.droppable ??= this.options.droppable(entry.chunk);
    return entry.droppable;
  }

  private drop(): void {
    if (this.dropped++ === 0) {
      this.options.logger?.log('warn', `gateway: ${this.options.label} is not reading; dropping notifications past ${this.options.maxBufferedBytes} queued bytes (gateway.maxBufferedBytes)`);
    }
  }

  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
      this.scan = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.scan = Math.max(0, this.scan - this.head);
      this.head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
