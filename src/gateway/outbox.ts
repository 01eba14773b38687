import type { Logger } from '../core/logger.js';

/**
 * What waits to be written to one downstream client (the stdio gateway's stdout, one `/mcp` SSE
 * stream), bounded like `/mcp/events`. A client that stops reading must not grow the process:
 * past `maxBufferedBytes` the oldest notifications (log lines, progress, list_changed, keep-alive
 * comments) are dropped, with one warning per episode, and the dropped entries themselves are
 * forgotten (compacted), so memory stays flat however long the client does not read. Responses and
 * server → client requests are never dropped — a client waits for them — so they are queued past
 * the budget; only when `maxBufferedBytes + stallBytes` are queued already and the client has not
 * taken anything for `stallMs` is it taken as stuck, and the owner ends its stream (`push` or
 * `stalled()` answer so). A single notification larger than the whole budget on an empty queue is
 * not the client's fault: it is queued, not dropped.
 */

/** Options of an `Outbox`. */
export interface OutboxOptions {
  /** Bytes queued before notifications are dropped. */
  maxBufferedBytes: number;
  /** Further bytes of responses queued past `maxBufferedBytes` before the client may count as stuck. */
  stallBytes: number;
  /**
   * How long the client must also have taken nothing before it counts as stuck: producing much in
   * one burst is not the client's fault, not reading for a while is. Defaults to 0 (bytes alone).
   */
  stallMs?: number;
  /** Tells whether a queued chunk may be dropped; asked only under pressure. */
  droppable(chunk: Uint8Array): boolean;
  /** Names the client in the warnings, e.g. `stdio` or `/mcp session 1f0c…`. */
  label: string;
  /** Gets the warnings. Defaults to none. */
  logger?: Logger | undefined;
  /** The clock of `stallMs` and `stuckMs`. Defaults to `Date.now`. */
  now?: () => number;
}

interface Entry {
  chunk: Uint8Array;
  /** Unknown until asked; asking may parse the chunk. */
  droppable: boolean | undefined;
  gone: boolean;
}

/** The result of `push`. */
export type PushResult = 'queued' | 'dropped' | 'stalled';

/** Evicted entries kept before compacting: compaction then costs no more than what was evicted (amortized O(1)). */
const MIN_COMPACT = 1024;

/** The bounded queue of one downstream stream. */
export class Outbox {
  private entries: Entry[] = [];
  private head = 0;
  /** Entries before it are gone or not droppable: eviction resumes here (amortized O(1)). */
  private scan = 0;
  /** Entries at or after `head` marked gone, not yet compacted away. */
  private gone = 0;
  private queued = 0;
  /** Notifications dropped since the client last caught up. */
  private dropped = 0;
  /** When the client last took something, or when the queue last filled from empty. */
  private progressAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: OutboxOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Bytes queued now. */
  get bytes(): number {
    return this.queued;
  }

  /** Entries held now, dropped ones not yet compacted included: what the queue costs besides its bytes. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /** Milliseconds the queue has held unread bytes without the client taking any (0 when empty). */
  stuckMs(): number {
    return this.queued === 0 ? 0 : Math.max(0, this.now() - this.progressAt);
  }

  /** Whether the client counts as stuck: responses past the budget and the allowance, unread for `stallMs`. */
  stalled(): boolean {
    return this.queued > this.options.maxBufferedBytes + this.options.stallBytes && this.stuckMs() >= (this.options.stallMs ?? 0);
  }

  /** Queues a chunk. `droppable` may be given when the caller knows it (else `options.droppable` decides). */
  push(chunk: Uint8Array, droppable?: boolean): PushResult {
    const size = chunk.byteLength;
    if (this.queued + size <= this.options.maxBufferedBytes) return this.append(chunk, droppable);
    const entry: Entry = { chunk, droppable, gone: false };
    if (this.isDroppable(entry)) {
      this.evict(size);
      // Nothing left ahead of it: one large notification is not a sign of a client that does not read.
      if (this.queued + size > this.options.maxBufferedBytes && this.queued > 0) {
        this.drop();
        return 'dropped';
      }
      return this.append(chunk, true);
    }
    if (this.stalled()) return 'stalled';
    return this.append(chunk, false);
  }

  /** Takes queued chunks, oldest first, up to about `maxBytes` (at least one); undefined when empty. */
  take(maxBytes = 64 * 1024): Uint8Array | undefined {
    const taken: Uint8Array[] = [];
    let bytes = 0;
    while (this.head < this.entries.length && (taken.length === 0 || bytes + this.entries[this.head]!.chunk.byteLength <= maxBytes)) {
      const entry = this.entries[this.head++]!;
      if (entry.gone) {
        this.gone--;
        continue;
      }
      taken.push(entry.chunk);
      bytes += entry.chunk.byteLength;
    }
    this.queued -= bytes;
    this.progressAt = this.now();
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
    this.gone = 0;
    this.queued = 0;
    this.dropped = 0;
  }

  private append(chunk: Uint8Array, droppable: boolean | undefined): PushResult {
    if (this.queued === 0) this.progressAt = this.now();
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
      this.gone++;
      this.queued -= entry.chunk.byteLength;
      entry.chunk = EMPTY;
      this.drop();
    }
    this.compact();
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

  /**
   * Forgets taken and dropped entries once they are at least half of what is held (and more than
   * MIN_COMPACT): each pass costs no more than the entries it removes, so a client that never reads
   * keeps only live entries (bounded by the budget) however many notifications pass it by.
   */
  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
      this.scan = 0;
      this.gone = 0;
      return;
    }
    const waste = this.head + this.gone;
    if (waste <= MIN_COMPACT || waste * 2 <= this.entries.length) return;
    const kept: Entry[] = [];
    let scan = 0;
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.gone) continue;
      if (i < this.scan) scan++;
      kept.push(entry);
    }
    this.entries = kept;
    this.head = 0;
    this.gone = 0;
    this.scan = scan;
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
