import { describe, expect, it } from 'vitest';
import { argumentsProblem, MAX_ARGUMENT_DEPTH } from '../../src/calls/input.js';

/** Caller input checked before admission (src/calls/input.ts). */
describe('argumentsProblem', () => {
  const nested = (levels: number) => {
    let value: Record<string, unknown> = { leaf: 1 };
    for (let i = 1; i < levels; i++) value = { next: value };
    return value;
  };

  it('accepts plain JSON values up to the depth limit, and no arguments at all', () => {
    expect(argumentsProblem(undefined, 1_000)).toBeNull();
    expect(argumentsProblem({ text: 'hello', n: 1, ok: true, none: null, list: [1, 'a', { b: [] }] }, 1_000)).toBeNull();
    expect(argumentsProblem(nested(MAX_ARGUMENT_DEPTH), 100_000)).toBeNull();
  });

  it('refuses what JSON cannot carry, naming it', () => {
    expect(argumentsProblem([1], 1_000)?.message).toBe('arguments must be an object');
    expect(argumentsProblem({ a: { b: 10n } }, 1_000)?.message).toMatch(/BigInt/);
    expect(argumentsProblem({ a: [() => 1] }, 1_000)?.message).toMatch(/function/);
    expect(argumentsProblem({ a: Symbol('s') }, 1_000)?.message).toMatch(/symbol/);
  });

  it('refuses nesting beyond the limit and circular arguments', () => {
    expect(argumentsProblem(nested(MAX_ARGUMENT_DEPTH + 1), 100_000)?.message).toMatch(/nested deeper than 64/);
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(argumentsProblem(circular, 100_000)).toMatchObject({ code: 'InvalidRequest' });
  });

  it('refuses arguments larger than the cap, however they are spread', () => {
    expect(argumentsProblem({ text: 'x'.repeat(100) }, 1_000)).toBeNull();
    expect(argumentsProblem({ text: 'x'.repeat(2_000) }, 1_000)?.message).toMatch(/larger than 1000 bytes/);
    expect(argumentsProblem({ list: Array.from({ length: 200 }, () => 'abcd') }, 1_000)?.message).toMatch(/larger than 1000 bytes/);
  });
});
