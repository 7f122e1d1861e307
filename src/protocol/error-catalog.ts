// The toq error catalog (wire spec §18): stable snake_case codes and their severity.
// Pure data; the transport decides what a severity means for a live session.

export const ERROR_CODES = [
  'invalid_signature',
  'protocol_violation',
  'version_not_supported',
  'invalid_envelope',
  'duplicate_message',
  'sequence_violation',
  'message_too_large',
  'unsupported_content_type',
  'ttl_expired',
  'agent_unavailable',
  'resource_exhausted',
  'stream_not_found',
  'self_message',
  'blocked',
  'approval_denied',
  'approval_timeout',
  'session_expired',
  'card_too_large',
  'card_key_mismatch',
  'compression_not_negotiated',
  'key_rotation_invalid',
  'executable_content_blocked',
] as const;

export type ToqErrorCode = (typeof ERROR_CODES)[number];

/** fatal: close the session; nonfatal: report and go on; silent: close without a word. */
export type ErrorSeverity = 'fatal' | 'nonfatal' | 'silent';

const FATAL: ReadonlySet<ToqErrorCode> = new Set<ToqErrorCode>([
  'invalid_signature',
  'protocol_violation',
  'version_not_supported',
  'card_too_large',
  'card_key_mismatch',
]);

export function severityOf(code: ToqErrorCode): ErrorSeverity {
  if (FATAL.has(code)) return 'fatal';
  if (code === 'blocked') return 'silent';
  return 'nonfatal';
}

export function isToqErrorCode(value: string): value is ToqErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}
