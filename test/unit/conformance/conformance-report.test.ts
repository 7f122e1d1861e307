// The report: the exit-code rule (required passes only), summaries and the three renderings;
// and the connection pacer that keeps a run under the receiver's rate limit.

import { describe, expect, it } from 'vitest';
import { buildReport, formatReportLines, formatReportTable, isConforming, summarize, type CaseResult } from '../../../src/conformance/conformance-report.js';
import { ConnectionPacer } from '../../../src/conformance/connection-pacer.js';

const results: CaseResult[] = [
  { id: 'send-ack', required: true, status: 'pass', expected: 'an ack', got: '2 steps as expected', ms: 12 },
  { id: 'replay-sequence-refused', required: false, status: 'fail', expected: 'system.error with body.code = "sequence_violation"', got: 'message.ack {"ack_id":"x"}', ms: 20, step: 3 },
];

describe('conformance report', () => {
  it('ok only when every required case passed; advisory failures do not count', () => {
    expect(isConforming(results)).toBe(true);
    const withRequiredFail: CaseResult[] = [...results, { id: 'heartbeat', required: true, status: 'fail', expected: 'e', got: 'g', ms: 1 }];
    expect(isConforming(withRequiredFail)).toBe(false);
    const withRequiredSkip: CaseResult[] = [...results, { id: 'heartbeat', required: true, status: 'skip', expected: 'e', got: 'deadline', ms: 0 }];
    expect(isConforming(withRequiredSkip)).toBe(false);
    expect(isConforming(withRequiredSkip, true)).toBe(true);
    expect(summarize(withRequiredFail)).toEqual({ total: 3, passed: 1, failed: 2, skipped: 0, requiredFailed: 1, advisoryFailed: 1 });
  });

  it('plain lines name the fixture id, what was expected and what came back', () => {
    const report = buildReport('toq', 'toq://127.0.0.1:4000/bob', 0, results, 55, { dialed: '127.0.0.1:4000' });
    expect(report.ok).toBe(true);
    expect(report.ms).toBe(55);
    const text = formatReportLines(report);
    expect(text).toContain('PASS required send-ack 12ms');
    expect(text).toContain('FAIL advisory replay-sequence-refused 20ms: step 3: expected system.error with body.code = "sequence_violation"; got message.ack {"ack_id":"x"}');
    expect(text).toContain('dialed=127.0.0.1:4000');
    expect(text.split('\n').at(-1)).toMatch(/^OK: every required case passed \(1 passed, 1 failed \[1 advisory\], 0 skipped; 55 ms\)$/);
  });

  it('the table aligns columns and puts the detail under failing rows', () => {
    const failing = buildReport('toq', 't', 0, [{ ...results[0]!, status: 'fail', got: 'nothing within 5000 ms', step: 1 }], 5);
    const table = formatReportTable(failing);
    expect(table).toMatch(/STATUS {2}KIND {6}CASE {7}TIME\nFAIL {4}required {2}send-ack {2}12 ms\n/);
    expect(table).toContain('      step 1: expected an ack; got nothing within 5000 ms');
    expect(table).toMatch(/NOT CONFORMING: 1 required case\(s\) failed/);
  });
});

describe('connection pacer', () => {
  it('lets perWindow connections through at once, then waits for the window to slide', async () => {
    let now = 0;
    const pacer = new ConnectionPacer({ perWindow: 2, windowMs: 30, now: () => now });
    await pacer.next();
    await pacer.next();
    let third = false;
    const p = pacer.next().then(() => (third = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(third).toBe(false);
    now = 31;
    await p;
    expect(third).toBe(true);
  });

  it('misuse is a RangeError', () => {
    expect(() => new ConnectionPacer({ perWindow: 0 })).toThrow(RangeError);
  });
});
