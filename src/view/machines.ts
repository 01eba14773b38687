import { circuitBreakerMachine } from '../../machines/circuitBreaker.js';
import { serverConnectionMachine } from '../../machines/serverConnection.js';
import { machineGraph, type MachineGraph } from './graph.js';

/** The two statecharts every server runs, as the live view draws them. */
export interface ViewMachines {
  connection: MachineGraph;
  breaker: MachineGraph;
}

let cached: ViewMachines | undefined;

/** The graphs of the connection and breaker machines, read once from their definitions. */
export function viewMachines(): ViewMachines {
  cached ??= { connection: machineGraph(serverConnectionMachine), breaker: machineGraph(circuitBreakerMachine) };
  return cached;
}
