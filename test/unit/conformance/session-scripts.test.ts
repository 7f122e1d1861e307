// fixtures/toq/session-scripts.json is well-formed, says what issue #5 asks for (which cases are
// required and which advisory), and the validator refuses broken scripts with the case named.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSessionScripts, parseSessionScripts, SESSION_SCRIPTS_URL } from '../../../src/conformance/session-script.js';
import { selectCases } from '../../../src/conformance/toq-conformance.js';

const FILE = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'toq', 'session-scripts.json');
const raw = (): Record<string, unknown> & { cases: Record<string, unknown>[] } => JSON.parse(readFileSync(FILE, 'utf8'));

describe('session-scripts.json', () => {
  const scripts = loadSessionScripts();

  it('is found next to the module and validates', () => {
    expect(SESSION_SCRIPTS_URL.pathname.endsWith('/fixtures/toq/session-scripts.json')).toBe(true);
    expect(scripts.cases.length).toBeGreaterThanOrEqual(17);
    expect(scripts.defaults.within_ms).toBe(5000);
  });

  it('marks as required exactly what the reference itself does, and the stricter rules as advisory', () => {
    const advisory = scripts.cases.filter((c) => !c.required).map((c) => c.id).sort();
    expect(advisory).toEqual(['duplicate-id-acked', 'foreign-from-refused', 'replay-sequence-refused', 'setup-wrong-target-agent-text', 'unknown-type-ignored']);
    const required = scripts.cases.filter((c) => c.required).map((c) => c.id);
    for (const id of ['send-ack', 'thread', 'stream', 'heartbeat', 'disconnect', 'oversize-frame-closed', 'bad-signature-closed', 'setup-wrong-target-agent', 'setup-unsupported-version']) {
      expect(required).toContain(id);
    }
  });

  it('covers every step kind of the format', () => {
    const kinds = new Set(scripts.cases.flatMap((c) => c.steps.map((s) => Object.keys(s)[0])));
    expect([...kinds].sort()).toEqual(['expect', 'expect_close', 'expect_no_frame', 'send', 'send_frame_length', 'send_raw_hex']);
    const outcomes = new Set(scripts.cases.map((c) => c.expect_setup?.outcome ?? 'established'));
    expect([...outcomes].sort()).toEqual(['error', 'established', 'negotiate.reject']);
  });

  it('the oversize case sends exactly one byte over the 1 MiB frame limit (§3.3)', () => {
    const oversize = scripts.cases.find((c) => c.id === 'oversize-frame-closed')!;
    expect(oversize.steps[0]).toEqual({ send_frame_length: 1_048_577 });
  });

  it('the malformed-frame bytes are a well-formed frame around a truncated JSON text', () => {
    const c = scripts.cases.find((x) => x.id === 'malformed-frame-closed')!;
    const bytes = Buffer.from((c.steps[0] as { send_raw_hex: string }).send_raw_hex, 'hex');
    expect(bytes.readUInt32BE(0)).toBe(bytes.length - 4);
    expect(() => JSON.parse(bytes.subarray(4).toString('utf8'))).toThrow();
  });

  it('is documented in fixtures/README.md, with every case id', () => {
    const readme = readFileSync(join(FILE, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain('session-scripts.json');
    for (const c of scripts.cases) expect(readme).toContain(c.id);
  });

  it('selectCases keeps fixture order and refuses unknown ids', () => {
    expect(selectCases(scripts.cases, ['heartbeat', 'send-ack']).map((c) => c.id)).toEqual(['send-ack', 'heartbeat']);
    expect(() => selectCases(scripts.cases, ['nope'])).toThrow(/unknown case id\(s\): nope/);
    expect(selectCases(scripts.cases, undefined)).toHaveLength(scripts.cases.length);
  });
});

describe('parseSessionScripts refuses broken scripts', () => {
  const broken: ReadonlyArray<[string, (doc: ReturnType<typeof raw>) => void, RegExp]> = [
    ['a duplicate id', (d) => d.cases.push({ ...d.cases[0]! }), /duplicate id/],
    ['a step with two kinds', (d) => (d.cases[1]!.steps as unknown[])[0] = { send: { type: 'message.send' }, expect: { type: 'x' } }, /exactly one of/],
    ['an unknown step member', (d) => (d.cases[1]!.steps as unknown[])[0] = { send: { type: 'message.send', bogus: 1 } }, /unknown member "bogus"/],
    ['a $sent reference to a later step', (d) => (d.cases[1]!.steps as unknown[])[0] = { send: { type: 'message.send', thread_id: '$sent:1.thread_id' } }, /must name an earlier send step/],
    ['a $sent reference to an expect step', (d) => (d.cases[1]!.steps as unknown[]).push({ send: { type: 'message.send', thread_id: '$sent:1.thread_id' } }), /must name an earlier send step/],
    ['id repeat of a later step', (d) => (d.cases[1]!.steps as unknown[])[0] = { send: { type: 'message.send', id: 'repeat:3' } }, /repeat:N/],
    ['a bad sequence', (d) => (d.cases[1]!.steps as unknown[])[0] = { send: { type: 'message.send', sequence: -1 } }, /send.sequence/],
    ['uppercase hex', (d) => (d.cases[1]!.steps as unknown[])[0] = { send_raw_hex: 'AB' }, /lowercase hex/],
    ['within_ms too long', (d) => (d.cases[1]!.steps as unknown[])[1] = { expect_no_frame: { within_ms: 600_000 } }, /within_ms/],
    ['steps after a failing setup', (d) => (d.cases.find((c) => c.id === 'setup-wrong-target-agent')!.steps as unknown[]).push({ send_raw_hex: '00' }), /steps need an established setup/],
    ['an unknown setup outcome', (d) => (d.cases[0]!.expect_setup = { outcome: 'maybe' }), /expect_setup.outcome/],
    ['a missing required flag', (d) => delete d.cases[0]!.required, /comment and required/],
  ];
  for (const [what, mutate, error] of broken) {
    it(what, () => {
      const doc = raw();
      mutate(doc);
      expect(() => parseSessionScripts(doc)).toThrow(error);
    });
  }
});
