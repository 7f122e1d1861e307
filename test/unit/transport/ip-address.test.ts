// Address classification for loopback exemptions and per-source keys (DESIGN §2, wire spec §14).

import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, sourceKey } from '../../../src/transport/ip-address.js';

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['fe80::1%lo', false],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::', false],
    ['::ffff:10.0.0.1', false],
    ['localhost', false],
    ['', false],
  ])('%s → %s', (ip, expected) => {
    expect(isLoopbackAddress(ip)).toBe(expected);
  });
});

describe('sourceKey', () => {
  it.each([
    ['203.0.113.5', '203.0.113.5'],
    ['::ffff:203.0.113.5', '203.0.113.5'],
    ['::ffff:cb00:7105', '203.0.113.5'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1:2:3:4', '2001:db8:0:0::/64'],
    ['2001:db8:aa:bb:1::%eth0', '2001:db8:aa:bb::/64'],
    ['not-an-ip', 'not-an-ip'],
  ])('%s → %s', (ip, expected) => {
    expect(sourceKey(ip)).toBe(expected);
  });
});
