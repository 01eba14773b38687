import { expect } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';

/** The issues of the ConfigError that `fn` throws; fails the test when it throws nothing or something else. */
export function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}
