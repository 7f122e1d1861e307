import { describe, expect, it } from 'vitest';
import { Message } from '@a2a-js/sdk';
import { A2A_CLIENT_SENDER, toToqIncomingMessage, toToqMessageBody, toToqText } from '../../../src/gateway/translate/a2a-message.js';

const ids = { id: 'e-1', threadId: 'th-1', taskId: 't-1', contextId: 'c-1', timestamp: '2026-01-02T03:04:05Z' };

describe('toToqIncomingMessage (DESIGN §5.2, local-API spec §4)', () => {
  it('text-only message: reference fields, from a2a-client, body {text, parts, a2a}', () => {
    const message = Message.fromJSON({ messageId: 'm-1', role: 'ROLE_USER', parts: [{ text: 'hi' }] });
    expect(toToqIncomingMessage(message, ids)).toEqual({
      id: 'e-1',
      type: 'message.send',
      from: A2A_CLIENT_SENDER,
      body: { text: 'hi', parts: [{ text: 'hi' }], a2a: { messageId: 'm-1', taskId: 't-1', contextId: 'c-1' } },
      thread_id: 'th-1',
      content_type: 'application/json',
      timestamp: '2026-01-02T03:04:05Z',
    });
    expect(A2A_CLIENT_SENDER).toBe('a2a-client');
  });

  it('text parts concatenate with no separator; other parts are kept whole in v1.0 ProtoJSON', () => {
    const message = Message.fromJSON({
      messageId: 'm-2',
      role: 'ROLE_USER',
      parts: [{ text: 'a' }, { data: { n: 1, list: [true, null] } }, { raw: 'aGk=', filename: 'f.txt', mediaType: 'text/plain' }, { url: 'https://x/y', mediaType: 'image/png' }, { text: 'b' }],
    });
    const body = toToqMessageBody(message, ids);
    expect(body['text']).toBe('ab');
    expect(body['parts']).toEqual([
      { text: 'a' },
      { data: { n: 1, list: [true, null] } },
      { raw: 'aGk=', filename: 'f.txt', mediaType: 'text/plain' },
      { url: 'https://x/y', mediaType: 'image/png' },
      { text: 'b' },
    ]);
  });

  it('no text part: text is empty, parts still carried', () => {
    const message = Message.fromJSON({ messageId: 'm-3', role: 'ROLE_USER', parts: [{ data: { k: 'v' } }] });
    expect(toToqText(message)).toBe('');
    expect(toToqMessageBody(message, ids)['parts']).toEqual([{ data: { k: 'v' } }]);
  });

  it('does not alias the input message', () => {
    const message = Message.fromJSON({ messageId: 'm-4', role: 'ROLE_USER', parts: [{ data: { k: ['v'] } }] });
    const body = toToqMessageBody(message, ids);
    ((body['parts'] as Array<Record<string, Record<string, string[]>>>)[0]!['data']!['k'] as string[]).push('changed');
    expect(message.parts[0]!.content).toEqual({ $case: 'data', value: { k: ['v'] } });
  });
});
