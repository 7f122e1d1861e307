import { describe, expect, it } from 'vitest';
import { ACKED_MESSAGE_TYPES, MESSAGE_TYPES, isAckedType, isMessageType } from '../../../src/protocol/message-types.js';

describe('message types (spec §7)', () => {
  it('lists exactly the 25 type strings of the reference', () => {
    // The reference's MessageType enum (types.rs) has 25 variants; spec §7 lists the same strings.
    expect(MESSAGE_TYPES).toHaveLength(25);
    expect(new Set(MESSAGE_TYPES).size).toBe(25);
    for (const t of ['negotiate.request', 'card.exchange', 'message.stream.chunk', 'system.key_rotation.ack', 'handshake.reject']) {
      expect(isMessageType(t)).toBe(true);
    }
  });

  it('refuses names the docs invent and near misses', () => {
    for (const t of ['stream.chunk', 'Message.Send', 'message.send ', 'system.keyrotation', '', 'toString', '__proto__']) {
      expect(isMessageType(t)).toBe(false);
    }
    expect(isMessageType(7)).toBe(false);
  });

  it('acks exactly message.send, thread.close, stream chunks and stream ends (§8)', () => {
    expect([...ACKED_MESSAGE_TYPES].sort()).toEqual(['message.send', 'message.stream.chunk', 'message.stream.end', 'thread.close']);
    expect(isAckedType('message.ack')).toBe(false);
    expect(isAckedType('system.heartbeat')).toBe(false);
    expect(isAckedType('thread.close')).toBe(true);
  });
});
