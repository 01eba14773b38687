import { runBounded } from '../helpers/bounded.js';
import { describe, expect, it } from 'vitest';
import { compileUriTemplate, type MatchBudget, TEMPLATE_LIMITS, uriTemplateProblem } from '../../src/routing/uriTemplate.js';

const matches = (template: string, uri: string, budget: MatchBudget = { steps: 1e9 }) => compileUriTemplate(template)!.matches(uri, budget);

describe('compileUriTemplate', () => {
  it('charges every call to its budget and answers false when the budget runs out', () => {
    const template = `${'{+a}'.repeat(15)}{p}`;
    const uri = 'x'.repeat(10_000);
    const ample = { steps: 1e9 };
    expect(matches(template, uri, ample)).toBe(true);
    const spent = 1e9 - ample.steps;
    expect(spent).toBeGreaterThan(10_000 * 16);
    const small = { steps: spent / 2 };
    expect(matches(template, uri, small)).toBe(false);
    // Stops at the first character past the budget: it may pass it by one character's states.
    expect(small.steps).toBeLessThanOrEqual(0);
    expect(small.steps).toBeGreaterThan(-1_000);
  });

  it('rejects by length and literal pieces before running the automaton', () => {
    const budget = { steps: 1e9 };
    expect(matches(`${'{+a}'.repeat(16)}!`, 'x'.repeat(10_000), budget)).toBe(false);
    expect(matches(`{+a}/needle/{+b}`, 'x'.repeat(10_000), budget)).toBe(false);
    expect(matches('{+a}{+b}{+c}', 'xy', budget)).toBe(false);
    // Charged for scanning the uri for "/needle/", and no more: no state was visited.
    expect(1e9 - budget.steps).toBeGreaterThanOrEqual(10_000);
    expect(1e9 - budget.steps).toBeLessThanOrEqual(3 * 10_010);
  });

  it('keeps a compiled automaton only while the cache has room', () => {
    const none = { states: 0 };
    const tight = compileUriTemplate('file:///{+path}', none)!;
    for (let i = 0; i < 3; i++) expect(tight.matches('file:///a')).toBe(true);
    expect(none.states).toBe(0);
    const room = { states: 1_000 };
    const kept = compileUriTemplate('file:///{+path}', room)!;
    expect(kept.matches('file:///a')).toBe(true);
    const after = room.states;
    expect(after).toBeLessThan(1_000);
    expect(kept.matches('file:///b')).toBe(true);
    expect(room.states).toBe(after);
  });

  it('names why a template is not used for routing, with the caps as defaults', () => {
    expect(TEMPLATE_LIMITS).toEqual({ maxLength: 1024, maxExpressions: 16, maxSteps: 1_500_000 });
    expect(uriTemplateProblem('x://{a}')).toBeUndefined();
    expect(uriTemplateProblem('{a}'.repeat(17))).toBe('more than 16 expressions');
    expect(uriTemplateProblem(`x://${'a'.repeat(1021)}`)).toBe('longer than 1024 characters');
    expect(uriTemplateProblem('x://{a')).toBe('an unclosed "{"');
    expect(uriTemplateProblem('{a}'.repeat(17), { maxExpressions: 17 })).toBeUndefined();
  });

  it('bounds a call without a budget: {/a*}×1000 and {+a}×1000 against a 300 KB uri', async () => {
    const script = `
      const { compileUriTemplate } = await import(${JSON.stringify(new URL('../../dist/src/routing/uriTemplate.js', import.meta.url).href)});
      const uri = '/x'.repeat(150000) + '?';
      const out = ['{/a*}'.repeat(1000), '{+a}'.repeat(1000) + '{b}'].map((t) => {
        const budget = { steps: 2000000 };
        const m = compileUriTemplate(t);
        return { bounded: m.matches(uri), matched: m.matches(uri, budget), spent: 2000000 - budget.steps };
      });
      process.stdout.write(JSON.stringify(out));`;
    const { stdout, killed } = await runBounded(script);
    expect(killed).toBe(false);
    for (const result of JSON.parse(stdout)) {
      expect(result).toEqual({ bounded: false, matched: false, spent: expect.any(Number) });
      expect(result.spent).toBeGreaterThanOrEqual(2_000_000);
      expect(result.spent).toBeLessThan(2_000_000 + 400_000);
    }
  }, 30_000);
});
