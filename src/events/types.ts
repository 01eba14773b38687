import type { ServerStateChanged } from '../../machines/connectionTypes.js';
import type { ServerProtocol } from '../../machines/types.js';
import type { ManagerEmitted } from '../../machines/manager.js';
import type { CallCompleted } from '../calls/index.js';
import type { ConfigIssue } from '../core/errors.js';

/**
 * A server's connection changed state. To `connected` it carries `protocol`, the era and version of
 * the new session (DESIGN §15); other transitions have no `protocol` key.
 */
export type ServerStateChangedEvent = ServerStateChanged & { protocol?: ServerProtocol };

/** A log line a server sent (`notifications/message`) or wrote to stderr, or a runtime note. */
export interface ServerLog {
  type: 'server.log';
  server: string;
  level: string;
  message: string;
}

/** A resource this switchboard subscribed to changed on its server (`notifications/resources/updated`). */
export interface ResourceUpdated {
  type: 'resource.updated';
  server: string;
  uri: string;
}

/** A reload took effect (DESIGN §13). */
export interface ConfigReloaded {
  type: 'config.reloaded';
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

/** A new config was refused; what runs is unchanged. */
export interface ConfigRejected {
  type: 'config.rejected';
  issues: ConfigIssue[];
}

/**
 * The cluster's Redis went down or came back (DESIGN §16). While down, every replica serves on
 * local state; `reason` (secrets masked) says why. Back up, shared state is re-read.
 */
export interface ClusterChanged {
  type: 'cluster.changed';
  redis: 'up' | 'down';
  reason?: string;
}

/**
 * Every public event: what the machines emit (relayed by the manager) plus what the facade adds
 * per call and per log line. `call.unroutable` is internal and not part of it.
 */
export type SwitchboardEvent = Exclude<ManagerEmitted, { type: 'call.unroutable' | 'server.stateChanged' }> | ServerStateChangedEvent | CallCompleted | ServerLog | ResourceUpdated | ConfigReloaded | ConfigRejected | ClusterChanged;

export type SwitchboardEventType = SwitchboardEvent['type'];

/** The typed listener map, derived from the event union. */
export type SwitchboardEventMap = {
  [E in SwitchboardEvent as E['type']]: (event: E) => void;
};

/** The event of one type. */
export type EventOf<T extends SwitchboardEventType> = Extract<SwitchboardEvent, { type: T }>;

/** Every public event type, at run time (a missing or unknown type is a compile error). */
export const PUBLIC_EVENT_TYPES = Object.keys({
  'server.stateChanged': true,
  'breaker.stateChanged': true,
  'tools.changed': true,
  'resources.changed': true,
  'prompts.changed': true,
  'resource.updated': true,
  'call.completed': true,
  'server.log': true,
  'config.reloaded': true,
  'config.rejected': true,
  'cluster.changed': true,
  error: true,
} satisfies Record<SwitchboardEventType, true>) as SwitchboardEventType[];
