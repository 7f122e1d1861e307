// A2A request message → the toq message the local agent receives (DESIGN §4, §5.2): type
// message.send from `a2a-client` (the reference's sender name), body `{"text", "parts",
// "a2a": {messageId, taskId, contextId}}`: `text` is every text part concatenated with no
// separator (as the reference does) so plain consumers keep working, `parts` keeps every part
// whole in v1.0 ProtoJSON. Pure: ids and the clock come in.

import { Part, type Message } from '@a2a-js/sdk';
import type { JsonObject, JsonValue } from '../../protocol/json-value.js';

/** The `from` of A2A-originated messages (local-API spec §4, §5.2: TOQ_FROM). */
export const A2A_CLIENT_SENDER = 'a2a-client';

/** An incoming message as the local API's history and SSE carry it (local-API spec §4). */
export interface ToqIncomingMessage {
  readonly id: string;
  readonly type: 'message.send';
  readonly from: string;
  readonly body: JsonObject;
  readonly thread_id: string;
  readonly content_type: 'application/json';
  /** RFC 3339 UTC, the receive time. */
  readonly timestamp: string;
}

export interface ToqMessageIds {
  /** The new message's id (a UUID). */
  readonly id: string;
  readonly threadId: string;
  readonly taskId: string;
  readonly contextId: string;
  /** Receive time, formatted by the caller (RFC 3339 UTC). */
  readonly timestamp: string;
}

export function toToqMessageBody(message: Message, ids: { readonly taskId: string; readonly contextId: string }): JsonObject {
  return {
    text: toToqText(message),
    // Part.toJSON is ProtoJSON (plain JSON values) but shares `data` values with the input: copy.
    parts: message.parts.map((part) => structuredClone(Part.toJSON(part)) as JsonValue),
    a2a: { messageId: message.messageId, taskId: ids.taskId, contextId: ids.contextId },
  };
}

export function toToqIncomingMessage(message: Message, ids: ToqMessageIds): ToqIncomingMessage {
  return {
    id: ids.id,
    type: 'message.send',
    from: A2A_CLIENT_SENDER,
    body: toToqMessageBody(message, ids),
    thread_id: ids.threadId,
    content_type: 'application/json',
    timestamp: ids.timestamp,
  };
}

/** The text parts, concatenated with no separator (local-API spec §9.3). */
export function toToqText(message: Message): string {
  let text = '';
  for (const part of message.parts) if (part.content?.$case === 'text') text += part.content.value;
  return text;
}
