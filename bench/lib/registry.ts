import { floorTarget, switchboardTarget, type Target } from './targets.js';

/** Targets by name; peers load lazily from bench/peers (installed by the bench runner). */
export async function loadTarget(name: string): Promise<Target> {
  switch (name) {
    case 'floor':
      return floorTarget();
    case 'switchboard':
      return switchboardTarget();
    case 'langchain':
      return (await import('./peers.js')).langchainTarget();
    case 'mastra':
      return (await import('./peers.js')).mastraTarget();
    default:
      throw new Error(`unknown target ${name}`);
  }
}
