import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/protocol/canonical-json.js';
import { identityFromSeed } from '../../../src/protocol/ed25519.js';
import { createEnvelope, type Envelope } from '../../../src/protocol/envelope.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { parseJson } from '../../../src/protocol/json-parse.js';
import type { MessageType } from '../../../src/protocol/message-types.js';
import {
  DEFAULT_FEATURES,
  evaluateNegotiateRequest,
  negotiateRejectBody,
  negotiateRequestBody,
  readFeatures,
  readNegotiationAnswer,
} from '../../../src/protocol/negotiation.js';

const A = identityFromSeed(new Uint8Array(32).fill(1));
const env = (type: MessageType, bodyJson?: string): Envelope =>
  createEnvelope({ type, from: 'toq://h/b', to: 'toq://h/a', sequence: 0n, body: bodyJson === undefined ? undefined : parseJson(bodyJson) }, A, () => 0);

describe('negotiation bodies (§6.1)', () => {
  it('prints the reference bodies (sorted, as serde_json Values)', () => {
    expect(canonicalJson(negotiateRequestBody())).toBe(
      '{"features":{"compression":[],"e2e_encryption":false,"streaming":true},"supported_versions":["0.1"]}',
    );
    expect(canonicalJson(negotiateRejectBody())).toBe('{"reason":"no_compatible_version","supported_versions":["0.1"]}');
    const outcome = evaluateNegotiateRequest(negotiateRequestBody());
    if (outcome.kind !== 'accept') throw new Error('expected accept');
    expect(canonicalJson(outcome.responseBody)).toBe(
      '{"features":{"compression":null,"e2e_encryption":false,"streaming":true},"selected_version":"0.1"}',
    );
  });
});

describe('evaluateNegotiateRequest (receiver)', () => {
  const evaluate = (json: string, local = DEFAULT_FEATURES) => evaluateNegotiateRequest(parseJson(json), local);

  it('rejects when "0.1" is not offered, or the list does not read as strings', () => {
    for (const body of ['{}', '{"supported_versions":["0.2"]}', '{"supported_versions":["0.1",1]}', '{"supported_versions":"0.1"}', '[]', '"x"']) {
      expect(evaluate(body).kind, body).toBe('reject');
    }
    expect(() => evaluateNegotiateRequest(undefined)).toThrow(ProtocolError);
  });

  it('reads features like serde: missing members default to false, any type error to the Default impl', () => {
    const agreed = (features: string) => {
      const o = evaluate(`{"supported_versions":["0.1"],"features":${features}}`);
      if (o.kind !== 'accept') throw new Error('expected accept');
      return o.negotiated;
    };
    expect(agreed('{}').streaming).toBe(false); // #[serde(default)] on bool
    expect(agreed('null').streaming).toBe(true); // from_value fails → Features::default()
    expect(agreed('{"streaming":"yes"}').streaming).toBe(true);
    expect(agreed('{"streaming":true,"compression":null}').streaming).toBe(true); // null list fails → default
    expect(agreed('{"streaming":false,"x":1}').streaming).toBe(false);
    const local = { streaming: true, compression: ['zstd', 'gzip'], e2e_encryption: true };
    const o = evaluate('{"supported_versions":["0.1"],"features":{"streaming":true,"compression":["gzip","zstd"],"e2e_encryption":true}}', local);
    if (o.kind !== 'accept') throw new Error('expected accept');
    expect(o.negotiated).toEqual({ version: '0.1', streaming: true, compression: 'zstd', e2e_encryption: true });
    expect(canonicalJson(o.responseBody)).toBe('{"features":{"compression":"zstd","e2e_encryption":true,"streaming":true},"selected_version":"0.1"}');
  });
});

describe('readNegotiationAnswer (initiator)', () => {
  it('reads the reference response tolerantly (compression null, a string, or a list)', () => {
    for (const c of ['null', '"zstd"', '["zstd"]', '[]']) {
      const answer = readNegotiationAnswer(env('negotiate.response', `{"selected_version":"0.1","features":{"streaming":true,"compression":${c},"e2e_encryption":false}}`));
      expect(answer).toEqual({ kind: 'accepted', negotiated: { version: '0.1', streaming: true, compression: undefined, e2e_encryption: false } });
    }
  });

  it('needs a body and a string selected_version', () => {
    expect(() => readNegotiationAnswer(env('negotiate.response'))).toThrow(ProtocolError);
    expect(() => readNegotiationAnswer(env('negotiate.response', '{"selected_version":1}'))).toThrow(ProtocolError);
  });

  it('reports reject reasons and pending messages with the reference fallbacks', () => {
    expect(readNegotiationAnswer(env('negotiate.reject', '{"reason":"no_compatible_version"}'))).toEqual({ kind: 'rejected', reason: 'no_compatible_version' });
    expect(readNegotiationAnswer(env('negotiate.reject'))).toEqual({ kind: 'rejected', reason: 'unknown' });
    expect(readNegotiationAnswer(env('approval.request', '{"message":"wait"}'))).toEqual({ kind: 'pending', message: 'wait' });
    expect(readNegotiationAnswer(env('approval.request'))).toEqual({ kind: 'pending', message: 'connection pending approval by remote agent' });
  });

  it('any other type is protocol_violation', () => {
    let err: unknown;
    try {
      readNegotiationAnswer(env('card.exchange', '{}'));
    } catch (e) {
      err = e;
    }
    expect((err as ProtocolError).code).toBe('protocol_violation');
  });

  it('readFeatures without tolerance refuses a non-list compression like serde', () => {
    expect(readFeatures(parseJson('{"streaming":false,"compression":"zstd"}'))).toBe(DEFAULT_FEATURES);
    expect(readFeatures(parseJson('{"streaming":false,"compression":"zstd"}'), true).compression).toEqual(['zstd']);
  });
});
