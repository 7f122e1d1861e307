// Self-signed certificates, checked with node's own X.509 parser (independent of forge, which
// built them): signature, SAN, validity, key match (wire spec §3.2).

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSelfSignedCertificate, isMatchingKeyPair } from '../../../src/transport/tls-certificate.js';

describe('createSelfSignedCertificate', () => {
  it('makes an ECDSA P-256 certificate for localhost by default, like the reference', () => {
    const { certPem, keyPem } = createSelfSignedCertificate();
    const cert = new X509Certificate(certPem);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:localhost');
    expect(cert.subject).toBe('CN=localhost');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(keyPem.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true); // PKCS#8
    expect(isMatchingKeyPair(certPem, keyPem)).toBe(true);
  });

  it('makes an RSA-2048 certificate on request', () => {
    const { certPem, keyPem } = createSelfSignedCertificate({ keyType: 'rsa-2048' });
    const cert = new X509Certificate(certPem);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPrivateKey(keyPem).asymmetricKeyType).toBe('rsa');
  });

  it('puts DNS names and IP literals in the SAN, and the validity around now', () => {
    const before = Date.now();
    const { certPem } = createSelfSignedCertificate({ commonName: 'gw', altNames: ['gw.example', '127.0.0.1', '::1'], days: 30 });
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toBe('CN=gw');
    expect(cert.subjectAltName).toBe('DNS:gw.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    expect(from).toBeLessThanOrEqual(before);
    expect(to - from).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000);
    expect(to - from).toBeLessThanOrEqual(30 * 86_400_000 + 1000);
  });

  it('uses GeneralizedTime past 2049 (RFC 5280 §4.1.2.5)', () => {
    const { certPem } = createSelfSignedCertificate({ days: 365 * 40 });
    const cert = new X509Certificate(certPem);
    expect(new Date(cert.validTo).getUTCFullYear()).toBeGreaterThanOrEqual(2050);
  });

  it('gives every certificate its own key and serial', () => {
    const a = new X509Certificate(createSelfSignedCertificate().certPem);
    const b = new X509Certificate(createSelfSignedCertificate().certPem);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.publicKey.equals(b.publicKey)).toBe(false);
  });

  it('tells a mismatched key apart', () => {
    expect(isMatchingKeyPair(createSelfSignedCertificate().certPem, createSelfSignedCertificate().keyPem)).toBe(false);
  });

  it('refuses bad options with RangeError', () => {
    expect(() => createSelfSignedCertificate({ days: 0 })).toThrow(RangeError);
    expect(() => createSelfSignedCertificate({ altNames: [] })).toThrow(RangeError);
  });
});
