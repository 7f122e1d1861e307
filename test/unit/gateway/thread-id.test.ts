import { describe, expect, it } from 'vitest';
import { toToqThreadId } from '../../../src/gateway/translate/thread-id.js';

describe('toToqThreadId (DESIGN §5.2)', () => {
  const key = { agent: 'alice', principal: 'a2a-api-key', contextId: 'ctx-1', generation: 0 };

  it('matches an independent computation', () => {
    // Python 3: sha256(json.dumps(["toq-a2a-thread","alice","a2a-api-key","ctx-1",0], separators=(",",":"))),
    // first 16 bytes, version nibble 8, RFC 9562 variant, formatted 8-4-4-4-12.
    expect(toToqThreadId(key)).toBe('866bc951-85d0-8d3e-80a1-da2c3302eb06');
  });

  it('is stable and UUID-shaped (version 8)', () => {
    const id = toToqThreadId(key);
    expect(toToqThreadId({ ...key })).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('differs per agent, principal, context and generation', () => {
    const id = toToqThreadId(key);
    for (const other of [{ ...key, agent: 'bob' }, { ...key, principal: 'unknown' }, { ...key, contextId: 'ctx-2' }, { ...key, generation: 1 }]) {
      expect(toToqThreadId(other)).not.toBe(id);
    }
  });

  it('cannot be confused by separators inside members', () => {
    expect(toToqThreadId({ ...key, agent: 'a', principal: 'b\u0000c' })).not.toBe(toToqThreadId({ ...key, agent: 'a\u0000b', principal: 'c' }));
  });

  it('refuses a bad generation (our misuse)', () => {
    expect(() => toToqThreadId({ ...key, generation: -1 })).toThrow(RangeError);
    expect(() => toToqThreadId({ ...key, generation: 1.5 })).toThrow(RangeError);
  });
});
