import type { RuntimeClock } from '../core/clock.js';

/** Stale entries tolerated beyond the live ones before a rebuild (small tables never rebuild). */
const STALE_SLACK = 64;

/**
 * Call deadlines on one timer: a min-heap of (deadline, key) and a single clock timer armed for
 * the earliest. A timer per call cost an allocation and two timer-list operations per call (and
 * garbage), measured on the hot path; here a call pays one heap push. Entries are never removed
 * from the heap when a call settles or its deadline moves: when the timer fires, each popped entry
 * is checked against `isDue` (lazy deletion), so a stale one costs nothing but its pop. Under
 * sustained load the table never empties, so settled calls' entries would pile up for a whole
 * call timeout (a million of them at 20 000 calls/s and the default 60 s, and every major GC
 * walking them): once stale entries outnumber live ones the heap is rebuilt from the current ones,
 * which keeps it within twice the calls in flight at O(log n) amortized per call.
 */
export class DeadlineQueue {
  private heap: { at: number; key: string }[] = [];
  private timer: unknown = undefined;
  private armedAt = Infinity;

  /**
   * @param isDue whether the call `key` is still live and due at `now` (its current deadline passed).
   * @param expire ends one due call.
   * @param live how many calls are live (each has one current entry; the rest are stale).
   */
  constructor(
    private readonly clock: RuntimeClock,
    private readonly isDue: (key: string, now: number) => boolean,
    private readonly expire: (key: string) => void,
    private readonly live: () => number,
  ) {}

  /** Entries in the heap, stale ones included (for tests and diagnostics). */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `key` at time `at` (an earlier entry of the same key stays, and is skipped when popped). */
  add(key: string, at: number): void {
    const heap = this.heap;
    const entry = { at, key };
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
    if (at < this.armedAt) this.arm(at);
    if (heap.length > 2 * this.live() + STALE_SLACK) this.rebuild();
  }

  /** Stops the timer and forgets every deadline. */
  clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
    this.heap.length = 0;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, at - this.clock.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    const due: string[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const { key } = this.pop();
      if (this.isDue(key, now)) due.push(key);
    }
    // With nothing live left, no timer stays armed (it would keep a host's event loop alive).
    this.compact();
    if (this.heap.length > 0) this.arm(this.heap[0]!.at);
    for (const key of due) this.expire(key);
  };

  private pop(): { at: number; key: string } {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        const at = (j: number) => (j === i ? last.at : heap[j]!.at);
        if (left < heap.length && heap[left]!.at < at(smallest)) smallest = left;
        if (right < heap.length && heap[right]!.at < at(smallest)) smallest = right;
        if (smallest === i) break;
        heap[i] = heap[smallest]!;
        i = smallest;
      }
      heap[i] = last;
    }
    return top;
  }

  /**
   * Keeps only current entries: a live call's entry at or after its deadline. Superseded ones (its
   * deadline moved later, as progress does) go too, or a long call reporting progress would keep
   * the heap above the bound and rebuild it on every add. A sorted array is a valid min-heap; the
   * armed timer stays (firing early is harmless).
   */
  private rebuild(): void {
    const kept = this.heap.filter((entry) => this.isDue(entry.key, entry.at));
    kept.sort((a, b) => a.at - b.at);
    this.heap = kept;
  }

  /** Drops entries of settled calls from the heap's top, so an idle table arms no timer. */
  private compact(): void {
    const far = Infinity;
    while (this.heap.length > 0 && !this.isDue(this.heap[0]!.key, far)) this.pop();
  }
}
