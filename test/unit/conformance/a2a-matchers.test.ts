// The matcher language of fixtures/a2a/checks.json: paths, each condition holding and failing.

import { describe, expect, it } from 'vitest';
import { checkMatchers, readPath } from '../../../src/conformance/a2a/a2a-matchers.js';

const body = { result: { task: { id: 'T', status: { state: 'TASK_STATE_COMPLETED' }, history: [{ a: 1 }, { a: 2 }] } }, id: null };

describe('readPath', () => {
  it('reads keys, indexes and length; "" is the value itself', () => {
    expect(readPath(body, 'result.task.id')).toBe('T');
    expect(readPath(body, 'result.task.history.1.a')).toBe(2);
    expect(readPath(body, 'result.task.history.length')).toBe(2);
    expect(readPath(body, 'result.task.id.length')).toBe(1);
    expect(readPath(body, 'id')).toBeNull();
    expect(readPath(body, '')).toBe(body);
  });

  it('a missing key, an index out of range or a leading-zero index is missing, not undefined', () => {
    for (const path of ['result.message', 'result.task.history.2', 'result.task.history.01', 'id.x']) {
      expect(typeof readPath(body, path), path).toBe('symbol');
    }
  });
});

describe('checkMatchers', () => {
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['equals', { 'result.task.id': { equals: 'T' } }, true],
    ['equals null', { id: { equals: null } }, true],
    ['equals wrong', { 'result.task.id': { equals: 'U' } }, false],
    ['not_equals', { 'result.task.id': { not_equals: 'T' } }, false],
    ['missing', { 'result.message': { type: 'object' } }, false],
    ['optional missing', { 'result.message.role': { optional: true, equals: 'ROLE_AGENT' } }, true],
    ['absent', { 'result.message': { absent: true } }, true],
    ['absent but present', { 'result.task': { absent: true } }, false],
    ['type integer', { 'result.task.history.length': { type: 'integer' } }, true],
    ['type number accepts integer', { 'result.task.history.length': { type: 'number' } }, true],
    ['type string wrong', { 'result.task.history': { type: 'string' } }, false],
    ['in', { 'result.task.status.state': { in: ['TASK_STATE_COMPLETED'] } }, true],
    ['in_set', { 'result.task.status.state': { in_set: 'final' } }, true],
    ['non_empty', { 'result.task.history': { non_empty: true } }, true],
    ['pattern', { 'result.task.status.state': { pattern: '^TASK_STATE_' } }, true],
    ['pattern wrong', { 'result.task.status.state': { pattern: '^task' } }, false],
    ['max', { 'result.task.history.length': { max: 1 } }, false],
    ['min', { 'result.task.history.length': { min: 2 } }, true],
    ['one_key_of', { result: { one_key_of: ['task', 'message'] } }, true],
    ['one_key_of none', { result: { one_key_of: ['message', 'statusUpdate'] } }, false],
    ['no_keys', { 'result.task': { no_keys: ['kind'] } }, true],
    ['no_keys hit', { 'result.task': { no_keys: ['id'] } }, false],
    ['no_key_anywhere', { '': { no_key_anywhere: 'a' } }, false],
    ['no_key_anywhere clean', { '': { no_key_anywhere: '$case' } }, true],
    ['each', { 'result.task.history': { each: { a: { type: 'integer' } } } }, true],
    ['each fails', { 'result.task.history': { each: { a: { equals: 1 } } } }, false],
    ['some', { 'result.task.history': { some: { a: { equals: 2 } } } }, true],
    ['some fails', { 'result.task.history': { some: { a: { equals: 3 } } } }, false],
    ['each_value', { 'result.task.status': { each_value: { '': { type: 'string' } } } }, true],
  ];
  for (const [name, matchers, ok] of cases) {
    it(`${name}: ${ok ? 'holds' : 'fails'}`, () => {
      const problem = checkMatchers(body, matchers as never, { final: ['TASK_STATE_COMPLETED'] });
      if (ok) expect(problem).toBeUndefined();
      else expect(problem).toMatch(/\S/);
    });
  }

  it('names the path and the value in the problem', () => {
    expect(checkMatchers(body, { 'result.task.id': { equals: 'U' } })).toBe('result.task.id: "T", expected "U"');
  });

  it('an unknown set is our bug: RangeError', () => {
    expect(() => checkMatchers(body, { 'result.task.id': { in_set: 'nope' } })).toThrow(RangeError);
  });
});
