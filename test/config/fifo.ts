import { execFileSync, spawn } from 'node:child_process';

/** A FIFO made by `guardedFifo`; `close()` ends its writer (idempotent). */
export interface GuardedFifo {
  path: string;
  close(): Promise<void>;
}

/**
 * Makes a FIFO at `path` with a writer waiting in another process that writes `content` and
 * closes as soon as a reader opens the FIFO. Code that (wrongly) reads the FIFO gets `content`
 * and an end of file, so a regression fails its test instead of blocking the test worker for
 * good; code that (rightly) refuses it never opens it for reading, and `close()` ends the writer.
 */
export function guardedFifo(path: string, content: string): GuardedFifo {
  execFileSync('mkfifo', [path]);
  const writer = spawn('sh', ['-c', 'exec 3>"$0" && printf %s "$1" >&3', path, content], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => writer.once('exit', () => resolve()));
  return {
    path,
    close: async () => {
      if (writer.exitCode === null && writer.signalCode === null) writer.kill('SIGKILL');
      await exited;
    },
  };
}
