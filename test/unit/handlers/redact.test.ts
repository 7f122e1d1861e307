import { describe, expect, it } from 'vitest';

import { redact } from '../../../src/handlers/llm/redact.js';

// Each case follows one of the reference's five patterns (llm/redact.rs); expectations derived by hand.
const CASES: { id: string; input: string; output: string }[] = [
  { id: 'openai-key', input: 'my key is sk-abc123def456ghi789jkl012mno345', output: 'my key is [REDACTED]' },
  { id: 'openai-key-too-short', input: 'sk-abc123def456ghi789', output: 'sk-abc123def456ghi789' },
  { id: 'anthropic-key', input: 'use sk-ant-api03-AbCdEfGhIjKlMnOpQrSt-uv please', output: 'use [REDACTED] please' },
  { id: 'aws-access-key', input: 'access key: AKIAIOSFODNN7EXAMPLE.', output: 'access key: [REDACTED].' },
  { id: 'aws-secret-config', input: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\nnext', output: '[REDACTED]\nnext' },
  { id: 'bearer', input: 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.abc', output: 'Authorization: [REDACTED]' },
  { id: 'bearer-short', input: 'Bearer abc', output: 'Bearer abc' },
  { id: 'two-kinds', input: 'AKIAIOSFODNN7EXAMPLE and sk-abcdefghijklmnopqrstuvwxyz', output: '[REDACTED] and [REDACTED]' },
  { id: 'plain', input: 'Hello, how can I help you today?', output: 'Hello, how can I help you today?' },
];

describe('redact', () => {
  for (const c of CASES) {
    it(c.id, () => {
      const r = redact(c.input);
      expect(r.text).toBe(c.output);
      expect(r.isRedacted).toBe(c.input !== c.output);
    });
  }
  it('is repeatable (global regex state does not leak between calls)', () => {
    expect(redact('sk-abcdefghijklmnopqrstuvwxyz').isRedacted).toBe(true);
    expect(redact('sk-abcdefghijklmnopqrstuvwxyz').isRedacted).toBe(true);
  });
});
