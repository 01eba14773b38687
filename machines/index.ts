export * from './types.js';
export * from './backoff.js';
export * from './breakerModel.js';
export * from './catalog.js';
export * from './circuitBreaker.js';
export * from './serverConnection.js';
export * from './manager.js';
