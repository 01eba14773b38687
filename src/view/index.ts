/**
 * The offline live view (DESIGN §14): the page, its bundle and the statecharts, for `serve` to
 * mount at `/` and `/view/*` behind its Host/Origin checks.
 */
export { createLiveView, CONTENT_SECURITY_POLICY, LIVE_VIEW_PATHS, type LiveViewOptions, type ViewResponse } from './router.js';
export { liveViewHtml } from './html.js';
export { machineGraph, type GraphEdge, type GraphEdgeKind, type GraphNode, type MachineGraph } from './graph.js';
export { viewMachines, type ViewMachines } from './machines.js';
