import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The session actor and the runtime's plumbing around it: they see sessions through the door only. */
const ABOVE_THE_SEAM = ['src/session/', 'src/servers/', 'src/runtime.ts', 'src/switchboard.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier of a file: static and type imports, re-exports, `import()`. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
}

const path = (file: string) => relative(root, file).split('\\').join('/');

describe('the protocol seam layout', () => {
  it('keeps the session actor, ports and live sessions off any SDK and off the protocol implementations', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'src'))) {
      const where = path(file);
      if (!ABOVE_THE_SEAM.some((prefix) => where.startsWith(prefix))) continue;
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        const reachesIn = /\/protocol\//.test(specifier) && !/\/protocol\/index\.js$/.test(specifier);
        if (specifier.startsWith('@modelcontextprotocol/') || reachesIn) offenders.push(`${where}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps every SDK client import of src/protocol/ inside an era folder (v1/), the interface SDK-free', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'src/protocol'))) {
      const where = path(file);
      if (/^src\/protocol\/v\d+\//.test(where)) continue;
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        if (specifier.startsWith('@modelcontextprotocol/')) offenders.push(`${where}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps the era folders apart: v1/ on @modelcontextprotocol/sdk only, v2/ on the 2.x packages only, neither importing the other', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'src/protocol'))) {
      const where = path(file);
      const era = /^src\/protocol\/(v\d+)\//.exec(where)?.[1];
      if (!era) continue;
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        const otherFolder = era === 'v1' ? /\/v2\//.test(specifier) : /\/v1\//.test(specifier);
        const otherSdk = era === 'v1' ? /^@modelcontextprotocol\/(client|server|core)/.test(specifier) : specifier.startsWith('@modelcontextprotocol/sdk');
        if (otherFolder || otherSdk) offenders.push(`${where}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('reads SDK private fields only inside an era folder, each place naming the SDK version it was checked against', () => {
    const outside: string[] = [];
    const unversioned: string[] = [];
    // `_name` members of SDK objects (Client, Protocol, transports) reached through a cast.
    const privateRead = /as unknown as \{[^}]*\b_[a-zA-Z]+\??:/;
    for (const file of [...sourceFiles(join(root, 'src/session')), ...sourceFiles(join(root, 'src/protocol'))]) {
      const where = path(file);
      const text = readFileSync(file, 'utf8');
      if (!privateRead.test(text)) continue;
      if (!/^src\/protocol\/v\d+\//.test(where)) outside.push(where);
      else if (!/SDK 1\.32(\.\d+)?/.test(text)) unversioned.push(where);
    }
    expect(outside).toEqual([]);
    expect(unversioned).toEqual([]);
  });
});
