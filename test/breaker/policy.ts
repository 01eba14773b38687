import type { BreakerPolicy } from '../../machines/breakerModel.js';
import { DEFAULT_POLICY } from '../../src/config/schema.js';

/** The default breaker policy, as the machines take it. */
export const DEFAULT_BREAKER_POLICY_FOR_TESTS: BreakerPolicy = { ...DEFAULT_POLICY.breaker } as BreakerPolicy;
