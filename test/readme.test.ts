import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(`${root}/README.md`, 'utf8');

describe('README', () => {
  it('gives exactly the two commands for a fresh machine, and they exist', () => {
    const block = /## Two commands on a fresh machine\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = block.split('\n').filter((l) => l.trim()).map((l) => l.split('#')[0]!.trim());
    expect(commands).toEqual(['npm install && npm start', 'npm test']);
    const scripts = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).scripts;
    expect(scripts.test).toBe('npm run typecheck && vitest run');
    expect(scripts.start).toContain('config/switchboard.yaml');
  });

  it('runs the embedding quick start as written', async () => {
    const code = /## Quick start: embedding\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const file = `${root}/test/.readme-quickstart.ts`;
    writeFileSync(file, code!.replace("from 'mcp-switchboard'", "from '../src/index.js'"));
    const logs: unknown[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args) => void logs.push(args.length === 1 ? args[0] : args));
    const cwd = process.cwd();
    try {
      process.chdir(root);
      await import(file);
    } finally {
      process.chdir(cwd);
      spy.mockRestore();
      rmSync(file);
    }
    expect(logs).toContainEqual('demo: disconnected -> connecting');
    expect(logs).toContainEqual(expect.arrayContaining(['demo__echo', 'demo__add']));
    expect(logs).toContainEqual({ sum: 5 });
  });
});
