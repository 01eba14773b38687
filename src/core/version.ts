import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The package's version, read from its package.json: the nearest one above this file named
 * `mcp-switchboard` (the same code runs from `src/` under tsx and from `dist/src/` when built).
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mcp-switchboard' && pkg.version) return (cached = pkg.version);
    } catch {
      // No package.json here: look one level up.
    }
    dir = dirname(dir);
  }
  return (cached = '0.0.0-unknown');
}
