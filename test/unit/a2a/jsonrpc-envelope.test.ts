import { describe, expect, it } from 'vitest';
import { checkJsonRpcEnvelope } from '../../../src/a2a/jsonrpc-envelope.js';

// Expected codes from JSON-RPC 2.0 §5.1: -32700 invalid JSON, -32600 not a valid Request object.
describe('checkJsonRpcEnvelope', () => {
  const rejects: Array<{ id: string; text: string; code: number; echoedId: string | number | null }> = [
    { id: 'not-json', text: '{"jsonrpc":"2.0",', code: -32700, echoedId: null },
    { id: 'empty-body', text: '', code: -32700, echoedId: null },
    { id: 'batch', text: '[{"jsonrpc":"2.0","id":1,"method":"GetTask"}]', code: -32600, echoedId: null },
    { id: 'empty-batch', text: '[]', code: -32600, echoedId: null },
    { id: 'scalar', text: '42', code: -32600, echoedId: null },
    { id: 'null', text: 'null', code: -32600, echoedId: null },
    { id: 'wrong-version', text: '{"jsonrpc":"1.0","id":7,"method":"GetTask"}', code: -32600, echoedId: 7 },
    { id: 'missing-version', text: '{"id":"a","method":"GetTask"}', code: -32600, echoedId: 'a' },
    { id: 'missing-method', text: '{"jsonrpc":"2.0","id":1}', code: -32600, echoedId: 1 },
    { id: 'numeric-method', text: '{"jsonrpc":"2.0","id":1,"method":5}', code: -32600, echoedId: 1 },
    { id: 'empty-method', text: '{"jsonrpc":"2.0","id":1,"method":""}', code: -32600, echoedId: 1 },
    { id: 'object-id', text: '{"jsonrpc":"2.0","id":{"a":1},"method":"GetTask"}', code: -32600, echoedId: null },
    { id: 'fractional-id', text: '{"jsonrpc":"2.0","id":1.5,"method":"GetTask"}', code: -32600, echoedId: null },
    { id: 'boolean-id', text: '{"jsonrpc":"2.0","id":true,"method":"GetTask"}', code: -32600, echoedId: null },
  ];
  for (const c of rejects) {
    it(`rejects ${c.id} with ${c.code}`, () => {
      const result = checkJsonRpcEnvelope(c.text);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.response.jsonrpc).toBe('2.0');
      expect(result.response.error.code).toBe(c.code);
      expect(result.response.id).toEqual(c.echoedId);
    });
  }

  const accepts = [
    { id: 'string-id', text: '{"jsonrpc":"2.0","id":"x","method":"GetTask","params":{"id":"t"}}' },
    { id: 'null-id', text: '{"jsonrpc":"2.0","id":null,"method":"GetTask"}' },
    { id: 'no-id', text: '{"jsonrpc":"2.0","method":"GetTask"}' },
    { id: 'unknown-method-is-not-an-envelope-error', text: '{"jsonrpc":"2.0","id":1,"method":"Nope"}' },
    { id: 'array-params-left-to-the-method', text: '{"jsonrpc":"2.0","id":1,"method":"GetTask","params":[1]}' },
  ];
  for (const c of accepts) {
    it(`accepts ${c.id}`, () => {
      const result = checkJsonRpcEnvelope(c.text);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.request).toEqual(JSON.parse(c.text));
    });
  }
});
