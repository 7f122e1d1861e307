// AWS Signature Version 4 for header-signed requests, as the Bedrock provider needs it (local-API
// spec §5.3; algorithm from the AWS "Signature Version 4 signing process" documentation). Pure:
// the caller passes the time; this module never reads a clock or the environment.

import { createHash, createHmac } from 'node:crypto';

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials: sent and signed as x-amz-security-token. */
  readonly sessionToken?: string | undefined;
}

export interface SigV4Request {
  readonly method: string;
  /** Absolute URL; its host (with a non-default port) is the signed `host` header. */
  readonly url: string | URL;
  /** Headers to sign besides host, x-amz-date and x-amz-security-token. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body: string | Uint8Array;
}

export interface SigV4Scope {
  readonly region: string;
  readonly service: string;
  /** Signing time, ms since the epoch. */
  readonly now: number;
}

export interface SigV4Result {
  readonly authorization: string;
  /** `YYYYMMDDTHHMMSSZ` */
  readonly amzDate: string;
  /** Hex SHA-256 of the body. */
  readonly payloadHash: string;
  readonly signedHeaders: string;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

/** RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - _ . ~). */
export function uriEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const isUnreserved =
      (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x5f || byte === 0x2e || byte === 0x7e;
    out += isUnreserved ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `20150830T123600Z` */
export function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Signs a request. The canonical URI encodes every segment of the URL's (already encoded) path
 * once more, which is the rule for every service except S3 and what the reference does; the
 * query is decoded, re-encoded and sorted by name then value.
 */
export function signSigV4(request: SigV4Request, credentials: SigV4Credentials, scope: SigV4Scope): SigV4Result {
  const url = typeof request.url === 'string' ? new URL(request.url) : request.url;
  const date = amzDate(scope.now);
  const day = date.slice(0, 8);
  const payloadHash = sha256Hex(request.body);

  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers ?? {})) headers.set(name.toLowerCase(), normalizeHeaderValue(value));
  headers.set('host', url.host);
  headers.set('x-amz-date', date);
  if (credentials.sessionToken !== undefined) headers.set('x-amz-security-token', credentials.sessionToken);
  const names = [...headers.keys()].sort();
  const canonicalHeaders = names.map((name) => `${name}:${headers.get(name)}\n`).join('');
  const signedHeaders = names.join(';');

  const canonicalUri = url.pathname === '' ? '/' : url.pathname.split('/').map(uriEncode).join('/');
  const canonicalRequest = [request.method.toUpperCase(), canonicalUri, canonicalQuery(url.search), canonicalHeaders, signedHeaders, payloadHash].join('\n');

  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = deriveSigningKey(credentials.secretAccessKey, day, scope.region, scope.service);
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  const authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, amzDate: date, payloadHash, signedHeaders, canonicalRequest, stringToSign };
}

/** kSigning = HMAC chain over date, region, service and "aws4_request", keyed first by "AWS4"+secret. */
export function deriveSigningKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(day, 'utf8').digest();
  const kRegion = createHmac('sha256', kDate).update(region, 'utf8').digest();
  const kService = createHmac('sha256', kRegion).update(service, 'utf8').digest();
  return createHmac('sha256', kService).update('aws4_request', 'utf8').digest();
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

// Trim and collapse runs of spaces, as the canonical-headers rule asks.
function normalizeHeaderValue(value: string): string {
  return value.trim().replace(/ {2,}/g, ' ');
}

function canonicalQuery(search: string): string {
  if (search === '' || search === '?') return '';
  const pairs = search
    .slice(1)
    .split('&')
    .filter((part) => part !== '')
    .map((part): [string, string] => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      return [uriEncode(safeDecode(name)), uriEncode(safeDecode(value))];
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A stray `%`: sign the text as it stands.
    return text;
  }
}
