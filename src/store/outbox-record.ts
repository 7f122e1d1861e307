// Outbox entries: one outgoing toq message and its delivery state (DESIGN §7). Plain data; the
// body is kept as the exact wire text (wireJson), so number lexemes survive a restart.

import type { MessageType } from '../protocol/message-types.js';

export const OUTBOX_STATUSES = ['queued', 'sending', 'delivered', 'failed', 'undeliverable', 'canceled'] as const;

/**
 * queued: waiting for its next attempt; sending: an attempt is under way (a crash leaves it so,
 * and resetSending() puts it back to queued at start); delivered: acked; failed: refused for
 * good by the peer; undeliverable: still not delivered at its expiry (outbox_ttl); canceled: by
 * the user. The last four are final.
 */
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** Statuses an entry never leaves on its own. */
export const FINISHED_OUTBOX_STATUSES: ReadonlySet<OutboxStatus> = new Set<OutboxStatus>(['delivered', 'failed', 'undeliverable', 'canceled']);

export function isOutboxStatus(value: unknown): value is OutboxStatus {
  return typeof value === 'string' && (OUTBOX_STATUSES as readonly string[]).includes(value);
}

/** Why the last attempt did not deliver: a toq catalog code, a transport code or an errno code. */
export interface OutboxError {
  readonly code: string;
  readonly message: string;
}

/** What enqueue writes. Times are epoch milliseconds. */
export interface NewOutboxEntry {
  /** The envelope id; every attempt re-sends this same id (the receiver dedups on it). */
  readonly id: string;
  /** Our sending agent's name. */
  readonly agent: string;
  /** Canonical toq address of the recipient. */
  readonly to: string;
  readonly type: MessageType;
  readonly thread_id: string | null;
  readonly reply_to: string | null;
  readonly content_type: string | null;
  /** The body as wire JSON text (wireJson), or null when the envelope has no body. */
  readonly body: string | null;
  readonly createdAtMs: number;
  readonly nextAttemptAtMs: number;
  /** After this instant a failed attempt makes the entry undeliverable (created + outbox_ttl). */
  readonly expiresAtMs: number;
  /**
   * Stored already claimed ('sending', one attempt started), for an outbox that starts the first
   * attempt at once instead of claiming the entry in a second statement. @default false: 'queued'
   */
  readonly claimed?: boolean;
}

export interface OutboxEntry extends NewOutboxEntry {
  readonly status: OutboxStatus;
  /** Attempts started (claimDue counts them). */
  readonly attempts: number;
  readonly lastError: OutboxError | null;
  readonly deliveredAtMs: number | null;
  /** When the entry reached a final status; retention counts from here. */
  readonly finishedAtMs: number | null;
}

/** A status change written by the delivery loop; fields left out are unchanged. */
export interface OutboxUpdate {
  readonly status: OutboxStatus;
  readonly nextAttemptAtMs?: number;
  readonly expiresAtMs?: number;
  readonly attempts?: number;
  /** null clears it. */
  readonly lastError?: OutboxError | null;
  readonly deliveredAtMs?: number | null;
  readonly finishedAtMs?: number | null;
}

export interface OutboxQuery {
  readonly status?: OutboxStatus;
  readonly to?: string;
  readonly agent?: string;
  /** Newest first, at most this many. @default 100 */
  readonly limit?: number;
}

export interface ClaimOptions {
  /**
   * Entries of one recipient in 'sending' at most, counting those already sending, so one slow
   * peer cannot take every slot.
   */
  readonly maxPerPeer: number;
}
