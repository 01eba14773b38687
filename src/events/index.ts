/** The public events of a switchboard (DESIGN §6): their types, the hub that delivers them and a bounded history of them. */
export { EventHub } from './hub.js';
export {
  EventHistory,
  HISTORY_BUCKET_MS,
  HISTORY_SIZES,
  MAX_HISTORY_ENTRY_BYTES,
  MAX_HISTORY_LOG_CHARS,
  type CallRecord,
  type EventHistoryOptions,
  type HistoryEntry,
  type HistorySnapshot,
  type HistorySource,
  type ServerActivity,
  type StreamedEvent,
} from './history.js';
export {
  PUBLIC_EVENT_TYPES,
  type ClusterChanged,
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
