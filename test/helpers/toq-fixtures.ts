// Reading the protocol fixtures under fixtures/toq/ in unit tests: a file's `cases` array, the
// case shapes that more than one test file reads, and typed reads of one loosely typed case's
// fields (a string, hex bytes). It only reads and parses; the tests make every assertion.

import { readFileSync } from 'node:fs';
import type { ParseJsonOptions } from '../../src/protocol/json-parse.js';

/** The `cases` array of fixtures/toq/<name>, typed as the caller says (the JSON is not checked). */
export function toqFixtureCases<C>(name: string): C[] {
  const url = new URL(`../../fixtures/toq/${name}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: C[] }).cases;
}

/** A case whose fields differ by `kind` (e2e.json, keys.json, signatures.json); tests read them by name with str() and hex(). */
export interface KindCase {
  id: string;
  kind: string;
  [field: string]: unknown;
}

/** The string field `field` of a case; a missing or non-string field is a broken fixture (TypeError). */
export function str(c: KindCase, field: string): string {
  const value = c[field];
  if (typeof value !== 'string') throw new TypeError(`${c.id}: ${field} missing`);
  return value;
}

/** The bytes of the hex string field `field` of a case. */
export const hex = (c: KindCase, field: string): Uint8Array => new Uint8Array(Buffer.from(str(c, field), 'hex'));

/** Lowercase hex of some bytes, to compare with a fixture's hex field. */
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** One case of fixtures/toq/canonical-json.json: JSON text (or bytes), what it canonicalizes to or the code it is refused with. */
export interface CanonicalJsonCase {
  id: string;
  comment: string;
  input?: string;
  inputHex?: string;
  options?: ParseJsonOptions;
  dropTopLevelKeys?: string[];
  canonical?: string;
  sha256?: string;
  error?: string;
}
