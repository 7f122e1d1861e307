// Parameter rules the SDK leaves open (a2a-notes §13), checked before a request reaches the
// SDK's handler, on every binding: a negative `historyLength`, a timestamp that is not RFC 3339
// and a message without parts are refused with RequestMalformedError (-32602 / HTTP 400) instead
// of accepted. Pure.

import type { Message } from '@a2a-js/sdk';
import { RequestMalformedError } from '@a2a-js/sdk/errors';

/** A message needs at least one part, each with content (A2A: `parts` is required); the SDK takes `[]`. */
export function checkMessageParts(message: Message | undefined): void {
  if (message === undefined) return; // the SDK's own check answers a missing message
  if (message.parts.length === 0) throw new RequestMalformedError('message.parts must hold at least one part');
  if (message.parts.some((part) => part.content === undefined)) throw new RequestMalformedError('every message part needs content (text, data, raw or url)');
}

/** `historyLength`: unset = server default, 0 = none, N = at most N (a2a-notes §4); never negative. */
export function checkHistoryLength(value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0) {
    throw new RequestMalformedError(`historyLength must be a non-negative integer, got ${String(value)}`);
  }
}

/** `pageSize` of ListTasks: 1..100 when given (a2a-notes §4). */
export function checkPageSize(value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw new RequestMalformedError(`pageSize must be an integer from 1 to 100, got ${String(value)}`);
  }
}

/** A ProtoJSON Timestamp: RFC 3339 with a `Z` or numeric offset, e.g. 2026-01-02T03:04:05.678Z. */
export function checkTimestamp(name: string, value: string | undefined): void {
  if (value === undefined || value === '') return;
  if (!isRfc3339Timestamp(value)) {
    throw new RequestMalformedError(`${name} must be an RFC 3339 timestamp (e.g. 2026-01-02T03:04:05Z), got "${value}"`);
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

export function isRfc3339Timestamp(text: string): boolean {
  const m = RFC3339.exec(text);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}
