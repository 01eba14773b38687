import type { CallRecord as ServiceCallRecord, HistorySnapshot, ServerActivity } from '../../events/history.js';
import type { ServerStatus } from '../../servers/index.js';

/**
 * What the console knows, without the DOM: the servers' statuses, the recent events, logs and
 * calls, and each server's activity. It starts from the service's history (`GET /mcp/history`) and
 * then takes the live events of `/mcp/events`; every event carries the service's sequence number,
 * so an event that is in both (it arrived while the history was read) is taken once.
 */

/** One public event as the console keeps it. `seq` is the service's number (null when unknown). */
export interface LoggedEvent {
  seq: number | null;
  at: number;
  type: string;
  event: Record<string, unknown>;
}

/** One finished call, as the service's history keeps it; a live one may have no number. */
export type CallRecord = Omit<ServiceCallRecord, 'seq'> & { seq: number | null };

export type { HistorySnapshot, ServerActivity };

/** The console's summary strip. */
export interface Summary {
  servers: number;
  byState: Record<ServerStatus['state'], number>;
  breakersOpen: number;
  breakersHalfOpen: number;
  /** Calls per minute over the last `windowMin` minutes. */
  callsPerMin: number;
  /** Share of failed calls (errors and tool errors) in that window, or null without calls. */
  errorRate: number | null;
  windowMin: number;
  /** Median duration of the servers' last calls, or null. */
  p50Ms: number | null;
  eras: { legacy: number; modern: number };
}

export const LIMITS = { events: 500, logs: 200, calls: 500, recentMs: 50, buckets: 30 };
const BUCKET_MS = 60_000;
/** The window of the summary's rates. */
const WINDOW_MIN = 5;

/** A server as the console shows it: its status plus when the pending retry is due (page clock). */
export type ServerView = ServerStatus & { retryAt: number | null };

interface Buckets {
  /** minute number (at / BUCKET_MS) → counts */
  minutes: Map<number, { calls: number; errors: number; totalMs: number }>;
  recentMs: number[];
}

const failed = (c: Pick<CallRecord, 'ok' | 'isError'>) => !c.ok || c.isError === true;

/** How bad a server's situation is, for sorting problems first (lower is worse). */
export function severity(s: Pick<ServerStatus, 'state' | 'breaker' | 'lastError'>): number {
  if (s.state === 'error') return 0;
  if (s.breaker?.state === 'open') return 1;
  if (s.state === 'disconnected') return 2;
  if (s.breaker?.state === 'half-open') return 3;
  if (s.state === 'connecting') return 4;
  if (s.state === 'connected') return 5;
  return 6; // disabled
}

/** Whether a server needs an operator's eye (its row stands out, its stderr shows). */
export const isProblem = (s: Pick<ServerStatus, 'state' | 'breaker' | 'lastError'>): boolean => severity(s) <= 3;

/** The median of some numbers, or null. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

export class ConsoleStore {
  readonly servers = new Map<string, ServerView>();
  events: LoggedEvent[] = [];
  logs: LoggedEvent[] = [];
  calls: CallRecord[] = [];
  /** The highest service sequence number taken; a live event at or below it is a duplicate. */
  lastSeq = 0;
  /** Goes up whenever the events, logs or calls change: the lists are drawn again only then. */
  version = 0;
  private activity = new Map<string, Buckets>();
  /**
   * When each backing-off server's pending attempt is due (page clock): the time of its event to
   * `disconnected` plus the event's `retryInMs`. `/mcp/servers` reports the whole delay, not what
   * is left, so a read alone cannot tell it; a read keeps the deadline it finds here.
   */
  private retryDue = new Map<string, number>();

  /**
   * Starts over from the service's history (on load and after the event stream reconnects).
   * `pageNow` is the page's clock when the history arrived: the service's times are moved onto the
   * page's clock (live events are stamped with it), so the lists sort and read as one.
   */
  loadHistory(h: HistorySnapshot, pageNow: number = h.now): void {
    const shift = pageNow - h.now;
    const moved = (e: HistorySnapshot['events'][number]): LoggedEvent => ({ seq: e.seq, at: e.at + shift, type: e.type, event: e.event });
    this.events = h.events.slice(-LIMITS.events).map(moved);
    this.logs = h.logs.slice(-LIMITS.logs).map(moved);
    this.calls = h.calls.slice(-LIMITS.calls).map((c) => ({ ...c, at: c.at + shift }));
    // Retry deadlines from the events; a server backing off since before the history began keeps its estimate.
    const estimated = this.retryDue;
    this.retryDue = new Map();
    for (const e of this.events) if (e.type === 'server.stateChanged') this.noteState(e.event, e.at);
    for (const [name, view] of this.servers) {
      if (view.retryAt === null) continue;
      const due = this.retryDue.get(name) ?? estimated.get(name) ?? view.retryAt;
      this.retryDue.set(name, due);
      view.retryAt = due;
    }
    this.activity = new Map();
    const bucketMs = h.bucketMs || BUCKET_MS;
    const current = Math.floor(pageNow / bucketMs);
    for (const [server, a] of Object.entries(h.activity)) {
      const minutes = new Map<number, { calls: number; errors: number; totalMs: number }>();
      const n = a.calls.length;
      for (let i = 0; i < n; i++) {
        if (!a.calls[i]) continue;
        // Bucket i of n ends at the snapshot's minute; scaled to our one-minute buckets.
        const minute = Math.floor(((current - (n - 1 - i)) * bucketMs) / BUCKET_MS);
        minutes.set(minute, { calls: a.calls[i]!, errors: a.errors[i] ?? 0, totalMs: a.totalMs[i] ?? 0 });
      }
      this.activity.set(server, { minutes, recentMs: a.recentMs.slice(-LIMITS.recentMs) });
    }
    this.version += 1;
    // The history is the truth from here on (a restarted service numbers from 0 again).
    this.lastSeq = h.seq;
  }

  /**
   * Takes one live event. Returns false (and changes nothing) for one already taken from the
   * history. `at` is when it arrived.
   */
  take(seq: number | null, type: string, event: Record<string, unknown>, at: number): boolean {
    if (seq !== null) {
      if (seq <= this.lastSeq) return false;
      this.lastSeq = seq;
    }
    this.version += 1;
    if (type === 'call.completed') {
      const call: CallRecord = {
        seq,
        at,
        server: String(event.server ?? ''),
        kind: String(event.kind ?? 'tool'),
        tool: String(event.tool ?? ''),
        durationMs: Number(event.durationMs ?? 0),
        ok: event.ok === true,
      };
      if (event.isError === true) call.isError = true;
      if (typeof event.errorCode === 'string') call.errorCode = event.errorCode;
      if (typeof event.source === 'string') call.source = event.source;
      this.addCall(call);
    } else if (type === 'server.log') {
      pushBounded(this.logs, { seq, at, type, event }, LIMITS.logs);
    } else {
      pushBounded(this.events, { seq, at, type, event }, LIMITS.events);
      if (type === 'server.stateChanged') this.noteState(event, at);
      if (type === 'config.reloaded' && Array.isArray(event.removed)) for (const name of event.removed) this.activity.delete(String(name));
    }
    return true;
  }

  /** The history could not be read: nothing overlaps the live events, so every one is taken. */
  forgetSequence(): void {
    this.lastSeq = 0;
  }

  private noteState(event: Record<string, unknown>, at: number): void {
    const server = String(event.server ?? '');
    if (event.to === 'disconnected' && typeof event.retryInMs === 'number') this.retryDue.set(server, at + event.retryInMs);
    else this.retryDue.delete(server);
  }

  private addCall(call: CallRecord): void {
    pushBounded(this.calls, call, LIMITS.calls);
    let a = this.activity.get(call.server);
    if (!a) this.activity.set(call.server, (a = { minutes: new Map(), recentMs: [] }));
    const minute = Math.floor(call.at / BUCKET_MS);
    const b = a.minutes.get(minute) ?? { calls: 0, errors: 0, totalMs: 0 };
    b.calls += 1;
    if (failed(call)) b.errors += 1;
    b.totalMs += call.durationMs;
    a.minutes.set(minute, b);
    pushBounded(a.recentMs, call.durationMs, LIMITS.recentMs);
    // Keep only the buckets that can still be shown.
    if (a.minutes.size > LIMITS.buckets + 2) for (const key of a.minutes.keys()) if (key <= minute - LIMITS.buckets) a.minutes.delete(key);
  }

  /**
   * Replaces a server's status (a read of `/mcp/servers`, or an event applied to the last one),
   * keeping the deadline of its pending retry: from its event to `disconnected` when one was seen,
   * else from the first read that showed the delay (at most the whole delay late).
   */
  setServer(status: ServerStatus, now: number): ServerView {
    let retryAt: number | null = null;
    if (status.state === 'disconnected' && typeof status.retryInMs === 'number') {
      retryAt = this.retryDue.get(status.name) ?? now + status.retryInMs;
      this.retryDue.set(status.name, retryAt);
    }
    const view: ServerView = { ...status, retryAt };
    this.servers.set(status.name, view);
    return view;
  }

  removeMissing(names: ReadonlySet<string>): string[] {
    const gone = [...this.servers.keys()].filter((n) => !names.has(n));
    for (const name of gone) {
      this.servers.delete(name);
      this.retryDue.delete(name);
    }
    return gone;
  }

  /** Calls per minute of a server over the last `LIMITS.buckets` minutes, oldest first. */
  sparkline(server: string, now: number): { calls: number[]; errors: number[] } {
    const a = this.activity.get(server);
    const current = Math.floor(now / BUCKET_MS);
    const calls: number[] = [];
    const errors: number[] = [];
    for (let m = current - LIMITS.buckets + 1; m <= current; m++) {
      const b = a?.minutes.get(m);
      calls.push(b?.calls ?? 0);
      errors.push(b?.errors ?? 0);
    }
    return { calls, errors };
  }

  /** The median of a server's last call durations, or null. */
  latency(server: string): number | null {
    return median(this.activity.get(server)?.recentMs ?? []);
  }

  /** Calls and errors of one server (or all) in the last `minutes` minutes. */
  recent(now: number, minutes: number, server?: string): { calls: number; errors: number } {
    const current = Math.floor(now / BUCKET_MS);
    let calls = 0;
    let errors = 0;
    for (const [name, a] of this.activity) {
      if (server !== undefined && name !== server) continue;
      for (let m = current - minutes + 1; m <= current; m++) {
        const b = a.minutes.get(m);
        if (b) {
          calls += b.calls;
          errors += b.errors;
        }
      }
    }
    return { calls, errors };
  }

  summary(now: number): Summary {
    const byState: Summary['byState'] = { connected: 0, connecting: 0, disconnected: 0, error: 0, disabled: 0 };
    let breakersOpen = 0;
    let breakersHalfOpen = 0;
    const eras = { legacy: 0, modern: 0 };
    for (const s of this.servers.values()) {
      byState[s.state] += 1;
      if (s.breaker?.state === 'open') breakersOpen += 1;
      if (s.breaker?.state === 'half-open') breakersHalfOpen += 1;
      if (s.state === 'connected' && s.protocol) eras[s.protocol.era] += 1;
    }
    const { calls, errors } = this.recent(now, WINDOW_MIN);
    // The current minute has only partly gone by: the window is that much shorter than five minutes.
    const minutes = WINDOW_MIN - 1 + Math.max(1 / 60, (now % BUCKET_MS) / BUCKET_MS);
    const durations = [...this.activity.values()].flatMap((a) => a.recentMs);
    return {
      servers: this.servers.size,
      byState,
      breakersOpen,
      breakersHalfOpen,
      callsPerMin: calls / minutes,
      errorRate: calls === 0 ? null : errors / calls,
      windowMin: WINDOW_MIN,
      p50Ms: median(durations),
      eras,
    };
  }

  /** The servers, problems first, then by name. */
  ordered(): ServerView[] {
    return [...this.servers.values()].sort((a, b) => severity(a) - severity(b) || a.name.localeCompare(b.name));
  }

  /** A server's state and breaker transitions, newest first. */
  transitionsOf(server: string): LoggedEvent[] {
    return this.events.filter((e) => (e.type === 'server.stateChanged' || e.type === 'breaker.stateChanged') && e.event.server === server).reverse();
  }

  callsOf(server: string): CallRecord[] {
    return this.calls.filter((c) => c.server === server).reverse();
  }
}
