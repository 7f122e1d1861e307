// Every envelope `type` string the reference knows (wire spec §7). An envelope with any other
// type is a parse error there (§5.2, §20 item 9), so this list is closed. Pure data; no behaviour.

export const MESSAGE_TYPES = [
  // Never sent as envelopes (the handshake is bare JSON, §4), but known to the parser.
  'handshake.init',
  'handshake.response',
  'handshake.reject',
  'negotiate.request',
  'negotiate.response',
  'negotiate.reject',
  'session.resume',
  'session.disconnect',
  'approval.request',
  'approval.granted',
  'approval.denied',
  'message.send',
  'message.ack',
  'message.cancel',
  'message.stream.chunk',
  'message.stream.end',
  'thread.close',
  'system.heartbeat',
  'system.heartbeat.ack',
  'system.backpressure',
  'system.backpressure.clear',
  'system.error',
  'system.key_rotation',
  'system.key_rotation.ack',
  'card.exchange',
] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set<string>(MESSAGE_TYPES);

export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && KNOWN.has(value);
}

/** Types the receiver answers with `message.ack` (`ack_id` = their id), spec §8 "Ack semantics". */
export const ACKED_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'message.send',
  'thread.close',
  'message.stream.chunk',
  'message.stream.end',
]);

export function isAckedType(type: MessageType): boolean {
  return ACKED_MESSAGE_TYPES.has(type);
}

/** Types that belong to connection setup (§3.4, §6); after setup they are ignored (§8). */
export const SETUP_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'negotiate.request',
  'negotiate.response',
  'negotiate.reject',
  'approval.request',
  'card.exchange',
]);
