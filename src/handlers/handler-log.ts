// The per-handler output log, logs/handlers/handler-<name>.log (local-API spec §5.2, §6): an
// append-only file shared by all of one handler's processes, in the reference's line format.
// It formats and appends; it does not decide what to log.

import { mkdirSync, createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** `handler-<name>.log` inside the handler log directory. */
export function handlerLogPath(logDir: string, name: string): string {
  return join(logDir, `handler-${name}.log`);
}

/** `[<ts> pid:<pid>] <line>`, or `[<ts> pid:<pid>:stderr] <line>` for standard error (§5.2). */
export function formatHandlerLogLine(timestamp: string, pid: number, line: string, isStderr = false): string {
  return `[${timestamp} pid:${pid}${isStderr ? ':stderr' : ''}] ${line}\n`;
}

/**
 * Rust's unix `ExitStatus` display, which the reference prints after "exited with status ":
 * `exit status: <code>` or `signal: <n> (<NAME>)`.
 */
export function formatExitStatus(code: number | null, signal: NodeJS.Signals | null, signalNumbers: Readonly<Record<string, number>>): string {
  if (code !== null) return `exit status: ${code}`;
  if (signal !== null) {
    const n = signalNumbers[signal];
    return n === undefined ? `signal: ${signal}` : `signal: ${n} (${signal})`;
  }
  return 'unknown status';
}

export interface HandlerLogFileDeps {
  /** Called once per failure to open or write the file; the log then drops lines. */
  onError: (err: Error) => void;
}

/** One open append stream per handler; writes are ordered as they are made. */
export class HandlerLogFile {
  readonly path: string;
  readonly #logDir: string;
  readonly #deps: HandlerLogFileDeps;
  #stream: WriteStream | undefined;
  #isBroken = false;

  constructor(logDir: string, name: string, deps: HandlerLogFileDeps) {
    this.#logDir = logDir;
    this.path = handlerLogPath(logDir, name);
    this.#deps = deps;
  }

  /**
   * Appends text. Returns false when the stream's buffer is full: the caller should pause its
   * source until `onDrain` fires (backpressure). A broken log swallows text and returns true.
   */
  write(text: string): boolean {
    const stream = this.#open();
    if (stream === undefined) return true;
    return stream.write(text);
  }

  onDrain(listener: () => void): void {
    if (this.#stream === undefined || this.#isBroken) listener();
    else this.#stream.once('drain', listener);
  }

  /** Resolves once everything written so far is in the file (or the log is broken). */
  flush(): Promise<void> {
    const stream = this.#stream;
    if (stream === undefined || this.#isBroken || stream.destroyed) return Promise.resolve();
    // A zero-length write completes after every write queued before it, file open included.
    return new Promise<void>((resolve) => stream.write('', () => resolve()));
  }

  /** Flushes and closes; a later write reopens the file. */
  async close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream === undefined || stream.destroyed) return;
    await new Promise<void>((resolve) => stream.end(resolve));
  }

  #open(): WriteStream | undefined {
    if (this.#isBroken) return undefined;
    if (this.#stream !== undefined) return this.#stream;
    try {
      mkdirSync(this.#logDir, { recursive: true });
    } catch (err) {
      this.#fail(err);
      return undefined;
    }
    const stream = createWriteStream(this.path, { flags: 'a' });
    stream.on('error', (err) => this.#fail(err));
    this.#stream = stream;
    return stream;
  }

  #fail(err: unknown): void {
    if (this.#isBroken) return;
    this.#isBroken = true;
    // Whoever waits for 'drain' must not wait forever on a dead stream.
    this.#stream?.emit('drain');
    this.#deps.onError(err instanceof Error ? err : new Error(String(err)));
  }
}
