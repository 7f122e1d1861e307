// Inbound history entries (local-API spec §3.1 "History", §4 IncomingMessage): incoming
// message.send, thread.close and message.stream.end, as committed before the ack. Plain data;
// the body is the exact wire text.

import { wireJson } from '../protocol/canonical-json.js';
import type { Envelope } from '../protocol/envelope.js';
import type { MessageType } from '../protocol/message-types.js';

export interface InboundRecord {
  /** The envelope id. */
  readonly id: string;
  /** Which of our agents it was for. */
  readonly agent: string;
  readonly type: MessageType;
  /** The envelope's `from` (canonical address). */
  readonly from: string;
  /** The sender's key as proven in the handshake (`ed25519:...`); dedup is scoped by it. */
  readonly peerKey: string;
  readonly thread_id: string | null;
  readonly reply_to: string | null;
  readonly content_type: string | null;
  /** wireJson(body), or null for a body-less envelope. */
  readonly body: string | null;
  /** Local receive time, epoch milliseconds (the reference's `timestamp` is the receive time). */
  readonly receivedAtMs: number;
}

export interface HistoryQuery {
  /** Only this agent's messages. @default every agent */
  readonly agent?: string;
  /** The newest `limit` matches are returned, oldest first. */
  readonly limit: number;
  /** Plain substring of `from`, as the reference matches it. */
  readonly from?: string;
  /** Only messages received at or after this instant (epoch ms). */
  readonly sinceMs?: number;
  /** Only messages of this thread (exact). */
  readonly threadId?: string;
}

/** The history entry of a received envelope: body kept as its exact wire text. */
export function toInboundRecord(envelope: Envelope, agent: string, peerKey: string, receivedAtMs: number): InboundRecord {
  return {
    id: envelope.id,
    agent,
    type: envelope.type,
    from: envelope.from,
    peerKey,
    thread_id: envelope.thread_id ?? null,
    reply_to: envelope.reply_to ?? null,
    content_type: envelope.content_type ?? null,
    body: envelope.body === undefined || envelope.body === null ? null : wireJson(envelope.body),
    receivedAtMs,
  };
}
