import { spawn } from 'node:child_process';

/**
 * Runs an ES module script in a child process, killed after `boundMs`: a backtracking regex blocks
 * its thread for hours and no in-process timeout can interrupt it, so the proof that a piece of
 * work does not hang runs where it can be killed. The bound is generous: the work itself takes
 * milliseconds. Resolves with what the script wrote to stdout and whether it had to be killed.
 */
export function runBounded(script: string, boundMs = 20_000): Promise<{ stdout: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let killed = false;
    child.stdout.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve({ stdout, killed });
    });
  });
}
