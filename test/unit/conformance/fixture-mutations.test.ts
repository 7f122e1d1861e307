// Issue #5: "a mutation of any signing rule makes a fixture test fail". This file re-implements
// the signing pipeline of wire spec §5.2-§5.3 in a few lines, with each rule switchable: key order
// by code point, address re-rendering, UUID normalization, top-level null = absent, unknown
// top-level keys dropped, serde number printing, UTF-8 signing bytes. With every rule right it
// must reproduce every canonical text and signature in fixtures/toq/canonical-json.json and
// envelopes.json (the control); with any single rule flipped, fixture cases must fail — which
// shows the fixtures pin each rule, for us and for anyone implementing toq from them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalAddress } from '../../../src/protocol/address.js';
import { canonicalJson, compareKeys } from '../../../src/protocol/canonical-json.js';
import { decodePublicKeyText, identityFromSeed, publicKeyObjectFromRaw, signToText, verifyText } from '../../../src/protocol/ed25519.js';
import { normalizeUuid } from '../../../src/protocol/envelope.js';
import { parseJson, type ParseJsonOptions } from '../../../src/protocol/json-parse.js';
import { JsonNumber, isJsonObject, type JsonObject, type JsonValue } from '../../../src/protocol/json-value.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'toq');
const load = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

interface CanonCase { id: string; input?: string; canonical?: string; options?: ParseJsonOptions; dropTopLevelKeys?: string[] }
interface EnvCase {
  id: string;
  kind: 'vector' | 'parse' | 'verify';
  result?: 'accept' | 'reject';
  wire?: string;
  canonical?: string;
  signature?: string;
  publicKey?: string;
  signerSeedHex?: string;
  fields?: Record<string, unknown> & { bodyJson?: string; sequence: string; ttl?: string };
}

const canonCases = load<{ cases: CanonCase[] }>('canonical-json.json').cases.filter((c) => c.canonical !== undefined && c.input !== undefined);
const envCases = load<{ cases: EnvCase[] }>('envelopes.json').cases.filter((c) => c.kind === 'vector' || (c.kind === 'parse' && c.result === 'accept'));

interface Rules {
  /** §5.3: Rust String order = code points. The mutation: JS's default (UTF-16) order. */
  readonly keyOrder: 'code-point' | 'utf16';
  /** §5.2, §20 item 1: from/to re-rendered to the display form before signing and verifying. */
  readonly rerenderAddresses: boolean;
  /** §5.2: the id re-emitted lowercase hyphenated. */
  readonly normalizeId: boolean;
  /** §5.2: a top-level null is an absent optional. */
  readonly dropTopLevelNulls: boolean;
  /** §5.2: unknown top-level keys are not part of the struct. */
  readonly dropUnknownKeys: boolean;
  /** §5.4: numbers printed as serde_json holds them. The mutation: JSON.parse + JSON.stringify. */
  readonly numbers: 'serde' | 'javascript';
  /** §20 item 6: sign the UTF-8 bytes. The mutation: Latin-1 bytes of the JS string. */
  readonly utf8: boolean;
}

const CORRECT: Rules = { keyOrder: 'code-point', rerenderAddresses: true, normalizeId: true, dropTopLevelNulls: true, dropUnknownKeys: true, numbers: 'serde', utf8: true };

const ENVELOPE_KEYS = new Set(['version', 'id', 'type', 'from', 'to', 'thread_id', 'reply_to', 'sequence', 'timestamp', 'priority', 'content_type', 'ttl', 'compression', 'signature', 'e2e_nonce', 'body']);

function print(value: JsonValue, rules: Rules): string {
  if (Array.isArray(value)) return `[${value.map((v) => print(v, rules)).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value);
    keys.sort(rules.keyOrder === 'code-point' ? compareKeys : undefined);
    return `{${keys.map((k) => `${canonicalJson(k)}:${print(value[k]!, rules)}`).join(',')}}`;
  }
  if (value instanceof JsonNumber && rules.numbers === 'javascript') return JSON.stringify(Number(value.lexeme));
  return canonicalJson(value);
}

/** serde's map form of a unit enum variant, {"message.send": null} (accept-enum-map-form). */
function enumText(v: JsonValue): JsonValue {
  if (isJsonObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && v[keys[0]!] === null) return keys[0]!;
  }
  return v;
}

/** The struct a receiver rebuilds from a parsed envelope, as an object, under `rules`. */
function envelopeObject(root: JsonObject, rules: Rules): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(root)) {
    if (key === 'signature') continue;
    if (rules.dropUnknownKeys && !ENVELOPE_KEYS.has(key)) continue;
    if (rules.dropTopLevelNulls && value === null) continue;
    let v: JsonValue = value;
    if (key === 'type' || key === 'priority') v = enumText(v);
    if (key === 'id' && rules.normalizeId && typeof v === 'string') v = normalizeUuid(v) ?? v;
    if (key === 'from' && rules.rerenderAddresses && typeof v === 'string') v = canonicalAddress(v);
    if (key === 'to' && rules.rerenderAddresses && Array.isArray(v)) v = v.map((t) => (typeof t === 'string' ? canonicalAddress(t) : t));
    out[key] = v;
  }
  return out;
}

function signingBytes(text: string, rules: Rules): Buffer {
  return Buffer.from(text, rules.utf8 ? 'utf8' : 'latin1');
}

/** Runs every considered fixture case under `rules`; returns the ids that fail. */
function failingCases(rules: Rules): string[] {
  const failed: string[] = [];
  for (const c of canonCases) {
    let root = parseJson(c.input!, c.options);
    if (c.dropTopLevelKeys && isJsonObject(root)) {
      root = { ...root };
      for (const k of c.dropTopLevelKeys) delete (root as JsonObject)[k];
    }
    if (print(root, rules) !== c.canonical) failed.push(`canonical-json:${c.id}`);
  }
  for (const c of envCases) {
    const key = publicKeyObjectFromRaw(decodePublicKeyText(c.publicKey!));
    if (c.kind === 'vector') {
      const f = c.fields!;
      const root: JsonObject = {};
      for (const [k, v] of Object.entries(f)) {
        if (k === 'bodyJson') root.body = parseJson(v as string);
        else if (k === 'sequence' || k === 'ttl') root[k] = new JsonNumber(v as string);
        else root[k] = v as JsonValue;
      }
      const text = print(envelopeObject(root, rules), rules);
      const signature = signToText(identityFromSeed(Buffer.from(c.signerSeedHex!, 'hex')), signingBytes(text, rules));
      if (text !== c.canonical || signature !== c.signature) failed.push(`envelopes:${c.id}`);
    } else {
      const root = parseJson(c.wire!) as JsonObject;
      const text = print(envelopeObject(root, rules), rules);
      const ok = typeof root.signature === 'string' && verifyText(key, signingBytes(text, rules), root.signature);
      if (text !== c.canonical || !ok) failed.push(`envelopes:${c.id}`);
    }
  }
  return failed;
}

describe('signing rules pinned by the fixtures (issue #5 mutation test)', () => {
  it('control: with every rule right, the local pipeline reproduces every considered case', () => {
    expect(canonCases.length).toBeGreaterThan(20);
    expect(envCases.length).toBeGreaterThan(25);
    expect(failingCases(CORRECT)).toEqual([]);
  });

  const mutations: ReadonlyArray<{ rule: string; rules: Rules; mustCatch: string[] }> = [
    { rule: 'keys sorted by UTF-16 code units instead of code points (§19.7)', rules: { ...CORRECT, keyOrder: 'utf16' }, mustCatch: ['canonical-json:key-order-trap', 'envelopes:accept-key-order-trap'] },
    { rule: 'addresses signed as written, not re-rendered (§20 item 1)', rules: { ...CORRECT, rerenderAddresses: false }, mustCatch: ['envelopes:vector-e1', 'envelopes:accept-domain-port-dropped'] },
    { rule: 'the id not normalized to lowercase hyphenated (§5.2)', rules: { ...CORRECT, normalizeId: false }, mustCatch: ['envelopes:accept-uppercase-id', 'envelopes:accept-urn-id'] },
    { rule: 'top-level nulls kept instead of absent (§5.2)', rules: { ...CORRECT, dropTopLevelNulls: false }, mustCatch: ['envelopes:accept-top-level-nulls-absent', 'envelopes:accept-body-null-absent'] },
    { rule: 'unknown top-level keys signed (§5.2)', rules: { ...CORRECT, dropUnknownKeys: false }, mustCatch: ['envelopes:accept-unknown-keys-dropped'] },
    { rule: 'numbers printed by JSON.stringify after JSON.parse (§5.4)', rules: { ...CORRECT, numbers: 'javascript' }, mustCatch: ['canonical-json:numbers-in-context', 'envelopes:vector-e1', 'envelopes:vector-e2-floats'] },
    { rule: 'signing Latin-1 bytes of the text instead of UTF-8 (§20 item 6)', rules: { ...CORRECT, utf8: false }, mustCatch: ['envelopes:vector-e1'] },
  ];

  for (const m of mutations) {
    it(`mutation is detected: ${m.rule}`, () => {
      const failed = failingCases(m.rules);
      expect(failed.length).toBeGreaterThan(0);
      for (const id of m.mustCatch) expect(failed).toContain(id);
    });
  }
});
