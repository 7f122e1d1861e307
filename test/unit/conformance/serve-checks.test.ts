// The --serve checks on recorded transcripts. The setup frames are the initiator's frames of the
// `success` transcript in fixtures/toq/handshake-transcripts.json (computed by an independent
// Python script as a reference initiator sends them), so a pass here means "what the reference
// sends passes"; each mutation then has to fail the check that covers it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../src/conformance/conformance-report.js';
import { checkInboundTranscript, SERVE_CHECKS, type InboundTranscript } from '../../../src/conformance/serve-checks.js';
import { identityFromSeed } from '../../../src/protocol/ed25519.js';
import { createEnvelope, serializeEnvelope, type EnvelopeFields } from '../../../src/protocol/envelope.js';

interface Frame { direction: string; label: string; hex: string }
const transcripts = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'fixtures', 'toq', 'handshake-transcripts.json'), 'utf8')) as {
  cases: { id: string; frames: Frame[]; initiator: { seedHex: string; address: string } }[];
};
const success = transcripts.cases.find((c) => c.id === 'success')!;
const fromInitiator = success.frames.filter((f) => f.direction === 'i->r').map((f) => Buffer.from(f.hex, 'hex'));
const [MAGIC_FRAME, CREDS, NEGOTIATE, CARD] = fromInitiator as [Buffer, Buffer, Buffer, Buffer];
const AGENT = { name: 'bob', address: 'toq://localhost:9011/bob' };
const alice = identityFromSeed(Buffer.from(success.initiator.seedHex, 'hex'));

function sessionEnvelope(fields: Partial<EnvelopeFields> & Pick<EnvelopeFields, 'type' | 'sequence'>): Buffer {
  return serializeEnvelope(createEnvelope({ from: success.initiator.address, to: AGENT.address, ...fields }, alice, () => 1_772_931_723_500));
}

const MESSAGE = sessionEnvelope({ type: 'message.send', sequence: 2n, thread_id: 't', content_type: 'application/json', body: { text: 'hi' } });
const DISCONNECT = sessionEnvelope({ type: 'session.disconnect', sequence: 3n });

function transcript(overrides: Partial<InboundTranscript> = {}): InboundTranscript {
  const frames = overrides.frames ?? [CREDS, NEGOTIATE, CARD, MESSAGE, DISCONNECT];
  return {
    startedAt: 1000,
    tlsVersion: 'TLSv1.3',
    magicHex: MAGIC_FRAME.toString('hex'),
    frames,
    times: frames.map((_, i) => 1000 + i),
    end: 'disconnect',
    endDetail: 'session.disconnect',
    ...overrides,
  };
}

function statuses(t: InboundTranscript): Record<string, string> {
  return Object.fromEntries(checkInboundTranscript(t, AGENT).map((r) => [r.id, r.status]));
}

describe('serve checks', () => {
  it('a reference initiator (independent transcript) passes every check, required and advisory', () => {
    const results = checkInboundTranscript(transcript(), AGENT);
    expect(results.map((r) => r.id)).toEqual(SERVE_CHECKS.map((c) => c.id));
    expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(results.find((r) => r.id === 'serve-sequence-numbers')!.got).toBe('2, 3');
    expect(results.find((r) => r.id === 'serve-negotiate-request')!.ms).toBe(1);
  });

  it('wrong magic fails the required check and skips the rest', () => {
    const s = statuses(transcript({ magicHex: '16030100', frames: [], times: [] }));
    expect(s['serve-magic']).toBe('fail');
    expect(s['serve-credentials']).toBe('skip');
    expect(s['serve-card']).toBe('skip');
  });

  it('credentials in another member order pass the required parse but fail the advisory layout', () => {
    const obj = JSON.parse(CREDS.toString('utf8')) as Record<string, unknown>;
    const reordered = Buffer.from(JSON.stringify({ challenge: obj.challenge, ...obj }), 'utf8');
    const s = statuses(transcript({ frames: [reordered, NEGOTIATE, CARD, MESSAGE, DISCONNECT] }));
    expect(s['serve-credentials']).toBe('pass');
    expect(s['serve-credentials-layout']).toBe('fail');
  });

  it('a tampered self-challenge signature fails the credentials', () => {
    const obj = JSON.parse(CREDS.toString('utf8')) as Record<string, string>;
    obj.challenge = Buffer.alloc(32, 7).toString('base64');
    const s = statuses(transcript({ frames: [Buffer.from(JSON.stringify(obj)), NEGOTIATE, CARD] }));
    expect(s['serve-credentials']).toBe('fail');
  });

  it('the card where negotiate.request is due fails negotiation; a missing target_agent is advisory', () => {
    const obj = JSON.parse(CREDS.toString('utf8')) as Record<string, unknown>;
    delete obj.target_agent;
    const s = statuses(transcript({ frames: [Buffer.from(JSON.stringify(obj)), CARD, NEGOTIATE] }));
    expect(s['serve-negotiate-request']).toBe('fail');
    expect(s['serve-card']).toBe('fail');
    expect(s['serve-target-agent']).toBe('fail');
    expect(s['serve-credentials']).toBe('pass');
  });

  it('session envelopes: a wrong first sequence number and a bad signature fail the required checks', () => {
    const late = sessionEnvelope({ type: 'message.send', sequence: 7n, thread_id: 't', content_type: 'application/json', body: { text: 'x' } });
    let s = statuses(transcript({ frames: [CREDS, NEGOTIATE, CARD, late] }));
    expect(s['serve-sequence-numbers']).toBe('fail');
    expect(s['serve-sequence-consecutive']).toBe('fail');
    const text = MESSAGE.toString('utf8').replace('"text":"hi"', '"text":"ho"');
    s = statuses(transcript({ frames: [CREDS, NEGOTIATE, CARD, Buffer.from(text)] }));
    expect(s['serve-envelopes']).toBe('fail');
  });

  it('a message without thread_id or content_type fails the advisory header check only', () => {
    const bare = sessionEnvelope({ type: 'message.send', sequence: 2n, body: { text: 'x' } });
    const s = statuses(transcript({ frames: [CREDS, NEGOTIATE, CARD, bare] }));
    expect(s['serve-message-headers']).toBe('fail');
    expect(s['serve-envelopes']).toBe('pass');
  });

  it('a handshake-only connection (a ping) skips what it never sent and still conforms', () => {
    const t = transcript({ frames: [CREDS], end: 'closed', endDetail: 'closed', setupError: 'peer closed the connection during negotiation' });
    const results = checkInboundTranscript(t, AGENT);
    const s = Object.fromEntries(results.map((r) => [r.id, r.status]));
    expect(s['serve-credentials']).toBe('pass');
    expect(s['serve-negotiate-request']).toBe('skip');
    expect(s['serve-setup-completed']).toBe('skip');
    expect(buildReport('toq-serve', 'x', 0, results, 1).ok).toBe(true);
  });

  it('a session that ends without session.disconnect fails only the advisory end check', () => {
    const results = checkInboundTranscript(transcript({ frames: [CREDS, NEGOTIATE, CARD, MESSAGE], end: 'closed', endDetail: 'closed' }), AGENT);
    expect(results.filter((r) => r.status === 'fail').map((r) => r.id)).toEqual(['serve-session-end']);
    expect(buildReport('toq-serve', 'x', 0, results, 1).ok).toBe(true);
  });
});
