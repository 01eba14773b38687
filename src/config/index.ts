export * from './schema.js';
export { expandVariables, formatPath } from './expand.js';
export { parseConfigText } from './parse.js';
export { resolveConfig, serverNameProblem, type ResolveOptions } from './resolve.js';
export { loadConfigFile, loadConfigFileSync } from './load.js';
export { ClusterSchema, resolveCluster, DEFAULT_CLUSTER_NAME, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_HEARTBEAT_MS, DEFAULT_KEY_PREFIX, type ClusterSettings } from './clusterSchema.js';
