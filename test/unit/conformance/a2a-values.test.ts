// Variables in the A2A check fixture: whole-string, embedded, $uuid, $$ escape, unset.

import { describe, expect, it } from 'vitest';
import { substitute, UnsetVariableError } from '../../../src/conformance/a2a/a2a-values.js';

describe('substitute', () => {
  const vars = new Map<string, unknown>([
    ['taskId', 'T1'],
    ['n', 2],
  ]);

  it('replaces whole strings by the value (any type) and embedded ${x} by its text, deep', () => {
    expect(substitute({ a: ['$taskId', '$n'], b: '/tasks/${taskId}:cancel', c: 'n=${n}', d: 5, e: null }, vars)).toEqual({ a: ['T1', 2], b: '/tasks/T1:cancel', c: 'n=2', d: 5, e: null });
  });

  it('$uuid is fresh at each use', () => {
    const out = substitute(['$uuid', '$uuid', 'x-${uuid}'], vars) as string[];
    expect(out[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out[0]).not.toBe(out[1]);
    expect(out[2]).toMatch(/^x-[0-9a-f-]{36}$/);
  });

  it('$$ stands for a literal $', () => {
    expect(substitute({ k: '$$case' }, vars)).toEqual({ k: '$case' });
  });

  it('an unset variable throws UnsetVariableError naming it', () => {
    expect(() => substitute({ id: '$contextId' }, vars)).toThrow(UnsetVariableError);
    try {
      substitute('/tasks/${missing}', vars);
    } catch (err) {
      expect((err as UnsetVariableError).variable).toBe('missing');
    }
  });

  it('does not alias the template', () => {
    const template = { a: { b: ['$taskId'] } };
    const out = substitute(template, vars) as typeof template;
    expect(out.a).not.toBe(template.a);
    expect(template.a.b[0]).toBe('$taskId');
  });
});
