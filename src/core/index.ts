/**
 * The base every other folder may use and that uses none of them: the error type and its table,
 * the runtime clock, the logger, the package version and the HTML page head of the served pages.
 */
export * from './abortFanout.js';
export * from './clock.js';
export * from './errors.js';
export * from './htmlPage.js';
export * from './logger.js';
export * from './text.js';
export * from './version.js';
