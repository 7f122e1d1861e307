// Why an A2A task failed when its toq message was not delivered or not handled (DESIGN §5.2, §7):
// the outbox's final status and last error → the text of the task's FAILED status message. A peer's
// refusal (`system.error` with our message as `related_id` instead of the ack, or a refused
// connection) is `failed`; running out of outbox_ttl is `undeliverable` ("unreachable"). A
// `system.error` that comes after the ack has its own text (toA2aLateErrorText). Pure.

export interface DeliveryFailure {
  readonly status: 'failed' | 'undeliverable';
  /** The last error's code (a toq error code, or a socket error code). */
  readonly code: string;
  readonly message: string;
}

/** A peer's `system.error` body, as far as the text needs it. */
export interface PeerError {
  readonly code: string;
  readonly message: string;
}

export function toA2aFailureText(failure: DeliveryFailure, target: string): string {
  const detail = detailOf(failure);
  return failure.status === 'undeliverable' ? `toq agent ${target} unreachable (${detail})` : `toq agent ${target} refused the message (${detail})`;
}

/**
 * A `system.error` naming our message that came AFTER the peer acked it (DESIGN §5.2): the FAILED
 * status text, or undefined when the code says the message counts as delivered. After an ack,
 * every code but `duplicate_message` (the peer already had the message: nothing failed) means the
 * agent took the message and could not act on it; a gateway whose A2A upstream failed sends
 * `agent_unavailable` then (§5.3). The reference's `agent_unavailable` comes BEFORE its ack (its
 * HTTP adapter failed, the message is stored, the ack follows): that one answers our send, and
 * the outbox counts it as delivered (delivery-verdict.ts); it never reaches this function.
 */
export function toA2aLateErrorText(error: PeerError, target: string): string | undefined {
  if (error.code === 'duplicate_message') return undefined;
  return `toq agent ${target} accepted the message, then reported an error (${detailOf(error)})`;
}

/** `code: message`, or the code alone when there is no message. */
function detailOf(error: PeerError): string {
  return error.message === '' ? error.code : `${error.code}: ${error.message}`;
}
