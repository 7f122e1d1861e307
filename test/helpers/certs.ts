// One throwaway certificate per test run (per worker), made on first use.

import { createSelfSignedCertificate, type SelfSignedCertificate } from '../../src/transport/tls-certificate.js';

let cached: SelfSignedCertificate | undefined;

/** An ECDSA P-256 self-signed certificate for `localhost` and 127.0.0.1. */
export function testCertificate(): SelfSignedCertificate {
  cached ??= createSelfSignedCertificate({ altNames: ['localhost', '127.0.0.1'], days: 2 });
  return cached;
}
