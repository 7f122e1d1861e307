import { describe, expect, it } from 'vitest';
import { LEGACY_A2A_VERSION, normalizeA2aVersion, requestedA2aVersion } from '../../../src/a2a/a2a-version.js';

describe('normalizeA2aVersion (a2a-notes §2)', () => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, '0.3'],
    ['', '0.3'],
    ['   ', '0.3'],
    ['1.0', '1.0'],
    [' 1.0 ', '1.0'],
    ['1.0.1', '1.0'],
    ['1', '1.0'],
    ['0.3', '0.3'],
    ['0.3.0', '0.3'],
    ['01.00', '1.0'],
    ['2.1', '2.1'],
    ['v1', 'v1'],
    ['1.0-beta', '1.0-beta'],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} -> ${expected}`, () => expect(normalizeA2aVersion(raw)).toBe(expected));
  }
});

describe('requestedA2aVersion', () => {
  it('absent everywhere means 0.3', () => expect(requestedA2aVersion(undefined, new URLSearchParams())).toBe(LEGACY_A2A_VERSION));
  it('the header wins over the query', () => expect(requestedA2aVersion('1.0', new URLSearchParams('A2A-Version=0.3'))).toBe('1.0'));
  it('the query parameter is read in any case', () => expect(requestedA2aVersion(undefined, new URLSearchParams('a2a-version=1.0.2'))).toBe('1.0'));
  it('an empty header falls back to the query', () => expect(requestedA2aVersion('', new URLSearchParams('A2A-Version=1.0'))).toBe('1.0'));
  it('a repeated header uses the first value', () => expect(requestedA2aVersion(['1.0', '0.3'], new URLSearchParams())).toBe('1.0'));
});
