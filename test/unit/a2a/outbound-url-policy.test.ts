// The SSRF guard for outbound A2A targets (DESIGN §8): address classes, and the check at connect
// time with an injected resolver (no network).

import { describe, expect, it } from 'vitest';
import { checkOutboundUrl, classifyAddress, createGuardedFetch, type AddressClass } from '../../../src/a2a/outbound-url-policy.js';

const CLASSES: Array<[string, AddressClass]> = [
  ['8.8.8.8', 'public'],
  ['2606:4700::1111', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.10.0.5', 'loopback'],
  ['::1', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.32.0.1', 'public'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'private'],
  ['fd12:3456::1', 'private'],
  ['169.254.169.254', 'link-local'],
  ['fe80::1', 'link-local'],
  ['fd00:ec2::254', 'link-local'],
  ['::ffff:169.254.169.254', 'link-local'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['0.0.0.0', 'reserved'],
  ['::', 'reserved'],
  ['224.0.0.1', 'reserved'],
];

describe('classifyAddress', () => {
  for (const [ip, cls] of CLASSES) it(`${ip} is ${cls}`, () => expect(classifyAddress(ip)).toBe(cls));
  it('refuses a non-address (our misuse)', () => expect(() => classifyAddress('example.org')).toThrow(RangeError));
});

const resolvesTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address }));

describe('checkOutboundUrl', () => {
  it('allows a public host', async () => {
    await expect(checkOutboundUrl(new URL('https://agent.example/a2a'), { allowPrivate: false }, resolvesTo('93.184.216.34'))).resolves.toBeUndefined();
  });

  it('refuses a name that resolves to a private address unless allowed', async () => {
    const url = new URL('http://intranet.example/');
    await expect(checkOutboundUrl(url, { allowPrivate: false }, resolvesTo('93.184.216.34', '10.0.0.7'))).rejects.toMatchObject({ code: 'a2a_target_refused' });
    await expect(checkOutboundUrl(url, { allowPrivate: true }, resolvesTo('10.0.0.7'))).resolves.toBeUndefined();
  });

  it('refuses link-local and metadata targets even when private ones are allowed', async () => {
    await expect(checkOutboundUrl(new URL('http://169.254.169.254/latest'), { allowPrivate: true })).rejects.toMatchObject({ code: 'a2a_target_refused' });
    await expect(checkOutboundUrl(new URL('http://metadata.google.internal/'), { allowPrivate: true }, resolvesTo('8.8.8.8'))).rejects.toMatchObject({ code: 'a2a_target_refused' });
    await expect(checkOutboundUrl(new URL('http://[::ffff:a9fe:a9fe]/'), { allowPrivate: true })).rejects.toMatchObject({ code: 'a2a_target_refused' });
  });

  it('refuses other schemes', async () => {
    await expect(checkOutboundUrl(new URL('file:///etc/passwd'), { allowPrivate: true })).rejects.toMatchObject({ code: 'a2a_target_refused' });
  });

  it('the guarded fetch checks before connecting and adds Authorization', async () => {
    const seen: Array<{ url: string; auth: string | null; redirect: string | undefined }> = [];
    const fake = (async (input: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization'), redirect: init?.redirect });
      return new Response('{}');
    }) as typeof fetch;
    const guarded = createGuardedFetch({ policy: { allowPrivate: false }, authorization: 'Bearer t', lookup: resolvesTo('127.0.0.1'), fetchImpl: fake });
    await expect(guarded('http://sneaky.example/')).rejects.toMatchObject({ code: 'a2a_target_refused' });
    expect(seen).toEqual([]);
    const open = createGuardedFetch({ policy: { allowPrivate: false }, authorization: 'Bearer t', lookup: resolvesTo('93.184.216.34'), fetchImpl: fake });
    await open('https://agent.example/card');
    expect(seen).toEqual([{ url: 'https://agent.example/card', auth: 'Bearer t', redirect: 'error' }]);
  });
});
