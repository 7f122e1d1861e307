// Why an A2A task failed when its toq message could not be delivered (DESIGN §5.2, §7): the
// outbox's final status and last error → the text of the task's FAILED status message. A peer's
// refusal (`system.error` with our message as `related_id`, or a refused connection) is
// `failed`; running out of outbox_ttl is `undeliverable` ("unreachable"). Pure.

export interface DeliveryFailure {
  readonly status: 'failed' | 'undeliverable';
  /** The last error's code (a toq error code, or a socket error code). */
  readonly code: string;
  readonly message: string;
}

export function toA2aFailureText(failure: DeliveryFailure, target: string): string {
  const detail = failure.message === '' ? failure.code : `${failure.code}: ${failure.message}`;
  return failure.status === 'undeliverable' ? `toq agent ${target} unreachable (${detail})` : `toq agent ${target} refused the message (${detail})`;
}
