// toq.pid (local-API spec §6): the daemon's process id in decimal, no newline. Liveness is
// `kill -0` (process.kill(pid, 0)); a file naming a dead process is stale and removed, as the
// reference's read_pid does. Nothing here starts or stops processes.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomicSync } from './atomic-write.js';

const PID_TEXT = /^\+?[0-9]+$/;
const U32_MAX = 4_294_967_295;

/** Writes `pid` (default: this process). */
export function writePidFile(path: string, pid: number = process.pid): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`pid must be a positive integer, got ${pid}`);
  writeFileAtomicSync(path, String(pid));
}

/** The pid in the file, or undefined when missing or not a u32 (Rust `trim().parse::<u32>()`). */
export function readPidFile(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8').trim();
  if (!PID_TEXT.test(text)) return undefined;
  const pid = Number(text);
  return pid > 0 && pid <= U32_MAX ? pid : undefined;
}

/**
 * Whether a process with this id exists. EPERM (it exists but belongs to someone else) counts
 * as alive: removing the pid file of a running daemon would be worse than keeping a stale one.
 * (The reference shells out to `kill -0`, which reports EPERM as failure.)
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The pid of a running daemon. A file naming a dead process is removed; one that does not hold
 * a number is left alone (as the reference does) and means "not running".
 */
export function readLivePid(path: string, isAlive: (pid: number) => boolean = isProcessAlive): number | undefined {
  const pid = readPidFile(path);
  if (pid === undefined) return undefined;
  if (isAlive(pid)) return pid;
  rmSync(path, { force: true });
  return undefined;
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}
