import { execFileSync } from 'node:child_process';

/** CLI, service and README tests run the built output (`dist/`), as users do: build it once. */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
