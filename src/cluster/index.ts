/**
 * Replicas acting as one on Redis (DESIGN §16): the `ClusterBus` seam (Redis in production,
 * memory in tests), the `Cluster` a switchboard holds (membership, heartbeats, Redis up/down) and
 * the `ClusterContext` every sharing part is given. `redisBus.ts` is not re-exported here: it
 * imports node-redis's types, and `Cluster.start()` loads it (and `redis`) only when a cluster is
 * configured.
 */
export type { ClusterBus, ClusterContext, LeaseState, ReplicaSeen } from './bus.js';
export { MemoryBus, MemoryEngine } from './memoryBus.js';
export { AttachedBus } from './attachedBus.js';
export { Cluster, defaultReplicaId, REPLICA_TTL_MS, REPLICAS_KEY, type ClusterOptions, type ClusterStatus } from './cluster.js';
export { createSharedTokenStore, openSharedTokens, type SharedTokenStore } from './sharedTokens.js';
export { SharedBreakers, type SharedBreakerStats } from './sharedBreakers.js';
export { HealthLeader, HEALTH_CHANNEL } from './leader.js';
export { startClusterReload, RELOAD_CHANNEL, type ClusterReload } from './reload.js';
