/** The public events of a switchboard (DESIGN §6): their types and the hub that delivers them. */
export { EventHub } from './hub.js';
export {
  PUBLIC_EVENT_TYPES,
  type ConfigRejected,
  type ConfigReloaded,
  type EventOf,
  type ResourceUpdated,
  type ServerLog,
  type ServerStateChangedEvent,
  type SwitchboardEvent,
  type SwitchboardEventMap,
  type SwitchboardEventType,
} from './types.js';
