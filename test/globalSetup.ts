import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * CLI, service and README tests run the built output (`dist/`), as users do: build it once.
 * Type errors do not stop the run here (tsc still emits, and `npm test` type-checks first);
 * a build that emits nothing does.
 */
export default function setup(): void {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0 && !existsSync('dist/src/index.js')) throw new Error(`npm run build failed (${build.status})`);
}
