// Throwaway self-signed TLS certificate for the one public port (wire spec §3.2, DESIGN §2).
// node:crypto makes the key and the signature; node-forge only lays out the X.509 structure.
// Nothing here opens a socket or touches the file system: callers persist the PEM themselves.

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/**
 * `ecdsa-p256` is what the reference makes (rcgen's default, spec §3.2); `rsa-2048` is offered
 * for HTTPS clients that still refuse EC certificates. toq peers accept either (they verify nothing).
 */
export type CertificateKeyType = 'ecdsa-p256' | 'rsa-2048';

export interface SelfSignedCertificateOptions {
  /** Subject and issuer CN. @default 'localhost' */
  commonName?: string;
  /** DNS names or IP literals for the subjectAltName extension. @default ['localhost'] (spec §3.2) */
  altNames?: string[];
  /** Validity in days, counted from one hour ago (clock skew between peers). @default 3650 */
  days?: number;
  /** @default 'ecdsa-p256' */
  keyType?: CertificateKeyType;
}

export interface SelfSignedCertificate {
  /** X.509 certificate, PEM. */
  certPem: string;
  /** PKCS#8 private key, PEM (the reference stores the same format in keys/tls_key.pem). */
  keyPem: string;
}

const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** RFC 5280 §4.1.2.5: UTCTime up to 2049, GeneralizedTime from 2050 on. */
const FIRST_GENERALIZED_TIME_MS = Date.UTC(2050, 0, 1);

/**
 * Makes a fresh key pair and a certificate signed by it. Measured on the project machine
 * (2 cores, Node 20): ECDSA P-256 ~3 ms, RSA-2048 ~60–250 ms (RSA key generation dominates).
 */
export function createSelfSignedCertificate(options: SelfSignedCertificateOptions = {}): SelfSignedCertificate {
  const commonName = options.commonName ?? 'localhost';
  const altNames = options.altNames ?? ['localhost'];
  const days = options.days ?? 3650;
  const keyType = options.keyType ?? 'ecdsa-p256';
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`days must be a positive number, got ${days}`);
  if (altNames.length === 0) throw new RangeError('altNames must name at least one host');

  const { privateKey, publicKey } =
    keyType === 'rsa-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signatureOid = keyType === 'rsa-2048' ? OID_SHA256_WITH_RSA : OID_ECDSA_WITH_SHA256;

  const notBefore = new Date(Date.now() - HOUR_MS);
  const notAfter = new Date(notBefore.getTime() + days * DAY_MS);
  const tbs = buildTbsCertificate({ commonName, altNames, notBefore, notAfter, publicKey, signatureOid, keyType });
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  // ECDSA: node emits the DER Ecdsa-Sig-Value X.509 wants; RSA: PKCS#1 v1.5 is node's default padding.
  const signature = sign('sha256', tbsDer, privateKey);

  const certificate = sequence([tbs, algorithmIdentifier(signatureOid), bitString(signature)]);
  const certDer = forge.asn1.toDer(certificate).getBytes();
  const certPem = forge.pem.encode({ type: 'CERTIFICATE', body: certDer }, { maxline: 64 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certPem, keyPem };
}

/** True when `keyPem` is the private half of the key in `certPem` (cheap consistency check for loaded files). */
export function isMatchingKeyPair(certPem: string, keyPem: string): boolean {
  const certKey = createPublicKey(certPem).export({ type: 'spki', format: 'der' });
  const ownKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  return certKey.equals(ownKey);
}

interface TbsInput {
  commonName: string;
  altNames: string[];
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  signatureOid: string;
  keyType: CertificateKeyType;
}

function buildTbsCertificate(input: TbsInput): forge.asn1.Asn1 {
  const { asn1, pki } = forge;
  // forge fills in the name and extension encodings; the key it cannot represent (EC) is
  // spliced in as the DER node produced, so both key types go through one path.
  const scratch = pki.createCertificate();
  const name = [{ name: 'commonName', value: input.commonName }];
  scratch.setSubject(name);
  scratch.setIssuer(name);
  scratch.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    {
      name: 'keyUsage',
      critical: true,
      digitalSignature: true,
      // RSA key exchange is TLS 1.2 only, but some clients still check for the bit on RSA keys.
      keyEncipherment: input.keyType === 'rsa-2048',
    },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: input.altNames.map((host) =>
        isIP(host) !== 0 ? { type: 7, ip: host } : { type: 2, value: host },
      ),
    },
  ]);

  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and without a leading zero octet (RFC 5280 §4.1.2.2)
  const spkiDer = input.publicKey.export({ type: 'spki', format: 'der' });
  const extensionsToAsn1 = (pki as unknown as { certificateExtensionsToAsn1(exts: unknown[]): forge.asn1.Asn1 })
    .certificateExtensionsToAsn1;

  return sequence([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(2).getBytes()), // v3
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, serial.toString('binary')),
    algorithmIdentifier(input.signatureOid),
    pki.distinguishedNameToAsn1(scratch.issuer),
    sequence([x509Time(input.notBefore), x509Time(input.notAfter)]),
    pki.distinguishedNameToAsn1(scratch.subject),
    asn1.fromDer(spkiDer.toString('binary')),
    extensionsToAsn1((scratch as unknown as { extensions: unknown[] }).extensions),
  ]);
}

/** RFC 5758 §3.2: ECDSA identifiers have no parameters; RFC 4055 §5: RSA ones carry NULL. */
function algorithmIdentifier(oid: string): forge.asn1.Asn1 {
  const { asn1 } = forge;
  const parts = [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes())];
  if (oid === OID_SHA256_WITH_RSA) parts.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''));
  return sequence(parts);
}

function x509Time(date: Date): forge.asn1.Asn1 {
  const { asn1 } = forge;
  return date.getTime() < FIRST_GENERALIZED_TIME_MS
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function sequence(parts: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, parts);
}

function bitString(bytes: Buffer): forge.asn1.Asn1 {
  // Leading octet: number of unused bits in the last byte (always 0 for a signature).
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.BITSTRING, false, '\x00' + bytes.toString('binary'));
}

