import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from '../../../src/protocol/timestamp.js';

interface Case {
  id: string;
  op: 'format' | 'parse';
  epochMs: number | null;
  extraNanos?: number;
  text: string;
  error?: string;
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/toq/timestamps.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('timestamp fixtures', () => {
  for (const c of fixture.cases) {
    it(c.id, () => {
      if (c.op === 'format') {
        if (c.error !== undefined) {
          expect(() => formatTimestamp(c.epochMs as number, c.extraNanos)).toThrow(RangeError);
          return;
        }
        expect(formatTimestamp(c.epochMs as number, c.extraNanos)).toBe(c.text);
        // Every formatted timestamp parses back to the same instant (to the nanosecond's ms fraction).
        expect(parseTimestamp(c.text)).toBeCloseTo((c.epochMs as number) + (c.extraNanos ?? 0) / 1e6, 3);
        return;
      }
      const got = parseTimestamp(c.text);
      if (c.epochMs === null) expect(got).toBeUndefined();
      else expect(got).toBeCloseTo(c.epochMs, 3);
    });
  }
});

describe('formatTimestamp', () => {
  it('agrees with Date#toISOString on whole milliseconds across many instants', () => {
    // An independent cross-check of the calendar arithmetic: ISO text minus trailing zeros.
    for (let ms = -5e12; ms < 2.5e14; ms += 77_777_777_791) {
      const iso = new Date(ms).toISOString();
      const want = iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
      expect(formatTimestamp(ms)).toBe(want);
    }
  });

  it('refuses misuse', () => {
    expect(() => formatTimestamp(1.5)).toThrow(RangeError);
    expect(() => formatTimestamp(0, 1_000_000)).toThrow(RangeError);
    expect(() => formatTimestamp(0, -1)).toThrow(RangeError);
    expect(() => formatTimestamp(Number.NaN)).toThrow(RangeError);
  });
});
