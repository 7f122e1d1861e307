import { describe, expect, it } from 'vitest';
import { A2A_ERROR_CODE, RequestMalformedError, toJsonRpcError } from '@a2a-js/sdk/errors';
import { checkHistoryLength, checkPageSize, checkTimestamp, isRfc3339Timestamp } from '../../../src/a2a/request-checks.js';

function codeOf(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(RequestMalformedError);
    return toJsonRpcError(err).code;
  }
}

describe('request checks (a2a-notes §4, §13)', () => {
  it('historyLength: unset, 0 and positive pass; negative and fractional are -32602', () => {
    expect(codeOf(() => checkHistoryLength(undefined))).toBeUndefined();
    expect(codeOf(() => checkHistoryLength(0))).toBeUndefined();
    expect(codeOf(() => checkHistoryLength(5))).toBeUndefined();
    expect(codeOf(() => checkHistoryLength(-1))).toBe(-32602);
    expect(codeOf(() => checkHistoryLength(1.5))).toBe(-32602);
    expect(A2A_ERROR_CODE.INVALID_PARAMS).toBe(-32602);
  });

  it('pageSize: 1..100 integers only', () => {
    for (const ok of [undefined, 1, 50, 100]) expect(codeOf(() => checkPageSize(ok))).toBeUndefined();
    for (const bad of [0, -1, 101, 2.5, Number.NaN]) expect(codeOf(() => checkPageSize(bad))).toBe(-32602);
  });

  it('timestamps must be RFC 3339', () => {
    for (const ok of ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.678Z', '2026-01-02t03:04:05+05:30', '2024-02-29T00:00:00Z', '2026-12-31T23:59:60Z']) {
      expect(isRfc3339Timestamp(ok), ok).toBe(true);
    }
    for (const bad of ['2024', '2026-01-02', '2026-01-02 03:04:05Z', '2026-01-02T03:04:05', '2026-13-01T00:00:00Z', '2023-02-29T00:00:00Z', '2026-01-02T24:00:00Z', 'garbage', '2026-01-02T03:04:05+25:00']) {
      expect(isRfc3339Timestamp(bad), bad).toBe(false);
    }
    expect(codeOf(() => checkTimestamp('statusTimestampAfter', '2024'))).toBe(-32602);
    expect(codeOf(() => checkTimestamp('statusTimestampAfter', undefined))).toBeUndefined();
    expect(codeOf(() => checkTimestamp('statusTimestampAfter', ''))).toBeUndefined();
  });
});
