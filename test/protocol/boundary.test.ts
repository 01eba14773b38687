import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where an MCP SDK may be imported (DESIGN §2): client sessions, OAuth helpers, the server side. */
const ALLOWED = ['src/protocol/', 'src/auth/', 'src/gateway/', 'src/demo/'];

/**
 * Files another step of issue 19 is moving behind `src/protocol/` right now (the session layer
 * and the raw-client plumbing). Delete an entry once its move lands; the list must end empty.
 */
const IN_MOVE: string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier of a file: static and type imports, re-exports, `import()`, `require()`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) found.push(match[1]!);
  return found;
}

describe('the protocol seam', () => {
  it('keeps every MCP SDK package, types included, out of src/ outside protocol, auth, gateway and demo, and out of machines/', () => {
    const offenders: string[] = [];
    for (const file of [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'machines'))]) {
      const path = relative(root, file).split('\\').join('/');
      if (ALLOWED.some((prefix) => path.startsWith(prefix)) || IN_MOVE.some((prefix) => path.startsWith(prefix))) continue;
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        if (specifier.startsWith('@modelcontextprotocol/')) offenders.push(`${path}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
