import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * `mcp-switchboard/frameworks` works without the optional `ai` package; only
 * `mcp-switchboard/frameworks/ai` needs it. Checked in a child Node whose resolver cannot find
 * `ai` (test/frameworks/withoutAi.mjs), loading the sources through tsx.
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const HIDE_AI = fileURLToPath(new URL('./withoutAi.mjs', import.meta.url));
const EXPORTS = 'const m = await import(process.argv[1]); console.log(Object.keys(m).sort().join(","));';

/** The export names of `module` in a Node that cannot resolve `ai`. */
async function exportsWithoutAi(module: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--import', HIDE_AI, '--input-type=module', '-e', EXPORTS, `${root}${module}`], { cwd: root, timeout: 20_000 });
  return stdout.trim();
}

describe('the frameworks entry points', () => {
  it('loads the OpenAI and Anthropic adapters without the ai package installed', async () => {
    expect(await exportsWithoutAi('src/frameworks/index.ts')).toBe(
      'PROVIDER_TOOL_NAME,runAnthropicToolUse,runOpenAIResponsesToolCall,runOpenAIToolCall,toAnthropicTools,toOpenAIResponsesTools,toOpenAITools',
    );
  });

  it('needs the ai package only for mcp-switchboard/frameworks/ai', async () => {
    await expect(exportsWithoutAi('src/frameworks/ai.ts')).rejects.toThrow(/Cannot find package 'ai'/);
  });

  it('publishes both entries with types, and ai as an optional peer dependency', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.exports['./frameworks']).toEqual({ types: './dist/src/frameworks/index.d.ts', import: './dist/src/frameworks/index.js' });
    expect(pkg.exports['./frameworks/ai']).toEqual({ types: './dist/src/frameworks/ai.d.ts', import: './dist/src/frameworks/ai.js' });
    expect(pkg.peerDependencies.ai).toBeDefined();
    expect(pkg.peerDependenciesMeta.ai).toEqual({ optional: true });
    expect(pkg.dependencies.ai).toBeUndefined();
  });
});
