import { spawn } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  /** Why it failed, in a few words: "exit code 1", "killed after 120 s", "program not found". */
  failure?: string;
  /** The last part of what it wrote (stdout and stderr interleaved), for the log. */
  output: string;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs: number;
  /** Aborting kills the command (the provisioner is stopping). */
  signal?: AbortSignal;
  /** After SIGTERM, how long before SIGKILL. */
  killGraceMs?: number;
}

const OUTPUT_TAIL = 2000;

/**
 * Runs argv[0] with the other arguments as they are: no shell, so nothing in them is interpreted (this is what
 * child_process.execFile does; spawn is used for the one thing execFile cannot do: start the command in its
 * own process group, so that a timeout kills whatever it started too, and nothing is left behind).
 * Never rejects: a command that cannot be started is a failed result.
 */
export function runCommand(argv: readonly string[], options: RunOptions): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let output = '';
    let failure: string | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, shell: false, windowsHide: true });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const terminate = (why: string) => {
      if (settled || failure) return;
      failure = why;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 3000);
    };
    const timer = setTimeout(() => terminate(`killed after ${Math.round(options.timeoutMs / 100) / 10} s (timeout)`), options.timeoutMs);
    const onAbort = () => terminate('killed: the provisioner is stopping');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    const finish = (code: number | null, sig: NodeJS.Signals | null, error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (failure && killTimer) {
        // It was told to stop: make sure nothing of its group outlives it.
        clearTimeout(killTimer);
        killGroup('SIGKILL');
      }
      // A background process it left may hold the pipes open: do not wait for them.
      child.stdout.destroy();
      child.stderr.destroy();
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        failure = code === 'ENOENT' ? `program not found: ${argv[0]}` : code === 'EACCES' ? `not executable: ${argv[0]}` : error.message;
      } else if (!failure && code !== 0) {
        failure = code === null ? `killed by ${sig}` : `exit code ${code}`;
      }
      resolve({ ok: !failure, failure, output: output.trim(), durationMs: Date.now() - started });
    };
    child.once('error', (error) => finish(null, null, error));
    child.once('exit', (code, sig) => finish(code, sig));
  });
}
