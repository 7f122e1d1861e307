// What one delivery attempt's result means for an outbox entry (DESIGN §7): delivered, failed
// for good, or retry later. Pure decisions over codes; the Outbox acts on them.
//
// A peer's system.error (matched to our message by related_id):
// | code                                          | verdict   | why |
// |-----------------------------------------------|-----------|-----|
// | duplicate_message                             | delivered | the peer already has this id |
// | agent_unavailable                             | delivered | the reference sends it when its HTTP adapter fails, AFTER recording the message in history, and acks it right after (wire spec §8); it keeps no seen ids, so a retry would store it again every time |
// | resource_exhausted                            | retry     | the receiver could not commit it; our gateway answers so and asks for a retry |
// | approval_timeout, session_expired, sequence_violation | retry | about the session, not the message; a new session may take it |
// | approval_denied, blocked                      | failed    | the peer refuses us; approval (if it comes) is a new send |
// | invalid_envelope, message_too_large, unsupported_content_type, executable_content_blocked, ttl_expired, self_message, stream_not_found, compression_not_negotiated, key_rotation_invalid, invalid_signature, protocol_violation, version_not_supported, card_too_large, card_key_mismatch | failed | the same bytes would be refused again |
// | any other (unknown) code                      | retry     | a newer peer's code we cannot judge; retrying until outbox_ttl loses nothing |
//
// A thrown error (no answer from the peer about this message):
// | error                                                         | verdict |
// |---------------------------------------------------------------|---------|
// | RejectedError approval_pending (setup held for approval)      | retry: approval may come later |
// | RejectedError closed (peer closed during setup)               | retry |
// | RejectedError blocked / agent_unavailable (no such agent) / version_not_supported / other | failed |
// | ProtocolError message_too_large (our frame is over the cap)   | failed |
// | other ProtocolError (a peer misbehaving during setup)         | retry |
// | TimeoutError (ack, TCP, TLS, setup), session_lost, session_closed, socket_error, endpoint_closed, aborted, errno errors (ECONNREFUSED, ENOTFOUND, ...) | retry |
// | TypeError / RangeError (our own misuse, e.g. an unknown agent) | failed |
// Thrown errors are about the connection, not this message, so a retry verdict holds every
// queued message of that peer until the same instant (`isPeerLevel`).

import { ProtocolError, RejectedError } from '../protocol/errors.js';
import type { OutboxError } from '../store/outbox-record.js';

export type AttemptVerdict =
  | { readonly kind: 'delivered'; readonly note?: OutboxError }
  | { readonly kind: 'failed'; readonly error: OutboxError }
  | { readonly kind: 'retry'; readonly error: OutboxError; readonly isPeerLevel: boolean };

const DELIVERED_CODES: ReadonlySet<string> = new Set(['duplicate_message', 'agent_unavailable']);

const RETRY_CODES: ReadonlySet<string> = new Set(['resource_exhausted', 'approval_timeout', 'session_expired', 'sequence_violation']);

const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'approval_denied',
  'blocked',
  'invalid_envelope',
  'message_too_large',
  'unsupported_content_type',
  'executable_content_blocked',
  'ttl_expired',
  'self_message',
  'stream_not_found',
  'compression_not_negotiated',
  'key_rotation_invalid',
  'invalid_signature',
  'protocol_violation',
  'version_not_supported',
  'card_too_large',
  'card_key_mismatch',
]);

/** Handshake refusals worth retrying: the peer may approve us, or was only restarting. */
const RETRY_REJECTIONS: ReadonlySet<string> = new Set(['approval_pending', 'closed']);

/** The verdict for a system.error answer to our message. */
export function verdictForSystemError(code: string, message: string): AttemptVerdict {
  const error = { code, message };
  if (DELIVERED_CODES.has(code)) return { kind: 'delivered', note: error };
  if (PERMANENT_CODES.has(code)) return { kind: 'failed', error };
  if (RETRY_CODES.has(code)) return { kind: 'retry', error, isPeerLevel: false };
  return { kind: 'retry', error, isPeerLevel: false };
}

/** The verdict for an error thrown by `send` (nothing came back about this message). */
export function verdictForError(err: unknown): AttemptVerdict {
  if (err instanceof RejectedError) {
    const error = { code: err.code, message: err.message };
    return RETRY_REJECTIONS.has(err.code) ? { kind: 'retry', error, isPeerLevel: true } : { kind: 'failed', error };
  }
  if (err instanceof ProtocolError) {
    const error = { code: err.code, message: err.message };
    return err.code === 'message_too_large' ? { kind: 'failed', error } : { kind: 'retry', error, isPeerLevel: true };
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    return { kind: 'failed', error: { code: 'internal_error', message: err.message } };
  }
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'retry', error: { code: typeof code === 'string' ? code : 'socket_error', message }, isPeerLevel: true };
}

/**
 * Wait after the `attempts`-th failed attempt (1-based): backoffMs[attempts - 1], then
 * steadyRetryMs for every later one (DESIGN §7: 1, 2, 4, 8, 16 s, then every 60 s).
 */
export function retryDelayMs(attempts: number, backoffMs: readonly number[], steadyRetryMs: number): number {
  if (!Number.isSafeInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
  return backoffMs[attempts - 1] ?? steadyRetryMs;
}
