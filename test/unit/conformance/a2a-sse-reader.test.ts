// The SSE reader (WHATWG HTML §9.2): fields, multi-line data, comments, CRLF/CR, a BOM, the size
// cap, and the same events whatever the chunking.

import { describe, expect, it } from 'vitest';
import { readSseEvents, SseEventTooLargeError, SseParser, type SseEvent } from '../../../src/conformance/a2a/sse-reader.js';

const STREAM = '\ufeff: comment\r\ndata: {"a":1}\r\n\r\nevent: error\ndata: line1\ndata:line2\n\nid: 7\nretry: 10\n\ndata\n\rdata: x\rdata: y\r\r';
const EVENTS: SseEvent[] = [
  { event: 'message', data: '{"a":1}' },
  { event: 'error', data: 'line1\nline2' },
  { event: 'message', data: '' },
  { event: 'message', data: 'x\ny' },
];

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return [...chunks.flatMap((c) => parser.push(c)), ...parser.end()];
}

describe('SseParser', () => {
  it('parses fields, joins data lines, skips comments and other fields, accepts CRLF/LF/CR and a BOM', () => {
    // "data\n\r" is one empty data line then a blank line (§9.2.6: a field without colon has an empty value).
    expect(parseAll([STREAM])).toEqual(EVENTS);
  });

  it('gives the same events when the text is cut at any one or two offsets', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parseAll([STREAM.slice(0, i), STREAM.slice(i)]), `cut at ${i}`).toEqual(EVENTS);
      for (let j = i; j <= STREAM.length; j += 7) {
        expect(parseAll([STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j)]), `cut at ${i},${j}`).toEqual(EVENTS);
      }
    }
  });

  it('drops an unfinished last event (no blank line)', () => {
    expect(parseAll(['data: a\n\ndata: b\n'])).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('refuses an event over the cap, also while its line is still arriving', () => {
    expect(() => new SseParser(10).push('data: 0123456789abc\n')).toThrow(SseEventTooLargeError);
    expect(() => new SseParser(10).push('data: 0123456789abc')).toThrow(SseEventTooLargeError);
    expect(new SseParser(10).push('data: 0123\n\ndata: 4567\n\n')).toHaveLength(2);
  });
});

describe('readSseEvents', () => {
  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo ✓\n\n');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (const b of bytes) yield Uint8Array.of(b);
    }
    const out: SseEvent[] = [];
    for await (const e of readSseEvents(chunks())) out.push(e);
    expect(out).toEqual([{ event: 'message', data: 'héllo ✓' }]);
  });
});
