// Which handlers a message goes to (local-API spec §5.1). Pure: it decides, it never runs anything.

import { addressMatches } from '../protocol/policy.js';
import type { HandlerMessage } from './handler-message.js';
import type { HandlerSpec } from './handler-spec.js';

/** `thread.close` only clears LLM conversation state; it is never handed to a handler (§5.1). */
export const THREAD_CLOSE_TYPE = 'thread.close';

/**
 * The reference's `matches_handler`: disabled never matches; within one filter kind any entry
 * matches (OR); kinds combine with AND; an empty kind matches everything. `filter_from` uses the
 * policy wildcard rules on the claimed sender text, `filter_key` compares the encoded handshake
 * key exactly (so A2A messages, which have none, never pass a key filter), `filter_type` is exact.
 */
export function matchesHandler(spec: HandlerSpec, message: HandlerMessage): boolean {
  if (!spec.enabled) return false;
  const isFromOk = spec.filter_from.length === 0 || spec.filter_from.some((pattern) => addressMatches(pattern, message.from));
  const key = message.fromKey;
  const isKeyOk = spec.filter_key.length === 0 || (key !== undefined && spec.filter_key.includes(key));
  const isTypeOk = spec.filter_type.length === 0 || spec.filter_type.includes(message.type);
  return isFromOk && isKeyOk && isTypeOk;
}

/** The handlers a message is dispatched to, in file order; none for `thread.close`. */
export function matchingHandlers(specs: readonly HandlerSpec[], message: HandlerMessage): HandlerSpec[] {
  if (message.type === THREAD_CLOSE_TYPE) return [];
  return specs.filter((spec) => matchesHandler(spec, message));
}
