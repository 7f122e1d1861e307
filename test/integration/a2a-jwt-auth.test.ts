// JWT auth of A2A callers against a real daemon (DESIGN §8): a small real HTTP server plays the
// issuer and serves its JWKS (one RSA and one EC key, made here with jose); the daemon has
// a2a_api_key and the a2a_jwt_* keys; the @a2a-js/sdk client sends tokens through an interceptor.
// Good tokens get in and are scoped per subject; every kind of bad token gets the reference's 401
// plus `error="invalid_token"`; a JWKS that is down makes a bounded 503, never a hang.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageRequest, type Message, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, type BeforeArgs, type CallInterceptor, type Client } from '@a2a-js/sdk/client';
import { TaskNotFoundError } from '@a2a-js/sdk/errors';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createJwtVerifier } from '../../src/a2a/jwt-auth.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { capturedLog } from '../helpers/captured-log.js';

const AUDIENCE = 'toq-gateway-test';
const API_KEY = 'the-api-key-0123456789';

/** Replies "echo: <text>" through the reply channel (as in a2a-local-agent.test.ts). */
const HANDLER_JS =
  "const e=process.env,t=e.TOQ_TEXT;fetch(e.TOQ_URL+'/v1/messages?wait=true',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({to:e.TOQ_FROM,thread_id:e.TOQ_THREAD_ID,body:{text:'echo: '+t}})}).then(r=>r.text()).then(console.log)";
const HANDLERS_TOML = `[[handlers]]\nname = "echo"\ncommand = ${JSON.stringify(`node -e "${HANDLER_JS}"`)}\n`;

interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function makeKey(kid: string, alg: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The issuer: serves its JWKS at /jwks.json; `hang` makes it accept requests and never answer. */
class FakeIssuer {
  readonly server: Server;
  keys: SigningKey[] = [];
  hang = false;
  fetches = 0;
  constructor() {
    this.server = createServer((req, res) => {
      this.fetches++;
      if (this.hang) return;
      const body = JSON.stringify({ keys: this.keys.map((k) => k.jwk) });
      res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' }).end(body);
    });
  }
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function sign(key: SigningKey, issuer: string, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 300, ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const request = (text: string, extra: { returnImmediately?: boolean } = {}): SendMessageRequest =>
  SendMessageRequest.fromJSON({
    message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }] },
    ...(extra.returnImmediately && { configuration: { returnImmediately: true } }),
  });

function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

/** An SDK client whose every call carries `Authorization: Bearer <token()>` (an auth interceptor). */
async function clientWith(baseUrl: string, token: () => string, preferred: 'JSONRPC' | 'HTTP+JSON' = 'JSONRPC'): Promise<Client> {
  const auth: CallInterceptor = {
    before(args: BeforeArgs) {
      args.options = { ...args.options, serviceParameters: { ...args.options?.serviceParameters, authorization: `Bearer ${token()}` } };
      return Promise.resolve();
    },
    after: () => Promise.resolve(),
  };
  return new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { clientConfig: { interceptors: [auth] }, preferredTransports: [preferred] })).createFromUrl(baseUrl);
}

const SEND_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'x', role: 'ROLE_USER', parts: [{ text: 'hi' }] } } });

async function rawSend(url: string, authorization: string | undefined, path = '/a2a'): Promise<Response> {
  const rest = path !== '/a2a' && !path.endsWith('/a2a');
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'a2a-version': '1.0', ...(authorization !== undefined && { authorization }) },
    body: rest ? JSON.stringify({ message: { messageId: 'y', role: 'ROLE_USER', parts: [{ text: 'hi' }] } }) : SEND_BODY,
  });
}

interface Workspace {
  readonly daemon: Daemon;
  readonly url: string;
  readonly dir: string;
}

async function startWorkspace(name: string, config: string, log: pino.Logger): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), `toq-a2a-jwt-${name}-`));
  writeFileSync(join(dir, 'config.toml'), `host = "127.0.0.1"\na2a_enabled = true\n${config}`);
  writeFileSync(join(dir, 'handlers.toml'), HANDLERS_TOML);
  const daemon = await startDaemon({ configDir: dir, log, port: 0, bindAddress: '127.0.0.1', overrides: { agentName: name }, a2aBlockingTimeoutMs: 5_000 });
  return { daemon, url: `http://127.0.0.1:${daemon.port}`, dir };
}

async function stopWorkspace(ws: Workspace | undefined): Promise<void> {
  if (ws === undefined) return;
  await ws.daemon.stop();
  rmSync(ws.dir, { recursive: true, force: true });
}

describe('A2A JWT auth: daemon with a2a_api_key and a2a_jwt_* (issuer up)', () => {
  const issuer = new FakeIssuer();
  // Warn and above: the refusals and the JWKS notice, not every request.
  const logLines: Array<Record<string, unknown>> = [];
  let ws: Workspace;
  let rsa: SigningKey;
  let ec: SigningKey;
  let stranger: SigningKey;
  let iss: string;

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([makeKey('rsa-1', 'RS256'), makeKey('ec-1', 'ES256'), makeKey('rsa-1', 'RS256')]);
    issuer.keys = [rsa, ec];
    await issuer.listen();
    iss = issuer.origin;
    ws = await startWorkspace(
      'jwt',
      `a2a_api_key = "${API_KEY}"\na2a_jwt_issuer = "${iss}"\na2a_jwt_audience = "${AUDIENCE}"\na2a_jwt_jwks_url = "${iss}/jwks.json"\n[agents.bob]\ntoq = "toq://127.0.0.1:1/nobody"\n`,
      capturedLog(logLines, 'warn'),
    );
  });
  afterAll(async () => {
    await stopWorkspace(ws);
    await issuer.close();
  });

  it('the cards (local and hosted, v1.0 and v0.3) declare the API-key and the JWT bearer schemes as alternatives', async () => {
    for (const prefix of ['', '/a2a/bob']) {
      const card = (await (await fetch(`${ws.url}${prefix}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })).json()) as Record<string, unknown>;
      expect(card['securitySchemes'], prefix).toEqual({
        bearer: { httpAuthSecurityScheme: { description: 'Bearer token authentication', scheme: 'bearer' } },
        jwt: { httpAuthSecurityScheme: { description: `JWT bearer token issued by ${iss} for audience ${AUDIENCE}`, scheme: 'bearer', bearerFormat: 'JWT' } },
      });
      expect(card['securityRequirements'], prefix).toEqual([{ schemes: { bearer: {} } }, { schemes: { jwt: {} } }]);
      const legacy = (await (await fetch(`${ws.url}${prefix}/.well-known/agent.json`)).json()) as Record<string, unknown>;
      expect((legacy['securitySchemes'] as Record<string, unknown>)['jwt'], prefix).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: `JWT bearer token issued by ${iss} for audience ${AUDIENCE}` });
      expect(legacy['security'], prefix).toEqual([{ bearer: [] }, { jwt: [] }]);
    }
  });

  it('valid RS256 and ES256 tokens are accepted (JSON-RPC and REST through the SDK client)', async () => {
    const viaRsa = await clientWith(ws.url, () => '', 'JSONRPC');
    const rsaToken = await sign(rsa, iss);
    const rsaClient = await clientWith(ws.url, () => rsaToken, 'JSONRPC');
    expect(asTask(await rsaClient.sendMessage(request('rsa'))).artifacts[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'echo: rsa' });
    const ecToken = await sign(ec, iss, { sub: 'ec-user' });
    const ecClient = await clientWith(ws.url, () => ecToken, 'HTTP+JSON');
    expect(asTask(await ecClient.sendMessage(request('ec'))).artifacts[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'echo: ec' });
    // The same client with an empty token is refused.
    await expect(viaRsa.sendMessage(request('nope'))).rejects.toThrow();
  });

  it('bad tokens: the reference 401 with error="invalid_token", on JSON-RPC and REST; no token: plain Bearer', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad: Array<[string, string]> = [
      ['expired', await sign(rsa, iss, { exp: now - 600, iat: now - 900 })],
      ['not yet valid', await sign(rsa, iss, { nbf: now + 600 })],
      ['wrong issuer', await sign(rsa, 'https://other-issuer.example')],
      ['wrong audience', await sign(rsa, iss, { aud: 'someone-else' })],
      ['unknown kid', await sign({ ...stranger, kid: 'no-such-kid' }, iss)],
      ['bad signature', await sign(stranger, iss)],
      ['HS256 with a guessable secret', await new SignJWT({ iss, aud: AUDIENCE, sub: 'mallory', exp: now + 300 }).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode('secret'))],
      ['alg none', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss, aud: AUDIENCE, sub: 'mallory', exp: now + 300 })}.`],
      ['garbage', 'garbage'],
      ['garbage JWT shape', 'aaaa.bbbb.cccc'],
    ];
    for (const [what, token] of bad) {
      const res = await rawSend(ws.url, `Bearer ${token}`);
      expect(res.status, what).toBe(401);
      expect(res.headers.get('www-authenticate'), what).toBe('Bearer error="invalid_token"');
      expect(await res.json(), what).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Unauthorized' } });
      const rest = await rawSend(ws.url, `Bearer ${token}`, '/message:send');
      expect(rest.status, what).toBe(401);
      expect(await rest.json(), what).toEqual({ error: { code: 401, status: 'UNAUTHENTICATED', message: 'Unauthorized' } });
    }
    const none = await rawSend(ws.url, undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    // The log says why, without the token.
    // Written back as JSON: a token the daemon logged would be in it unchanged (base64url needs no escaping).
    const text = logLines.map((l) => JSON.stringify(l)).join('\n');
    const reasons = logLines.filter((l) => l['msg'] === 'A2A caller refused').map((l) => l['reason']);
    for (const reason of ['expired', 'not yet valid', 'wrong issuer', 'wrong audience', 'unknown kid', 'bad signature', 'algorithm not allowed', 'neither an API key nor a JWT', 'malformed']) expect(reasons).toContain(reason);
    for (const [, token] of bad) if (token.length > 20) expect(text).not.toContain(token);
  });

  it('tasks are scoped per subject: B cannot see A\'s task, A can with a fresh token; the API key is another scope', async () => {
    const tokenA = await sign(rsa, iss, { sub: 'subject-a' });
    const clientA = await clientWith(ws.url, () => tokenA);
    const task = asTask(await clientA.sendMessage(request('mine')));
    const tokenB = await sign(ec, iss, { sub: 'subject-b' });
    const clientB = await clientWith(ws.url, () => tokenB);
    await expect(clientB.getTask({ tenant: '', id: task.id })).rejects.toBeInstanceOf(TaskNotFoundError);
    const freshA = await sign(ec, iss, { sub: 'subject-a', iat: Math.floor(Date.now() / 1000) + 1 });
    expect(freshA).not.toBe(tokenA);
    const clientA2 = await clientWith(ws.url, () => freshA, 'HTTP+JSON');
    expect((await clientA2.getTask({ tenant: '', id: task.id })).id).toBe(task.id);
    const keyClient = await clientWith(ws.url, () => API_KEY);
    await expect(keyClient.getTask({ tenant: '', id: task.id })).rejects.toBeInstanceOf(TaskNotFoundError);
  });

  it('the API key still works alongside JWTs, on the local and a hosted agent', async () => {
    const keyClient = await clientWith(ws.url, () => API_KEY);
    expect(asTask(await keyClient.sendMessage(request('by key'))).artifacts[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'echo: by key' });
    // The hosted agent lets the key and a JWT in (its answer is not our concern here: not 401).
    for (const token of [API_KEY, await sign(rsa, iss)]) {
      const res = await fetch(`${ws.url}/a2a/bob`, { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0', authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'no-such-task' } }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { error?: { code: number } }).error?.code).toBe(-32001);
    }
    expect((await rawSend(ws.url, undefined, '/a2a/bob')).status).toBe(401);
  });

  it('the issuer going down: cached keys keep verifying, other requests are unaffected', async () => {
    const before = issuer.fetches;
    issuer.hang = true;
    const token = await sign(rsa, iss, { sub: 'while-down' });
    expect((await rawSend(ws.url, `Bearer ${token}`)).status).toBe(200);
    expect((await rawSend(ws.url, `Bearer ${API_KEY}`)).status).toBe(200);
    expect((await fetch(`${ws.url}/.well-known/agent-card.json`)).status).toBe(200);
    expect(issuer.fetches).toBe(before);
    issuer.hang = false;
  });
});

describe('A2A JWT auth: JWKS unreachable', () => {
  const logLines: Array<Record<string, unknown>> = [];
  let ws: Workspace | undefined;
  let key: SigningKey;
  let deadOrigin: string;

  beforeAll(async () => {
    key = await makeKey('k', 'ES256');
    // A port that was just free: nothing listens there.
    const probe = new FakeIssuer();
    await probe.listen();
    deadOrigin = probe.origin;
    await probe.close();
    ws = await startWorkspace('down', `a2a_api_key = "${API_KEY}"\na2a_jwt_issuer = "${deadOrigin}"\na2a_jwt_audience = "${AUDIENCE}"\na2a_jwt_jwks_url = "${deadOrigin}/jwks.json"\n`, capturedLog(logLines, 'warn'));
  });
  afterAll(async () => {
    await stopWorkspace(ws);
  });

  it('a JWT answers 503 with Retry-After (JSON-RPC and REST), the API key and the card still work', async () => {
    const token = await sign(key, deadOrigin);
    const res = await rawSend(ws!.url, `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Authentication temporarily unavailable' } });
    const rest = await rawSend(ws!.url, `Bearer ${token}`, '/message:send');
    expect(rest.status).toBe(503);
    expect(await rest.json()).toEqual({ error: { code: 503, status: 'UNAVAILABLE', message: 'Authentication temporarily unavailable' } });
    expect((await rawSend(ws!.url, `Bearer ${API_KEY}`)).status).toBe(200);
    expect((await rawSend(ws!.url, 'Bearer not-a-jwt')).status).toBe(401);
    expect((await fetch(`${ws!.url}/.well-known/agent-card.json`)).status).toBe(200);
    expect(logLines.some((l) => l['msg'] === 'A2A caller not judged: JWKS unavailable' && l['reason'] === 'JWKS unreachable')).toBe(true);
  });
});

describe('JWT verifier against a JWKS server that accepts and never answers', () => {
  const issuer = new FakeIssuer();
  beforeAll(async () => {
    issuer.hang = true;
    await issuer.listen();
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('gives up after its fetch timeout with "unavailable", then fails fast during the cooldown', async () => {
    const key = await makeKey('k', 'EdDSA');
    const verifier = createJwtVerifier({ issuer: issuer.origin, jwksUrl: `${issuer.origin}/jwks.json`, jwksTimeoutMs: 50 });
    const token = await sign(key, issuer.origin);
    expect(await verifier.verify(token)).toMatchObject({ ok: false, isUnavailable: true, reason: 'JWKS unreachable' });
    const fetches = issuer.fetches;
    expect(await verifier.verify(token)).toMatchObject({ ok: false, isUnavailable: true });
    expect(issuer.fetches).toBe(fetches);
  });
});
