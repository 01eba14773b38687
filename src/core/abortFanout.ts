/**
 * One `abort` listener per signal, however many waiters share it. A caller that passes one
 * AbortSignal to many concurrent calls (or the library's own attempt signal, shared by a burst of
 * re-subscriptions and relistings) put one listener on it per waiter, and past ten Node printed a
 * MaxListenersExceededWarning into the host's stderr. Here each signal gets a single listener that
 * runs every waiter's callback; it is removed when the last waiter leaves.
 */

interface Waiters {
  callbacks: Set<() => void>;
  fire: () => void;
}

export class AbortFanout {
  private readonly open = new WeakMap<AbortSignal, Waiters>();

  /**
   * Runs `onAbort` once when `signal` aborts (in a microtask if it already has), until the returned
   * function is called. Each call of `join` is its own waiter, even with the same callback.
   */
  join(signal: AbortSignal, onAbort: () => void): () => void {
    if (signal.aborted) {
      let left = false;
      queueMicrotask(() => {
        if (!left) onAbort();
      });
      return () => {
        left = true;
      };
    }
    let waiters = this.open.get(signal);
    if (!waiters) {
      const created: Waiters = {
        callbacks: new Set(),
        fire: () => {
          this.open.delete(signal);
          const callbacks = [...created.callbacks];
          created.callbacks.clear();
          for (const callback of callbacks) callback();
        },
      };
      waiters = created;
      this.open.set(signal, created);
      signal.addEventListener('abort', created.fire, { once: true });
    }
    const own = waiters;
    // A wrapper per join: two waiters with the same callback must not share one Set entry.
    const member = () => onAbort();
    own.callbacks.add(member);
    return () => {
      if (!own.callbacks.delete(member) || own.callbacks.size > 0) return;
      signal.removeEventListener('abort', own.fire);
      if (this.open.get(signal) === own) this.open.delete(signal);
    };
  }
}

/** The fan-out shared by the library's own signals (attempt signals, per-request children). */
export const sharedAborts = new AbortFanout();
