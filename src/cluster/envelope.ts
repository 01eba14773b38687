/**
 * Every value the cluster's parts put in Redis or publish carries `{ v, cluster }`: a format
 * version and the cluster's name. A reader takes it only when both are its own; anything else
 * (text that does not parse, another cluster on the same Redis, an older or newer format) is
 * ignored with a warning by the caller, never thrown at a call (DESIGN §16).
 */

/** The object in `text` when it is of format `version` and of cluster `clusterName`, else why not. */
export function readEnvelope(text: string, version: number, clusterName: string): { value: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'not an object' };
  const record = value as Record<string, unknown>;
  if (record.v !== version) return { problem: `format ${String(record.v)} (this replica reads ${version})` };
  if (record.cluster !== clusterName) return { problem: 'another cluster name' };
  return { value: record };
}
