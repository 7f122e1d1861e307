// Waiting on other processes by pid: "is it still running" (a zombie counts as gone: an orphaned
// daemon whose new parent never reaps it still answers kill -0) and polling with a deadline.
// Used by `up` and `down`; nothing here decides what to wait for.

import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive } from '../workspace/pid-file.js';

/** How often waits re-check; short, since `up` and `down` are interactive. */
export const POLL_INTERVAL_MS = 50;

export function isProcessRunning(pid: number): boolean {
  return isProcessAlive(pid) && !isZombie(pid);
}

/** Linux only (/proc); elsewhere a zombie looks alive, which only makes waits run to their deadline. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ")" (comm may contain parentheses).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    // No /proc entry (gone, or not Linux): nothing more to learn here.
    return false;
  }
}

/**
 * Polls `check` until it returns a value other than undefined, or the deadline passes (then
 * undefined). `check` runs at once, then every POLL_INTERVAL_MS.
 */
export async function pollUntil<T>(check: () => T | undefined, timeoutMs: number, signal?: AbortSignal): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline || signal?.aborted) return undefined;
    await delay(Math.min(POLL_INTERVAL_MS, Math.max(1, deadline - Date.now())));
  }
}

/** True when `pid` exited within `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  return (await pollUntil(() => (isProcessRunning(pid) ? undefined : true), timeoutMs)) === true;
}
