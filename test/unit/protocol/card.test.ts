import { describe, expect, it } from 'vitest';
import { buildLocalCard, cardBody, validatePeerCard } from '../../../src/protocol/card.js';
import { canonicalJson } from '../../../src/protocol/canonical-json.js';
import { identityFromSeed } from '../../../src/protocol/ed25519.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { parseJson } from '../../../src/protocol/json-parse.js';

const A = identityFromSeed(new Uint8Array(32).fill(1));
const B = identityFromSeed(new Uint8Array(32).fill(2));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : String(err);
  }
  return undefined;
}

describe('our card (§6.2)', () => {
  it('matches the default daemon body of the spec', () => {
    const card = buildLocalCard({ name: 'alice', publicKeyText: A.publicKeyText, connectionMode: 'approval' });
    expect(canonicalJson(cardBody(card))).toBe(
      `{"accept_files":false,"connection_mode":"approval","max_message_size":1048576,"name":"alice","protocol_version":"0.1","public_key":"${A.publicKeyText}"}`,
    );
  });

  it('sends max_file_size only when accepting files, capabilities only when non-empty', () => {
    const off = buildLocalCard({ name: 'a', publicKeyText: A.publicKeyText, connectionMode: 'open', maxFileSize: 10, capabilities: [] });
    expect(Object.keys(cardBody(off)).sort()).toEqual(['accept_files', 'connection_mode', 'max_message_size', 'name', 'protocol_version', 'public_key']);
    const on = buildLocalCard({ name: 'a', publicKeyText: A.publicKeyText, connectionMode: 'open', acceptFiles: true, maxFileSize: 10, capabilities: ['x'] });
    expect(cardBody(on)).toMatchObject({ accept_files: true, max_file_size: 10, capabilities: ['x'] });
  });
});

describe('validatePeerCard (§6.2)', () => {
  const body = (extra: string) => parseJson(`{"name":"alice","public_key":"${A.publicKeyText}","protocol_version":"0.1"${extra}}`);

  it('accepts the minimal card and ignores unknown members', () => {
    const { card, serializedBytes } = validatePeerCard(body(',"x":{"y":1}'), A.publicKey);
    expect(card).toEqual({ name: 'alice', public_key: A.publicKeyText, protocol_version: '0.1', accept_files: false });
    // {"name":"alice","public_key":"ed25519:<44>","protocol_version":"0.1","accept_files":false}
    expect(serializedBytes).toBe(`{"name":"alice","public_key":"${A.publicKeyText}","protocol_version":"0.1","accept_files":false}`.length);
  });

  it('refuses type errors like serde (null is not a default)', () => {
    for (const extra of [
      ',"capabilities":null',
      ',"capabilities":[1]',
      ',"accept_files":null',
      ',"max_file_size":1.0',
      ',"max_file_size":-1',
      ',"max_message_size":"1"',
      ',"max_message_size":18446744073709551616',
      ',"connection_mode":5',
      ',"description":false',
    ]) {
      expect(code(() => validatePeerCard(body(extra), A.publicKey)), extra).toBe('invalid_envelope');
    }
    expect(code(() => validatePeerCard(parseJson('{"public_key":"x","protocol_version":"0.1"}'), A.publicKey))).toBe('invalid_envelope');
    expect(code(() => validatePeerCard(undefined, A.publicKey))).toBe('invalid_envelope');
    expect(code(() => validatePeerCard(parseJson('[]'), A.publicKey))).toBe('invalid_envelope');
  });

  it('null optionals are absent; u64 up to 2^64-1 is fine', () => {
    const { card } = validatePeerCard(body(',"description":null,"max_file_size":18446744073709551615,"connection_mode":null'), A.publicKey);
    expect(card.description).toBeUndefined();
    expect(card.connection_mode).toBeUndefined();
    expect(card.max_file_size).toBe(2 ** 64); // the nearest double: a limit, not an exact count
  });

  it('checks the name, then the key, then the size', () => {
    expect(code(() => validatePeerCard(parseJson(`{"name":"","public_key":"${B.publicKeyText}","protocol_version":"0.1"}`), A.publicKey))).toBe('invalid_envelope');
    expect(code(() => validatePeerCard(body(''), B.publicKey))).toBe('card_key_mismatch');
    expect(code(() => validatePeerCard(parseJson('{"name":"a","public_key":"ed25519:AAAA","protocol_version":"0.1"}'), A.publicKey))).toBe('card_key_mismatch');
  });

  it('allows exactly 65536 re-serialized bytes and refuses 65537', () => {
    const base = `{"name":"alice","description":"","public_key":"${A.publicKeyText}","protocol_version":"0.1","accept_files":false}`.length;
    const fill = 65_536 - base;
    const exact = validatePeerCard(body(`,"description":"${'d'.repeat(fill)}"`), A.publicKey);
    expect(exact.serializedBytes).toBe(65_536);
    expect(code(() => validatePeerCard(body(`,"description":"${'d'.repeat(fill + 1)}"`), A.publicKey))).toBe('card_too_large');
    // Size counts UTF-8 bytes and escapes, as serde_json::to_vec does: é is 2 bytes, \n is 2 characters.
    expect(validatePeerCard(body(',"description":"é\\n"'), A.publicKey).serializedBytes).toBe(base + 4);
  });
});
