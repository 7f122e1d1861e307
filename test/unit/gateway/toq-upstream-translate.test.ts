// Translators of the toq-upstream path (DESIGN §5.2): stream pieces → artifact updates,
// CancelTask → message.cancel, a failed delivery → the FAILED status text.

import { describe, expect, it } from 'vitest';
import { toToqCancel } from '../../../src/gateway/translate/cancel-message.js';
import { toA2aFailureText } from '../../../src/gateway/translate/delivery-failure.js';
import { streamArtifactId, toA2aChunkEvent, toA2aStreamPiece } from '../../../src/gateway/translate/stream-chunk.js';
import { JsonNumber, type JsonObject } from '../../../src/protocol/json-value.js';

describe('toA2aStreamPiece', () => {
  it('reads the local API shape {stream_id, data: {text}} as one text part', () => {
    const piece = toA2aStreamPiece({ stream_id: 's1', data: { text: 'hello' } });
    expect(piece.streamId).toBe('s1');
    expect(piece.parts.map((p) => p.content)).toEqual([{ $case: 'text', value: 'hello' }]);
  });

  it('a bare string as data is text; other JSON is one data part with plain numbers', () => {
    expect(toA2aStreamPiece({ stream_id: 's', data: 'x' }).parts[0]?.content).toEqual({ $case: 'text', value: 'x' });
    const piece = toA2aStreamPiece({ stream_id: 's', data: { n: new JsonNumber('2.50'), list: [true] } });
    expect(piece.parts[0]?.content).toEqual({ $case: 'data', value: { n: 2.5, list: [true] } });
    expect(piece.parts[0]?.mediaType).toBe('application/json');
  });

  it('an end without data carries no parts; a missing or empty stream id is undefined; a non-object body is tolerated', () => {
    expect(toA2aStreamPiece({ stream_id: 's' }).parts).toEqual([]);
    expect(toA2aStreamPiece({ stream_id: '', data: 'y' }).streamId).toBeUndefined();
    expect(toA2aStreamPiece(undefined)).toEqual({ parts: [] });
    expect(toA2aStreamPiece('text')).toEqual({ parts: [] });
  });

  it('does not alias the input', () => {
    const data: JsonObject = { deep: { v: 1 } };
    const piece = toA2aStreamPiece({ stream_id: 's', data });
    (data['deep'] as JsonObject)['v'] = 2;
    expect(piece.parts[0]?.content).toEqual({ $case: 'data', value: { deep: { v: 1 } } });
  });
});

describe('toA2aChunkEvent', () => {
  it('one artifact per stream, with the append and lastChunk flags given', () => {
    const ids = { taskId: 't', contextId: 'c', artifactId: streamArtifactId('t', 's1') };
    const event = toA2aChunkEvent(toA2aStreamPiece({ stream_id: 's1', data: { text: 'a' } }), ids, { append: true, lastChunk: false });
    expect(event.kind).toBe('artifactUpdate');
    if (event.kind !== 'artifactUpdate') return;
    expect(event.data).toMatchObject({ taskId: 't', contextId: 'c', append: true, lastChunk: false, artifact: { artifactId: 't-stream-s1' } });
    expect(streamArtifactId('t', undefined)).toBe('t-stream');
  });
});

describe('toToqCancel', () => {
  it('message.cancel on the thread, body {cancel_id} (wire spec §7)', () => {
    expect(toToqCancel('11111111-2222-4333-8444-555555555555', 'th')).toEqual({ type: 'message.cancel', thread_id: 'th', body: { cancel_id: '11111111-2222-4333-8444-555555555555' } });
    expect(() => toToqCancel('', 'th')).toThrow(RangeError);
  });
});

describe('toA2aFailureText', () => {
  it('undeliverable says unreachable; failed says refused; the code and message are kept', () => {
    expect(toA2aFailureText({ status: 'undeliverable', code: 'ECONNREFUSED', message: 'connect refused' }, 'toq://h/b')).toBe('toq agent toq://h/b unreachable (ECONNREFUSED: connect refused)');
    expect(toA2aFailureText({ status: 'failed', code: 'blocked', message: '' }, 'toq://h/b')).toBe('toq agent toq://h/b refused the message (blocked)');
  });
});
