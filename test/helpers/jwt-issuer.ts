// A JWT issuer for integration tests: one ES256 key, its JWKS served at /jwks.json by a real HTTP
// server on 127.0.0.1 port 0, and tokens for any subject. It stands for the outside world only.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export class TestJwtIssuer {
  readonly #server: Server;
  readonly #privateKey: CryptoKey;
  readonly #jwk: JWK;

  private constructor(privateKey: CryptoKey, jwk: JWK) {
    this.#privateKey = privateKey;
    this.#jwk = jwk;
    this.#server = createServer((req, res) => {
      res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [this.#jwk] }));
    });
  }

  /** A new key pair and a listening JWKS server. */
  static async start(): Promise<TestJwtIssuer> {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const issuer = new TestJwtIssuer(pair.privateKey, { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' });
    await new Promise<void>((resolve) => issuer.#server.listen(0, '127.0.0.1', resolve));
    return issuer;
  }

  /** The `iss` of its tokens, and the base of its JWKS URL. */
  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get jwksUrl(): string {
    return `${this.origin}/jwks.json`;
  }

  /** A token for `sub` and `audience`, valid for ten minutes. */
  token(sub: string, audience: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.origin, aud: audience, sub, iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' }).sign(this.#privateKey);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
