/**
 * The modern era's door (2026-07-28, `@modelcontextprotocol/client` 2.x): only select.ts opens it.
 */
export { httpChannel } from './http.js';
export { isModernError, modernConnectFailure, openModern } from './session.js';
