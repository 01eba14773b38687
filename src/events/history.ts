import { PUBLIC_EVENT_TYPES } from './types.js';

/**
 * What a service remembers of its public events, so that a page opened later sees what happened
 * before it (DESIGN §18): the last events, server logs and calls in fixed-size rings, and per
 * server one-minute buckets of calls, errors and time. Each event is numbered once (`seq`, one
 * counter across all types) and turned into redacted JSON once; the rings keep that JSON parsed
 * and every subscriber (the admin API's event stream) gets the same text.
 */

/** One minute: the width of an activity bucket. */
export const HISTORY_BUCKET_MS = 60_000;
/** The default sizes: 500 events, 200 logs, 500 calls, 30 one-minute buckets per server. */
export const HISTORY_SIZES = { events: 500, logs: 200, calls: 500, buckets: 30 } as const;
/** A `server.log` message is cut to this many characters in the ring (the stream sends it whole). */
export const MAX_HISTORY_LOG_CHARS = 1_000;
/** 16 KiB: a ring entry whose JSON is larger is kept as `{ type, server?, truncated: <bytes> }`. */
export const MAX_HISTORY_ENTRY_BYTES = 16 * 1024;
/** How many of a server's last call durations `recentMs` keeps. */
const RECENT_DURATIONS = 50;

/** One remembered event (any public event but `call.completed` and `server.log`, or a `server.log`). */
export interface HistoryEntry {
  seq: number;
  at: number;
  type: string;
  /**
   * The event as its redacted JSON reads. A log message over 1 000 characters is cut, with
   * `truncated` set to its full length; an event whose JSON passes 16 KiB is replaced by
   * `{ type, server?, truncated: <bytes> }`; one whose redacted JSON no longer parses (a secret
   * matched JSON syntax) by `{ type, server?, unreadable: true }`.
   */
  event: Record<string, unknown>;
}

/** One finished call, from its `call.completed` event (which has no arguments and no result). */
export interface CallRecord {
  seq: number;
  at: number;
  server: string;
  kind: string;
  tool: string;
  durationMs: number;
  ok: boolean;
  isError?: boolean;
  errorCode?: string;
  source?: string;
}

/** One server's recent calls, counted per minute. */
export interface ServerActivity {
  /** One-minute buckets aligned to wall-clock minutes, oldest first; the last one is the current minute. */
  calls: number[];
  errors: number[];
  totalMs: number[];
  /** Durations (ms) of this server's last calls, oldest first, at most 50. */
  recentMs: number[];
}

/** What `EventHistory.snapshot()` returns (the admin API's `GET /mcp/history`). */
export interface HistorySnapshot {
  /** The history's clock at snapshot time (epoch ms). */
  now: number;
  /** The last seq assigned (0 before any). */
  seq: number;
  /** The width of an activity bucket: 60 000. */
  bucketMs: number;
  /** Every public event except `call.completed` and `server.log`, oldest first, at most 500. */
  events: HistoryEntry[];
  /** `server.log` events, oldest first, at most 200. */
  logs: HistoryEntry[];
  /** From `call.completed`, oldest first, at most 500. */
  calls: CallRecord[];
  /** Per server with any call in the window; 30 buckets each. */
  activity: Record<string, ServerActivity>;
}

/** One event as the history numbered it, with its redacted JSON. */
export interface StreamedEvent {
  seq: number;
  at: number;
  type: string;
  json: string;
}

/** Where events come from: a switchboard's `on`. */
export interface HistorySource {
  on(type: string, listener: (event: unknown) => void): () => void;
}

export interface EventHistoryOptions {
  /** Masks secrets; applied once to each event's JSON. */
  redact(text: string): string;
  /** The clock of `at` and of the activity buckets (epoch ms). Defaults to `Date.now`. */
  now?: () => number;
  /** Ring sizes. Default to 500 events, 200 logs, 500 calls and 30 buckets. */
  sizes?: { events?: number; logs?: number; calls?: number; buckets?: number };
}

/** The bounded history of one switchboard's public events; see the module comment. */
export class EventHistory {
  private readonly redact: (text: string) => string;
  private readonly now: () => number;
  private readonly events: Ring<HistoryEntry>;
  private readonly logs: Ring<HistoryEntry>;
  private readonly calls: Ring<CallRecord>;
  private readonly buckets: number;
  /** Keyed by the server's name as the redacted events show it (what a reader sees). */
  private readonly activity = new Map<string, Activity>();
  private readonly listeners = new Set<(event: StreamedEvent) => void>();
  private readonly offs: (() => void)[];
  private seq = 0;

  constructor(source: HistorySource, options: EventHistoryOptions) {
    this.redact = options.redact;
    this.now = options.now ?? Date.now;
    const sizes = options.sizes ?? {};
    this.events = new Ring(sizes.events ?? HISTORY_SIZES.events);
    this.logs = new Ring(sizes.logs ?? HISTORY_SIZES.logs);
    this.calls = new Ring(sizes.calls ?? HISTORY_SIZES.calls);
    this.buckets = Math.max(1, sizes.buckets ?? HISTORY_SIZES.buckets);
    this.offs = PUBLIC_EVENT_TYPES.map((type) => source.on(type, (event) => this.take(type, event)));
  }

  /** Every public event as it arrives, numbered: the `/mcp/events` stream sends these. Returns the unsubscribe function. */
  subscribe(listener: (event: StreamedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  snapshot(): HistorySnapshot {
    const now = this.now();
    const current = Math.floor(now / HISTORY_BUCKET_MS);
    const activity: [string, ServerActivity][] = [];
    for (const [server, counts] of this.activity) {
      const view = counts.view(current);
      // Quiet for the whole window: forgotten (also bounds servers removed without a reload).
      if (view) activity.push([server, view]);
      else this.activity.delete(server);
    }
    return {
      now,
      seq: this.seq,
      bucketMs: HISTORY_BUCKET_MS,
      events: this.events.toArray(),
      logs: this.logs.toArray(),
      calls: this.calls.toArray(),
      // fromEntries defines own keys: a server named `__proto__` stays a key.
      activity: Object.fromEntries(activity),
    };
  }

  /** Unsubscribes from the switchboard and drops every listener. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.listeners.clear();
  }

  private take(type: string, event: unknown): void {
    const streamed: StreamedEvent = { seq: ++this.seq, at: this.now(), type, json: this.redact(JSON.stringify(event)) };
    this.keep(streamed, event as Record<string, unknown>);
    for (const listener of this.listeners) {
      try {
        listener(streamed);
      } catch {
        // One subscriber's failure is its own: the others and the rings go on.
      }
    }
  }

  private keep({ seq, at, type, json }: StreamedEvent, raw: Record<string, unknown>): void {
    if (type === 'call.completed') {
      this.keepCall(seq, at, parse(json) ?? flatRedacted(raw, this.redact));
      return;
    }
    const event = this.ringEvent(type, json, raw);
    (type === 'server.log' ? this.logs : this.events).push({ seq, at, type, event });
    if (type === 'config.reloaded') {
      // Names as the events show them (the activity's keys); from the raw event when the ring holds a note.
      const removed = Array.isArray(event.removed) ? event.removed : flatRedacted(raw, this.redact).removed;
      if (Array.isArray(removed)) for (const name of removed) this.activity.delete(String(name));
    }
  }

  private keepCall(seq: number, at: number, event: Record<string, unknown>): void {
    const record: CallRecord = {
      seq,
      at,
      server: String(event.server),
      kind: String(event.kind),
      tool: String(event.tool),
      durationMs: Number(event.durationMs),
      ok: event.ok === true,
    };
    // A uri can be as long as a request may be: the record stays small.
    if (record.tool.length > MAX_HISTORY_LOG_CHARS) record.tool = record.tool.slice(0, MAX_HISTORY_LOG_CHARS);
    if (event.isError === true) record.isError = true;
    if (typeof event.errorCode === 'string') record.errorCode = event.errorCode;
    if (typeof event.source === 'string') record.source = event.source;
    this.calls.push(record);
    let counts = this.activity.get(record.server);
    if (!counts) this.activity.set(record.server, (counts = new Activity(this.buckets)));
    counts.add(Math.floor(at / HISTORY_BUCKET_MS), record.durationMs, !record.ok || record.isError === true);
  }

  /** The event a ring keeps: parsed, a long log message cut, an oversized one replaced by a note. */
  private ringEvent(type: string, json: string, raw: Record<string, unknown>): Record<string, unknown> {
    // Only a log message can be cut down to size; any other event that large is not parsed at all.
    if (type !== 'server.log' && oversized(json)) return this.note(type, raw, { truncated: Buffer.byteLength(json) });
    const event = parse(json);
    if (!event) return this.note(type, raw, { unreadable: true });
    if (type !== 'server.log' || typeof event.message !== 'string' || event.message.length <= MAX_HISTORY_LOG_CHARS) {
      return oversized(json) ? this.note(type, raw, { truncated: Buffer.byteLength(json) }) : event;
    }
    event.truncated = event.message.length;
    event.message = event.message.slice(0, MAX_HISTORY_LOG_CHARS);
    const cut = JSON.stringify(event);
    return oversized(cut) ? this.note(type, raw, { truncated: Buffer.byteLength(json) }) : event;
  }

  private note(type: string, raw: Record<string, unknown>, what: Record<string, unknown>): Record<string, unknown> {
    return typeof raw.server === 'string' ? { type, server: this.redact(raw.server), ...what } : { type, ...what };
  }
}

/** Whether a JSON text takes more than 16 KiB as UTF-8 (measured only when it might). */
function oversized(json: string): boolean {
  if (json.length > MAX_HISTORY_ENTRY_BYTES) return true;
  return json.length * 3 > MAX_HISTORY_ENTRY_BYTES && Buffer.byteLength(json) > MAX_HISTORY_ENTRY_BYTES;
}

/** The object a redacted JSON text reads as, or undefined when the masking broke its syntax. */
function parse(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The top-level strings (and string lists) of an event, each redacted; everything else left out. */
function flatRedacted(raw: Record<string, unknown>, redact: (text: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') out[key] = redact(value);
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map((v) => redact(String(v)));
  }
  return out;
}

/** A fixed-size circular buffer: pushing past its capacity drops the oldest. */
class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.items = new Array<T | undefined>(Math.max(0, capacity));
  }

  push(item: T): void {
    if (this.capacity <= 0) return;
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity]!);
    return out;
  }
}

/** One server's per-minute counts in `buckets` slots (a slot is reused when its minute comes round again). */
class Activity {
  private readonly minutes: number[];
  private readonly calls: number[];
  private readonly errors: number[];
  private readonly totalMs: number[];
  private readonly recent = new Ring<number>(RECENT_DURATIONS);

  constructor(private readonly buckets: number) {
    this.minutes = new Array<number>(buckets).fill(Number.NaN);
    this.calls = new Array<number>(buckets).fill(0);
    this.errors = new Array<number>(buckets).fill(0);
    this.totalMs = new Array<number>(buckets).fill(0);
  }

  add(minute: number, durationMs: number, failed: boolean): void {
    const slot = this.slot(minute);
    if (this.minutes[slot] !== minute) {
      this.minutes[slot] = minute;
      this.calls[slot] = 0;
      this.errors[slot] = 0;
      this.totalMs[slot] = 0;
    }
    this.calls[slot]! += 1;
    if (failed) this.errors[slot]! += 1;
    this.totalMs[slot]! += durationMs;
    this.recent.push(durationMs);
  }

  /** The window ending at `current`, zero-filled; undefined when it holds no call. */
  view(current: number): ServerActivity | undefined {
    const view: ServerActivity = { calls: [], errors: [], totalMs: [], recentMs: this.recent.toArray() };
    let any = false;
    for (let minute = current - this.buckets + 1; minute <= current; minute++) {
      const slot = this.slot(minute);
      const live = this.minutes[slot] === minute;
      any ||= live;
      view.calls.push(live ? this.calls[slot]! : 0);
      view.errors.push(live ? this.errors[slot]! : 0);
      view.totalMs.push(live ? this.totalMs[slot]! : 0);
    }
    return any ? view : undefined;
  }

  private slot(minute: number): number {
    return ((minute % this.buckets) + this.buckets) % this.buckets;
  }
}
