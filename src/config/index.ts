export * from './schema.js';
export { expandVariables, formatPath } from './expand.js';
export { parseConfigText } from './parse.js';
export { resolveConfig, serverNameProblem, type ResolveOptions } from './resolve.js';
export { loadConfigFile, loadConfigFileSync } from './load.js';
