// The error family of the persistence layer (STYLE: one family per layer). Callers match on
// `code`; the underlying SQLite or fs error, when there is one, is the `cause`.

import { GatewayError } from '../protocol/errors.js';

/**
 * Codes: `store_corrupt` (the file is not a database or is damaged), `store_schema_too_new`
 * (written by a newer gateway), `store_duplicate_id` (an outbox id already exists),
 * `store_closed` (used after close()), `store_failed` (any other storage failure).
 */
export type StoreErrorCode = 'store_corrupt' | 'store_schema_too_new' | 'store_duplicate_id' | 'store_closed' | 'store_failed';

export class StoreError extends GatewayError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
