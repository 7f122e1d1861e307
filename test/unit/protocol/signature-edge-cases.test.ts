// Ed25519 verification edge cases (small/mixed order, non-canonical encodings, s >= L) from
// fixtures/toq/signature-edge-cases.json. The fixture holds the reference's verdict (derived
// from the ed25519-dalek 2.2.0 sources by test/crosscheck/signature_edge_cases.py) and ours;
// this test asserts ours, through the same path a handshake uses: key decoding, then verify.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEY_PREFIX } from '../../../src/protocol/constants.js';
import { encodeBase64 } from '../../../src/protocol/base64.js';
import { createVerifier, decodePublicKeyText, isValidPublicKeyPoint } from '../../../src/protocol/ed25519.js';

interface EdgeCase {
  id: string;
  publicKeyHex: string;
  messageHex: string;
  signatureHex: string;
  reference: 'accept' | 'reject';
  ours: 'accept' | 'reject';
  oursReason?: string;
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/toq/signature-edge-cases.json', import.meta.url), 'utf8')) as {
  differences: string[];
  cases: EdgeCase[];
};

describe('signature edge cases (fixtures/toq/signature-edge-cases.json)', () => {
  const verifier = createVerifier();

  it('lists every case where our verdict differs from the reference, each with a reason', () => {
    const differing = fixture.cases.filter((c) => c.ours !== c.reference);
    expect(fixture.differences).toEqual(differing.map((c) => c.id));
    for (const c of differing) expect(c.oursReason, c.id).toBeTruthy();
  });

  for (const c of fixture.cases) {
    it(c.id, () => {
      const publicKey = new Uint8Array(Buffer.from(c.publicKeyHex, 'hex'));
      const message = Buffer.from(c.messageHex, 'hex');
      const signature = Buffer.from(c.signatureHex, 'hex');
      const keyText = KEY_PREFIX + encodeBase64(publicKey);
      let accepted: boolean;
      if (!isValidPublicKeyPoint(publicKey)) {
        expect(() => decodePublicKeyText(keyText)).toThrow(/not a point/);
        accepted = false;
      } else {
        const decoded = decodePublicKeyText(keyText);
        accepted = verifier.verifyBytes(decoded, message, signature);
        expect(verifier.verifyText(decoded, message, KEY_PREFIX + encodeBase64(signature))).toBe(accepted);
      }
      expect(accepted ? 'accept' : 'reject').toBe(c.ours);
    });
  }
});
