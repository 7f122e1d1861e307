import { describe, expect, it } from 'vitest';

import { amzDate, deriveSigningKey, signSigV4, uriEncode } from '../../../src/handlers/llm/sigv4.js';

// The AWS documentation's example credentials and time (SigV4 test suite and IAM examples).
const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_TIME = Date.UTC(2015, 7, 30, 12, 36, 0); // 20150830T123600Z

describe('signSigV4 against AWS published values', () => {
  it('get-vanilla (aws-sig-v4-test-suite)', () => {
    const r = signSigV4({ method: 'GET', url: 'https://example.amazonaws.com/', body: '' }, CREDS, { region: 'us-east-1', service: 'service', now: SUITE_TIME });
    expect(r.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(r.amzDate).toBe('20150830T123600Z');
    expect(r.payloadHash).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('post-vanilla (aws-sig-v4-test-suite)', () => {
    const r = signSigV4({ method: 'POST', url: 'https://example.amazonaws.com/', body: '' }, CREDS, { region: 'us-east-1', service: 'service', now: SUITE_TIME });
    expect(r.authorization.endsWith('Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b')).toBe(true);
  });

  it('IAM ListUsers example (signing key, canonical request hash and signature from the AWS docs)', () => {
    expect(deriveSigningKey(CREDS.secretAccessKey, '20150830', 'us-east-1', 'iam').toString('hex')).toBe('c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
    const r = signSigV4(
      {
        method: 'GET',
        url: 'https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: '',
      },
      CREDS,
      { region: 'us-east-1', service: 'iam', now: SUITE_TIME },
    );
    expect(r.stringToSign.split('\n')[3]).toBe('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
    expect(r.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });
});

describe('signSigV4 for Bedrock-shaped requests', () => {
  // Expected values computed once with Python's hashlib/hmac and urllib.parse.quote(safe='-_.~')
  // following the AWS algorithm (canonical URI = each raw path segment encoded again), not with this code.
  const path = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse';
  const now = Date.UTC(2024, 4, 6, 7, 8, 9);

  it('double-encodes the model segment and signs the session token', () => {
    const r = signSigV4(
      { method: 'POST', url: `https://bedrock-runtime.eu-west-1.amazonaws.com${path}`, headers: { 'content-type': 'application/json' }, body: '{"messages":[]}' },
      { ...CREDS, sessionToken: 'FwoGZXIvYXdzEXAMPLE/token+=' },
      { region: 'eu-west-1', service: 'bedrock', now },
    );
    expect(r.canonicalRequest.split('\n')[1]).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse');
    expect(r.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240506/eu-west-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=7904fa56f4cef19c4264955fb4519e63acee338e4c75f7ad4a318251745adeb9',
    );
  });

  it('signs host with its port (a loopback stand-in)', () => {
    const r = signSigV4(
      { method: 'POST', url: `http://127.0.0.1:8443${path}`, headers: { 'content-type': 'application/json' }, body: '{"messages":[]}' },
      CREDS,
      { region: 'us-east-1', service: 'bedrock', now },
    );
    expect(r.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240506/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=b1eb34ca8177b88870cb4acd25211abedfac1fe6711b004561e1979560d86587',
    );
  });
});

describe('helpers', () => {
  it('uriEncode keeps only unreserved characters', () => {
    expect(uriEncode('a-b_c.d~e:f/g h%é')).toBe('a-b_c.d~e%3Af%2Fg%20h%25%C3%A9');
  });
  it('amzDate', () => {
    expect(amzDate(Date.UTC(2024, 0, 2, 3, 4, 5, 678))).toBe('20240102T030405Z');
  });
});
