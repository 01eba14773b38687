import type { ActorRefFrom, AnyActorRef } from 'xstate';
import type { RecordedCall } from '../../machines/breakerModel.js';
import type { circuitBreakerMachine } from '../../machines/circuitBreaker.js';
import type { BreakerStore, CachedBreaker } from './store.js';

type Breaker = ActorRefFrom<typeof circuitBreakerMachine>;

/**
 * The breaker store of one process: each server's `circuitBreaker` actor (system id
 * `breaker:<name>`). The view is read from the actor's snapshot (no event on the hot path); only
 * refusals, half-open permits and outcomes are sent to it as events.
 */
export class LocalBreakerStore implements BreakerStore {
  constructor(private readonly lookup: (server: string) => AnyActorRef | undefined) {}

  private ref(server: string): Breaker | undefined {
    const ref = this.lookup(server) as Breaker | undefined;
    return ref && ref.getSnapshot().status === 'active' ? ref : undefined;
  }

  view(server: string): CachedBreaker | undefined {
    const snapshot = this.ref(server)?.getSnapshot();
    if (!snapshot) return undefined;
    const { epoch, openUntil, policy } = snapshot.context;
    return { state: snapshot.value, epoch, openUntil, policy };
  }

  refused(server: string): void {
    this.ref(server)?.send({ type: 'call.refused' });
  }

  acquire(server: string, requestId: string): number | undefined {
    const ref = this.ref(server);
    if (!ref) return undefined;
    ref.send({ type: 'call.acquire', requestId });
    const after = ref.getSnapshot().context;
    return after.permitted.includes(requestId) ? after.epoch : undefined;
  }

  record(server: string, calls: RecordedCall[]): void {
    const ref = this.ref(server);
    if (!ref || calls.length === 0) return;
    if (calls.length === 1) ref.send({ type: 'call.recorded', ...calls[0]! });
    else ref.send({ type: 'calls.recorded', calls });
  }
}
