import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { localApiRefusal } from '../../../src/local-api/loopback-guard.js';

function request(remote: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress: remote }, headers } as unknown as IncomingMessage;
}

describe('local API guard (DESIGN §2)', () => {
  const ok: Array<[string, Record<string, string>]> = [
    ['127.0.0.1', { host: '127.0.0.1:9009' }],
    ['127.0.0.1', { host: 'localhost:9009' }],
    ['::1', { host: '[::1]:9009' }],
    ['::ffff:127.0.0.1', { host: 'localhost' }],
    ['127.0.0.1', { host: 'localhost:9009', origin: 'http://localhost:3000' }],
    ['127.0.0.1', { host: 'app.localhost:9009' }],
  ];
  for (const [remote, headers] of ok) {
    it(`lets ${remote} ${JSON.stringify(headers)} in`, () => {
      expect(localApiRefusal(request(remote, headers))).toBeUndefined();
    });
  }

  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ['10.0.0.5', { host: '127.0.0.1:9009' }, /loopback connection/],
    ['127.0.0.1', { host: 'evil.example:9009' }, /Host/],
    ['127.0.0.1', {}, /Host/],
    ['127.0.0.1', { host: 'localhost', 'x-forwarded-for': '1.2.3.4' }, /proxy/],
    ['127.0.0.1', { host: 'localhost', forwarded: 'for=1.2.3.4' }, /proxy/],
    ['127.0.0.1', { host: 'localhost', 'x-real-ip': '1.2.3.4' }, /proxy/],
    ['127.0.0.1', { host: 'localhost:9009', origin: 'http://evil.example' }, /Origin/],
    ['127.0.0.1', { host: 'localhost:9009', origin: 'null' }, /Origin/],
    // DNS rebinding: a public name that resolves to 127.0.0.1 still carries its own Host.
    ['127.0.0.1', { host: 'rebind.attacker.example:9009', origin: 'http://rebind.attacker.example:9009' }, /Host/],
  ];
  for (const [remote, headers, reason] of refused) {
    it(`refuses ${remote} ${JSON.stringify(headers)}`, () => {
      expect(localApiRefusal(request(remote, headers))).toMatch(reason);
    });
  }
});
