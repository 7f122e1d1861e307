// The crypto floor of the toq protocol, measured in the running process: what one side pays per
// envelope before any I/O — canonicalize it, sign it, verify a signature of the same size (the
// wire spec requires every envelope, acks included, to be signed and checked). Both the wire and
// the A2A benchmark print it as an anchor.

import { canonicalJson } from '../src/protocol/canonical-json.js';
import { generateIdentity, signBytes, verifyBytes } from '../src/protocol/ed25519.js';
import { createEnvelope } from '../src/protocol/envelope.js';
import { parseJson } from '../src/protocol/json-parse.js';

export const SAMPLE_BODY = { text: 'The quick brown fox jumps over the lazy dog. '.repeat(4), n: 42, ok: true };

export interface CryptoFloor {
  /** Envelopes per second one core can canonicalize, sign and verify. */
  readonly perSecond: number;
  /** The same as microseconds per envelope. */
  readonly microsPerEnvelope: number;
}

/** A signed `message.send` carrying SAMPLE_BODY, as the benchmarks send it. */
export function sampleEnvelope(identity = generateIdentity()): ReturnType<typeof createEnvelope> {
  return createEnvelope({ type: 'message.send', from: 'toq://127.0.0.1:1/alice', to: 'toq://127.0.0.1:2/bob', sequence: 2n, body: SAMPLE_BODY, thread_id: 'bench' }, identity, Date.now);
}

/** Per envelope per side: canonicalize the envelope, sign it, verify a signature. */
export function measureCryptoFloor(identity = generateIdentity()): CryptoFloor {
  const { signature: _signature, ...unsigned } = sampleEnvelope(identity) as unknown as Record<string, unknown>;
  const lossless = parseJson(JSON.stringify({ ...unsigned, sequence: 2 }));
  const bytes = Buffer.from(canonicalJson(lossless), 'utf8');
  const sig = signBytes(identity, bytes);
  const run = (n: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const canonical = Buffer.from(canonicalJson(lossless), 'utf8');
      const s = signBytes(identity, canonical);
      if (!verifyBytes(identity.publicKeyObject, bytes, sig) || s.length !== 64) throw new Error('floor self-check failed');
    }
    return performance.now() - t0;
  };
  run(500);
  const n = 4_000;
  const ms = run(n);
  return { perSecond: (n / ms) * 1000, microsPerEnvelope: (ms * 1000) / n };
}
