// Shell handlers (local-API spec §5.2): one `sh -c <command>` per dispatched message, with the
// reference's TOQ_* variables and the IncomingMessage JSON on stdin, output streamed line by line
// into logs/handlers/handler-<name>.log. Unlike the reference, processes run in their own process
// group so stop (and the optional run timeout) really kills them, grandchildren included, and a
// per-handler cap queues bursts. It never replies to anyone: scripts reply through the local API.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Logger } from 'pino';

import { formatTimestamp } from '../protocol/timestamp.js';
import { ConcurrencyLimiter, QueueRejectedError } from './concurrency-limiter.js';
import { incomingMessageJson, messageText, type HandlerMessage } from './handler-message.js';
import { HandlerLogFile, formatExitStatus, formatHandlerLogLine } from './handler-log.js';
import { LineSplitter } from './line-splitter.js';
import { redactText } from './llm/redact.js';

/** Processes of one handler running at once. */
export const SHELL_MAX_CONCURRENT = 8;
/** Messages waiting for a slot per handler; more are dropped with a warning. */
export const SHELL_MAX_QUEUED = 256;
/** Time between SIGTERM and SIGKILL when a handler process is stopped. */
export const SHELL_KILL_GRACE_MS = 5_000;
/** Longest output line written to the handler log; longer lines are cut. */
export const HANDLER_LOG_MAX_LINE_BYTES = 16 * 1024;

export interface ShellHandlerOptions {
  /** Directory of the handler logs (`<config dir>/logs/handlers`). */
  logDir: string;
  /** Value of TOQ_URL, `http://127.0.0.1:<port>`. */
  toqUrl: string;
  /** The daemon's environment, inherited by the processes (the TOQ_* variables are added). */
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory of the processes. @default the daemon's */
  cwd?: string | undefined;
  /** @default SHELL_MAX_CONCURRENT (8) */
  maxConcurrent?: number | undefined;
  /** @default SHELL_MAX_QUEUED (256) */
  maxQueued?: number | undefined;
  /** Kill a process (group) that runs longer than this, in ms. @default undefined (no limit, as the reference) */
  runTimeoutMs?: number | undefined;
  /** @default SHELL_KILL_GRACE_MS (5000) */
  killGraceMs?: number | undefined;
  /** @default HANDLER_LOG_MAX_LINE_BYTES (16384) */
  maxLineBytes?: number | undefined;
  /** Clock for log timestamps, ms since the epoch. @default Date.now */
  now?: (() => number) | undefined;
}

export interface ShellHandlerDeps {
  log: Logger;
}

/**
 * How a run ended: `exited` by itself (any status), `stopped` by `stop()`, `timed-out`,
 * `spawn-failed`, or `dropped` before it started (queue full, or cleared by `stop()`).
 */
export type ShellRunOutcome = 'exited' | 'stopped' | 'timed-out' | 'spawn-failed' | 'dropped';

export interface ShellRunResult {
  readonly outcome: ShellRunOutcome;
  readonly pid?: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface RunningProcess {
  readonly pid: number;
  readonly child: ChildProcessWithoutNullStreams;
  stopReason: 'stopped' | 'timed-out' | undefined;
  isPaused: boolean;
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = osConstants.signals;

/** The processes of one shell handler, its queue and its log file. */
export class ShellHandler {
  readonly name: string;
  #command: string;
  readonly #options: ShellHandlerOptions;
  readonly #log: Logger;
  readonly #limiter: ConcurrencyLimiter;
  readonly #logFile: HandlerLogFile;
  readonly #now: () => number;
  readonly #procs = new Map<number, RunningProcess>();
  readonly #runs = new Set<Promise<ShellRunResult>>();

  constructor(name: string, command: string, options: ShellHandlerOptions, deps: ShellHandlerDeps) {
    this.name = name;
    this.#command = command;
    this.#options = options;
    this.#log = deps.log;
    this.#now = options.now ?? Date.now;
    this.#limiter = new ConcurrencyLimiter(options.maxConcurrent ?? SHELL_MAX_CONCURRENT, options.maxQueued ?? SHELL_MAX_QUEUED);
    this.#logFile = new HandlerLogFile(options.logDir, name, {
      onError: (err) => this.#log.warn({ handler: name, err: { message: redactText(err.message) } }, 'handler log unwritable'),
    });
  }

  get command(): string {
    return this.#command;
  }

  /** A new command applies to runs that start after the change. */
  set command(command: string) {
    this.#command = command;
  }

  /** Runs in progress (spawned or spawning), the `active` of GET /v1/handlers. */
  get active(): number {
    return this.#limiter.active;
  }

  get queued(): number {
    return this.#limiter.queued;
  }

  /** The pids of the running processes (each the id of its process group). */
  get pids(): number[] {
    return [...this.#procs.keys()];
  }

  /** Path of handler-<name>.log. */
  get logPath(): string {
    return this.#logFile.path;
  }

  /** Runs the command for one message. Never rejects: failures are logged and reported in the result. */
  run(message: HandlerMessage): Promise<ShellRunResult> {
    const run = this.#limiter.run(() => this.#spawn(message)).catch((err: unknown): ShellRunResult => {
      if (!(err instanceof QueueRejectedError)) throw err;
      this.#log.warn({ handler: this.name, id: message.id, reason: err.code }, 'handler run dropped');
      return { outcome: 'dropped', code: null, signal: null };
    });
    this.#runs.add(run);
    void run.finally(() => this.#runs.delete(run));
    return run;
  }

  /**
   * Stops one process (by pid) or all of them plus the queue: SIGTERM to the process group, then
   * SIGKILL after the grace period. Returns how many runs were stopped or dropped.
   */
  stop(pid?: number): number {
    if (pid !== undefined) {
      const proc = this.#procs.get(pid);
      if (proc === undefined) return 0;
      this.#terminate(proc, 'stopped');
      return 1;
    }
    let count = this.#limiter.clearQueue(`handler ${this.name} stopped`);
    for (const proc of this.#procs.values()) {
      this.#terminate(proc, 'stopped');
      count++;
    }
    return count;
  }

  /** Resolves when nothing is queued or running. */
  async whenIdle(): Promise<void> {
    while (this.#runs.size > 0) await Promise.allSettled([...this.#runs]);
  }

  /** Stops everything, waits for the processes to go, closes the log file. */
  async close(): Promise<void> {
    this.stop();
    await this.whenIdle();
    await this.#logFile.close();
  }

  #spawn(message: HandlerMessage): Promise<ShellRunResult> {
    return new Promise<ShellRunResult>((resolve) => {
      const env: Record<string, string | undefined> = {
        ...this.#options.env,
        // §5.2: the reference's variables; TOQ_THREAD_ID is empty when there is no thread.
        TOQ_FROM: message.from,
        TOQ_TEXT: messageText(message),
        TOQ_THREAD_ID: message.thread_id ?? '',
        TOQ_TYPE: message.type,
        TOQ_ID: message.id,
        TOQ_HANDLER: this.name,
        TOQ_URL: this.#options.toqUrl,
      };
      let child: ChildProcessWithoutNullStreams;
      try {
        // detached: the child leads a new process group, so a group kill reaches its descendants.
        child = spawn('sh', ['-c', this.#command], { env, cwd: this.#options.cwd, detached: true, stdio: 'pipe' });
      } catch (err) {
        this.#spawnFailed(err, message, resolve);
        return;
      }
      const pid = child.pid;
      if (pid === undefined) {
        child.once('error', (err) => this.#spawnFailed(err, message, resolve));
        return;
      }
      // After a successful spawn, 'error' only reports a failed kill; 'close' still follows.
      child.on('error', (err) => this.#log.debug({ handler: this.name, pid, err: { message: err.message } }, 'handler process error'));
      const proc: RunningProcess = { pid, child, stopReason: undefined, isPaused: false };
      this.#procs.set(pid, proc);
      this.#log.debug({ handler: this.name, pid, id: message.id }, 'handler process started');

      // The child may exit without reading stdin; the resulting EPIPE is expected.
      child.stdin.on('error', () => undefined);
      child.stdin.end(incomingMessageJson(message));

      const maxLineBytes = this.#options.maxLineBytes ?? HANDLER_LOG_MAX_LINE_BYTES;
      const out = new LineSplitter(maxLineBytes);
      const err = new LineSplitter(maxLineBytes);
      child.stdout.on('data', (chunk: Buffer) => this.#writeLines(proc, out.push(chunk), false));
      child.stderr.on('data', (chunk: Buffer) => this.#writeLines(proc, err.push(chunk), true));

      const timeoutMs = this.#options.runTimeoutMs;
      const runTimer = timeoutMs === undefined ? undefined : setTimeout(() => this.#terminate(proc, 'timed-out'), timeoutMs);

      // 'close' waits for stdout/stderr to end, as the reference's wait_with_output does.
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        if (runTimer !== undefined) clearTimeout(runTimer);
        this.#writeLines(proc, out.flush(), false);
        this.#writeLines(proc, err.flush(), true);
        if (code !== 0) {
          this.#logFile.write(formatHandlerLogLine(this.#timestamp(), pid, `exited with status ${formatExitStatus(code, signal, SIGNAL_NUMBERS)}`));
        }
        this.#procs.delete(pid);
        const outcome: ShellRunOutcome = proc.stopReason ?? 'exited';
        this.#log.debug({ handler: this.name, pid, code, signal, outcome }, 'handler process ended');
        // A finished run has its output in the log file, not only in the stream's buffer.
        void this.#logFile.flush().then(() => resolve({ outcome, pid, code, signal }));
      });
    });
  }

  #spawnFailed(err: unknown, message: HandlerMessage, resolve: (result: ShellRunResult) => void): void {
    const text = err instanceof Error ? err.message : String(err);
    this.#log.warn({ handler: this.name, id: message.id, err: { message: redactText(text) } }, 'handler failed to spawn');
    resolve({ outcome: 'spawn-failed', code: null, signal: null });
  }

  #writeLines(proc: RunningProcess, lines: readonly string[], isStderr: boolean): void {
    if (lines.length === 0) return;
    const ts = this.#timestamp();
    let text = '';
    // Secrets a script prints do not reach the log file (the reference logs them as printed).
    for (const line of lines) text += formatHandlerLogLine(ts, proc.pid, redactText(line), isStderr);
    if (this.#logFile.write(text) || proc.isPaused) return;
    // Backpressure: hold the child's pipes until the log catches up.
    proc.isPaused = true;
    proc.child.stdout.pause();
    proc.child.stderr.pause();
    this.#logFile.onDrain(() => {
      proc.isPaused = false;
      proc.child.stdout.resume();
      proc.child.stderr.resume();
    });
  }

  #terminate(proc: RunningProcess, reason: 'stopped' | 'timed-out'): void {
    if (proc.stopReason !== undefined) return;
    proc.stopReason = reason;
    const note = reason === 'stopped' ? 'stopped by request' : `run timeout of ${this.#options.runTimeoutMs} ms exceeded`;
    this.#logFile.write(formatHandlerLogLine(this.#timestamp(), proc.pid, note));
    this.#log.info({ handler: this.name, pid: proc.pid, reason }, 'stopping handler process');
    signalGroup(proc.pid, 'SIGTERM');
    // The timer outlives 'close' on purpose: descendants that closed their pipes but ignore
    // SIGTERM are still in the group and still get SIGKILL.
    const timer = setTimeout(() => signalGroup(proc.pid, 'SIGKILL'), this.#options.killGraceMs ?? SHELL_KILL_GRACE_MS);
    timer.unref();
  }

  #timestamp(): string {
    return formatTimestamp(Math.floor(this.#now()));
  }
}

/** Signals the whole process group led by `pid`; a group already gone is not an error. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return;
    // EPERM on the group (should not happen for our own children): fall back to the leader.
    try {
      process.kill(pid, signal);
    } catch {
      // The leader is gone too; nothing is left to signal.
    }
  }
}
