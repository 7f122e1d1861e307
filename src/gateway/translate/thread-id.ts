// The toq thread that carries an A2A conversation (DESIGN §5.2): a stable hash of (agent,
// principal, contextId, generation), so the same caller's context maps to the same thread across
// restarts, two callers who pick the same contextId never share a thread, and a closed thread
// (generation + 1) gives way to a new one under the same contextId. Pure (node:crypto only).

import { createHash } from 'node:crypto';

export interface ThreadKey {
  readonly agent: string;
  /** The caller's task scope (the SDK's owner). */
  readonly principal: string;
  readonly contextId: string;
  /** 0 for the first thread of a context, + 1 after each thread.close. */
  readonly generation: number;
}

/**
 * A UUID-shaped id (RFC 9562 version 8, "custom"), so tools that expect thread ids to be UUIDs
 * keep working: the first 122 bits of SHA-256 over an unambiguous encoding of the key.
 */
export function toToqThreadId(key: ThreadKey): string {
  if (!Number.isSafeInteger(key.generation) || key.generation < 0) throw new RangeError(`generation must be a non-negative integer, got ${key.generation}`);
  // JSON of an array: no separator in any member can make two keys collide.
  const digest = createHash('sha256').update(JSON.stringify(['toq-a2a-thread', key.agent, key.principal, key.contextId, key.generation]), 'utf8').digest();
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
