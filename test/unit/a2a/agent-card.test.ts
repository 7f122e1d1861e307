import { describe, expect, it } from 'vitest';
import { AgentCard } from '@a2a-js/sdk';
import { buildAgentCard, type AgentCardOptions } from '../../../src/a2a/agent-card.js';

const base: AgentCardOptions = {
  name: 'alice (toq)',
  description: 'd',
  version: '0.1.0',
  jsonRpcUrl: 'https://gw.example/a2a',
  restUrl: 'https://gw.example',
  skills: [{ id: 'default', name: 'alice', description: 's', tags: ['toq'] }],
  requiresBearer: false,
  extensions: [{ uri: 'urn:x', description: 'id', params: { address: 'toq://gw.example/alice' } }],
};

describe('buildAgentCard', () => {
  it('declares JSON-RPC and REST for v1.0 and mirrors both for v0.3 (a2a-notes §12.8)', () => {
    const json = AgentCard.toJSON(buildAgentCard(base)) as Record<string, unknown>;
    expect(json['supportedInterfaces']).toEqual([
      { url: 'https://gw.example/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
      { url: 'https://gw.example', protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' },
      { url: 'https://gw.example/a2a', protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
      { url: 'https://gw.example', protocolBinding: 'HTTP+JSON', protocolVersion: '0.3' },
    ]);
  });

  it('no key: no security scheme and no requirement', () => {
    const json = AgentCard.toJSON(buildAgentCard(base)) as Record<string, unknown>;
    expect(json['securitySchemes']).toBeUndefined();
    expect(json['securityRequirements']).toBeUndefined();
  });

  it('with a key: a bearer HTTP auth scheme in ProtoJSON, required (a2a-notes §3.7, reference §9.2)', () => {
    const json = AgentCard.toJSON(buildAgentCard({ ...base, requiresBearer: true })) as Record<string, unknown>;
    expect(json['securitySchemes']).toEqual({ bearer: { httpAuthSecurityScheme: { description: 'Bearer token authentication', scheme: 'bearer' } } });
    expect(json['securityRequirements']).toEqual([{ schemes: { bearer: {} } }]);
  });

  it('carries the extension entries and streaming capability', () => {
    const card = buildAgentCard(base);
    expect(card.capabilities?.streaming).toBe(true);
    expect(card.capabilities?.pushNotifications).toBe(false);
    expect(card.capabilities?.extensions).toEqual([{ uri: 'urn:x', description: 'id', required: false, params: { address: 'toq://gw.example/alice' } }]);
  });

  it('does not alias the options', () => {
    const options = { ...base, skills: [{ id: 'a', name: 'n', description: 'd', tags: ['t'] }] };
    const card = buildAgentCard(options);
    card.skills[0]!.tags.push('changed');
    expect(options.skills[0]!.tags).toEqual(['t']);
  });
});
