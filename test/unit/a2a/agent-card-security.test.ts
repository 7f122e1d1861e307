// What a card declares about auth (DESIGN §8): the API-key bearer scheme, the JWT bearer scheme,
// both as alternatives, or nothing (anonymous), in ProtoJSON (v1.0). The v0.3 rendering is
// checked against a daemon in test/integration/a2a-jwt-auth.test.ts.

import { describe, expect, it } from 'vitest';
import { AgentCard } from '@a2a-js/sdk';
import { buildAgentCard, type AgentCardOptions } from '../../../src/a2a/agent-card.js';

const base: AgentCardOptions = {
  name: 'alice (toq)',
  description: 'd',
  version: '0.1.0',
  jsonRpcUrl: 'https://gw.example/a2a',
  restUrl: 'https://gw.example',
  skills: [],
  requiresBearer: false,
};
const JWT = { issuer: 'https://issuer.example', audience: 'toq-gateway' };

describe('buildAgentCard security', () => {
  it('JWT only: an HTTP bearer scheme with bearerFormat JWT, required', () => {
    const json = AgentCard.toJSON(buildAgentCard({ ...base, jwt: JWT })) as Record<string, unknown>;
    expect(json['securitySchemes']).toEqual({
      jwt: { httpAuthSecurityScheme: { description: 'JWT bearer token issued by https://issuer.example for audience toq-gateway', scheme: 'bearer', bearerFormat: 'JWT' } },
    });
    expect(json['securityRequirements']).toEqual([{ schemes: { jwt: {} } }]);
  });

  it('API key and JWT: both schemes, two requirements (either is enough)', () => {
    const json = AgentCard.toJSON(buildAgentCard({ ...base, requiresBearer: true, jwt: { issuer: 'https://issuer.example' } })) as Record<string, unknown>;
    expect(Object.keys(json['securitySchemes'] as object)).toEqual(['bearer', 'jwt']);
    expect((json['securitySchemes'] as Record<string, { httpAuthSecurityScheme: { description: string } }>)['jwt']?.httpAuthSecurityScheme.description).toBe('JWT bearer token issued by https://issuer.example');
    expect(json['securityRequirements']).toEqual([{ schemes: { bearer: {} } }, { schemes: { jwt: {} } }]);
  });

  it('nothing configured: no scheme, anonymous', () => {
    const card = buildAgentCard(base);
    expect(card.securitySchemes).toEqual({});
    expect(card.securityRequirements).toEqual([]);
  });
});
