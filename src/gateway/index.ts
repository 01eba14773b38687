/** The switchboard as one MCP server (DESIGN §12): re-exports only. */
export { createGateway, Gateway, type GatewayOptions } from './gateway.js';
export { createGatewayRouter, gatewayHandlers, GatewayRouter } from './router.js';
export { createGatewayHttpHandler, type GatewayHttpHandler, type GatewayHttpOptions } from './http.js';
export { ERROR_META_KEY } from './errors.js';
export { serveStdio, type StdioEnd, type StdioGateway, type StdioOptions } from './stdio.js';
