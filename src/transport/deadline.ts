// Per-phase deadlines (STYLE: every phase has its own named timeout): as AbortSignals, or around
// one promise. The reason of an expired deadline is a TimeoutError naming the phase, so callers
// match on `code === 'timeout'` and `phase`. Nothing here touches sockets.

import { TimeoutError } from '../protocol/errors.js';

/**
 * A signal that aborts after `ms` with `TimeoutError(phase, ms)`, or earlier with the reason of
 * `parent` (e.g. the shutdown signal). The timer is unref'd, so a pending deadline never keeps
 * the process alive, and it is cleared as soon as `parent` aborts.
 */
export function phaseSignal(phase: string, ms: number, parent?: AbortSignal): AbortSignal {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${phase} timeout must be a finite number >= 0, got ${ms}`);
  if (parent?.aborted === true) return parent;
  const controller = new AbortController();
  const onParentAbort = (): void => clearTimeout(timer);
  const timer = setTimeout(() => {
    // Unhook from a long-lived parent (the shutdown signal) so listeners do not pile up on it.
    parent?.removeEventListener('abort', onParentAbort);
    controller.abort(new TimeoutError(phase, ms));
  }, ms);
  timer.unref();
  if (parent === undefined) return controller.signal;
  parent.addEventListener('abort', onParentAbort, { once: true });
  return AbortSignal.any([controller.signal, parent]);
}

/**
 * Settles like `promise`, or rejects with `TimeoutError(phase, ms)` if it has not settled within
 * `ms`. Unlike a phaseSignal, whose timer runs to its end, the timer is cleared the moment
 * `promise` settles: for waits made once per message, where a timer left to fire would cost a
 * pending timer and an error (with its stack) for every message. The timer is unref'd, like
 * phaseSignal's.
 */
export function settleWithin<T>(promise: Promise<T>, phase: string, ms: number): Promise<T> {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${phase} timeout must be a finite number >= 0, got ${ms}`);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(phase, ms)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
