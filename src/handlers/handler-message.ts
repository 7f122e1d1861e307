// The message a handler receives: the local API's IncomingMessage (local-API spec §4) plus the
// key the sending connection proved in its handshake. Also prints the IncomingMessage JSON that
// shell handlers read on stdin, in the reference's field order and with number lexemes kept.

import { wireJson } from '../protocol/canonical-json.js';
import { isJsonObject, type JsonValue } from '../protocol/json-value.js';

/** IncomingMessage fields (spec §4), named as on the wire. */
export interface IncomingMessage {
  readonly id: string;
  readonly type: string;
  /** The envelope's claimed sender, or `a2a-client` for A2A requests. */
  readonly from: string;
  readonly body?: JsonValue | undefined;
  readonly thread_id?: string | undefined;
  readonly reply_to?: string | undefined;
  readonly content_type?: string | undefined;
  /** Local receive time, RFC 3339 UTC. */
  readonly timestamp: string;
}

/** What dispatch sees: the message and the connection's public key. */
export interface HandlerMessage extends IncomingMessage {
  /** `ed25519:` + base64 of the handshake key; undefined for A2A messages (no connection key). */
  readonly fromKey?: string | undefined;
}

/**
 * The IncomingMessage JSON as the reference's serde derive prints it: keys in struct order
 * (id, type, from, body, thread_id, reply_to, content_type, timestamp), absent optionals omitted.
 * `fromKey` is not part of it.
 */
export function incomingMessageJson(message: IncomingMessage): string {
  const parts = [`"id":${wireJson(message.id)}`, `"type":${wireJson(message.type)}`, `"from":${wireJson(message.from)}`];
  if (message.body !== undefined) parts.push(`"body":${wireJson(message.body)}`);
  if (message.thread_id !== undefined) parts.push(`"thread_id":${wireJson(message.thread_id)}`);
  if (message.reply_to !== undefined) parts.push(`"reply_to":${wireJson(message.reply_to)}`);
  if (message.content_type !== undefined) parts.push(`"content_type":${wireJson(message.content_type)}`);
  parts.push(`"timestamp":${wireJson(message.timestamp)}`);
  return `{${parts.join(',')}}`;
}

/** `body.text` when the body is an object whose `text` is a string, else "" (spec §5.2, §5.3). */
export function messageText(message: IncomingMessage): string {
  const body = message.body;
  if (body === undefined || !isJsonObject(body) || !Object.hasOwn(body, 'text')) return '';
  const text = body['text'];
  return typeof text === 'string' ? text : '';
}
