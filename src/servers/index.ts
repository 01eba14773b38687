/**
 * Servers (DESIGN §2): one record per configured server and the one collection that creates,
 * replaces and deletes records; changes to the set (add, remove, reconnect, reload), their status
 * as the facade reports it, on-demand health and the roots announced to every live session.
 */
export { ServerRecord, type Pinger, type RegisteredServer } from './record.js';
export { Servers } from './servers.js';
export { ServerSet, type ServerSetPorts } from './serverSet.js';
export { ServerStatusView, type ManagerView } from './status.js';
export { describeServer, protocolOf, type ServerProtocol, type ServerStatus } from './serverView.js';
export { probeHealth, type HealthReport } from './health.js';
export { Roots } from './roots.js';
export { restartable, toManagedServer } from './managedServer.js';
export { diffServers, stableJson, type ReloadResult } from './reload.js';
export { ClosingTracker } from './closing.js';
export { loginServer, tokenKeyOf, type LoginOptions, type LoginResult } from './login.js';
