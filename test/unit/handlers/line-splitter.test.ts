import { describe, expect, it } from 'vitest';

import { LineSplitter, TRUNCATED_MARK } from '../../../src/handlers/line-splitter.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

describe('LineSplitter', () => {
  it('splits like Rust str::lines (CRLF, last line without newline)', () => {
    const s = new LineSplitter(100);
    expect(s.push(enc('a\r\nb\n\nc'))).toEqual(['a', 'b', '']);
    expect(s.flush()).toEqual(['c']);
    expect(s.flush()).toEqual([]);
  });

  it('gives the same lines whatever the chunking (every cut point)', () => {
    const text = enc('héllo wörld\nsecond 🎉 line\r\n\nlast');
    for (let cut = 0; cut <= text.length; cut++) {
      const s = new LineSplitter(100);
      const lines = [...s.push(text.subarray(0, cut)), ...s.push(text.subarray(cut)), ...s.flush()];
      expect(lines).toEqual(['héllo wörld', 'second 🎉 line', '', 'last']);
    }
  });

  it('cuts long lines at the cap and drops the rest of them', () => {
    const s = new LineSplitter(4);
    expect(s.push(enc('abcdefgh'))).toEqual([`abcd${TRUNCATED_MARK}`]);
    expect(s.push(enc('ijk\nxy\n'))).toEqual(['xy']);
    expect(s.push(enc('123456'))).toEqual([`1234${TRUNCATED_MARK}`]);
    expect(s.flush()).toEqual([]);
  });
});
