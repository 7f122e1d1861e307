import { describe, expect, it } from 'vitest';

import { incomingMessageJson, messageText } from '../../../src/handlers/handler-message.js';
import { parseJson } from '../../../src/protocol/json-parse.js';

describe('incomingMessageJson', () => {
  it('prints the reference struct order, omits absent optionals and keeps number lexemes', () => {
    const body = parseJson('{"z":1.50,"text":"hi","big":12345678901234567890}');
    const text = incomingMessageJson({ id: 'i', type: 'message.send', from: 'toq://h/a', body, thread_id: 't', timestamp: 'ts', content_type: 'application/json' });
    // serde derive order (api/types.rs), body keys sorted as serde_json's Map prints them.
    expect(text).toBe('{"id":"i","type":"message.send","from":"toq://h/a","body":{"big":12345678901234567890,"text":"hi","z":1.50},"thread_id":"t","content_type":"application/json","timestamp":"ts"}');
  });

  it('leaves out fromKey and absent fields', () => {
    const msg = { id: 'i', type: 'thread.close', from: 'a2a-client', timestamp: 'ts', fromKey: 'ed25519:x' };
    expect(incomingMessageJson(msg)).toBe('{"id":"i","type":"thread.close","from":"a2a-client","timestamp":"ts"}');
  });
});

describe('messageText', () => {
  const base = { id: 'i', type: 'message.send', from: 'f', timestamp: 't' };
  it('is body.text when a string, else empty', () => {
    expect(messageText({ ...base, body: { text: 'hello' } })).toBe('hello');
    expect(messageText({ ...base, body: { text: 5 } })).toBe('');
    expect(messageText({ ...base, body: 'text' })).toBe('');
    expect(messageText(base)).toBe('');
  });
});
