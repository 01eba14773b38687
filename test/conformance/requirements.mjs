/**
 * The suite's own word on which client scenarios a revision requires: the frozen
 * `requirements/<revision>.yaml` the prerelease ships (`conformance list --client --requirements
 * <revision>` prints the same list). run.mjs compares the modern set with it before running, so
 * a scenario left out of scenarios-modern.mjs (or a suite upgrade that adds one) fails loudly
 * instead of going unmeasured.
 */
import { parse } from 'yaml';

/** The `client` list of a requirements file's text (empty when it has none). */
export function requiredClientScenarios(yamlText) {
  const doc = parse(yamlText);
  const client = doc?.client;
  if (client === undefined || client === null) return [];
  if (!Array.isArray(client) || !client.every((name) => typeof name === 'string')) throw new Error('the requirements file\'s "client" is not a list of scenario names');
  return client;
}

/**
 * What separates a set's scenario names from the required ones: `missing` (required, not in the
 * set) and `extra` (in the set, not required), each in the order given.
 */
export function compareWithRequired(names, required) {
  return { missing: required.filter((name) => !names.includes(name)), extra: names.filter((name) => !required.includes(name)) };
}
