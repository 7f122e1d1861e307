// Argument checks shared by the store implementations (misuse by our own code is a RangeError).

import type { ClaimOptions } from './outbox-record.js';

/** listOutbox without a limit. */
export const DEFAULT_OUTBOX_LIST_LIMIT = 100;

export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return limit;
}

export function checkClaimOptions(options: ClaimOptions): void {
  if (!Number.isSafeInteger(options.maxPerPeer) || options.maxPerPeer < 1) {
    throw new RangeError(`maxPerPeer must be a positive integer, got ${options.maxPerPeer}`);
  }
}
