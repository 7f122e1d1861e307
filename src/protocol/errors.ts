// Error classes shared by every layer. Callers match on `code`, never on message text.
// Bad bytes from a peer are a ProtocolError; misuse by our own code is a TypeError/RangeError.

import { severityOf, type ErrorSeverity, type ToqErrorCode } from './error-catalog.js';

export class GatewayError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A peer (or a peer's bytes) broke the toq protocol. `code` comes from the error catalog. */
export class ProtocolError extends GatewayError {
  declare readonly code: ToqErrorCode;
  readonly severity: ErrorSeverity;
  constructor(code: ToqErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.severity = severityOf(code);
  }
}

/** A phase did not finish before its deadline. `phase` names it (peek, tls, handshake, ...). */
export class TimeoutError extends GatewayError {
  readonly phase: string;
  constructor(phase: string, ms: number, options?: { cause?: unknown }) {
    super('timeout', `${phase} did not finish within ${ms} ms`, options);
    this.phase = phase;
  }
}

/** The handshake was refused by the other side: an error object, a pending approval, or a bare close. */
export class RejectedError extends GatewayError {}
