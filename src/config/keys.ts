import {
  AdminSchema,
  BreakerSchema,
  CapabilitiesSchema,
  ConfigSchema,
  HealthSchema,
  HttpServerSchema,
  LimitsSchema,
  ReconnectSchema,
  SseServerSchema,
  StdioServerSchema,
  TimeoutsSchema,
  ToolFilterSchema,
  ServerToolsSchema,
  AdmissionSchema,
  GatewaySchema,
  GatewayProfileSchema,
} from './schema.js';

/**
 * Key names the schemas know, for "did you mean" hints. Taken from the schemas themselves so a
 * new field is suggested without anyone remembering to list it here.
 */

/** Every key a server entry may have in our format, whatever its transport (`type` is an alias). */
export const SERVER_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(StdioServerSchema.shape),
  ...Object.keys(HttpServerSchema.shape),
  ...Object.keys(SseServerSchema.shape),
  'type',
]);

const ALL_KEYS: readonly string[] = [
  ...new Set([
    ...SERVER_KEYS,
    ...[TimeoutsSchema, ReconnectSchema, BreakerSchema, HealthSchema, LimitsSchema, ToolFilterSchema, ServerToolsSchema, AdmissionSchema, CapabilitiesSchema, AdminSchema, GatewaySchema, GatewayProfileSchema, ConfigSchema].flatMap((s) => Object.keys(s.shape)),
    'mcpServers',
  ]),
];

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known key closest to `key` (case-insensitive, at most two edits), or null. */
export function suggestKey(key: string, candidates: Iterable<string> = ALL_KEYS): string | null {
  const lower = key.toLowerCase();
  let best: string | null = null;
  let bestDistance = Math.min(2, Math.floor(key.length / 3));
  for (const candidate of candidates) {
    if (candidate === key) return null;
    const d = distance(lower, candidate.toLowerCase());
    if (d <= bestDistance && (best === null || d < bestDistance)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `unknown key`, with a hint when a known key is one or two typos away. */
export function unknownKeyMessage(key: string, candidates?: Iterable<string>): string {
  const hint = suggestKey(key, candidates);
  return hint ? `unknown key (did you mean "${hint}"?)` : 'unknown key';
}
