// LLM handlers for real over loopback HTTP: small servers stand in for each provider (asserting
// the exact request shape) and for the daemon's local API (recording the replies).
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { HandlerMessage } from '../../src/handlers/handler-message.js';
import { HandlerRunner } from '../../src/handlers/handler-runner.js';
import { parseHandlerSpec } from '../../src/handlers/handler-spec.js';
import { LlmHandler, type LlmTurnOutcome } from '../../src/handlers/llm/llm-handler.js';
import { createLocalApiReplier, ReplyError } from '../../src/handlers/llm/local-api-replier.js';
import { CLOSE_THREAD_TOOL, ProviderError, type ChatMessage, type CompleteFn } from '../../src/handlers/llm/provider.js';
import { createAnthropicProvider } from '../../src/handlers/llm/providers/anthropic.js';
import { createBedrockProvider } from '../../src/handlers/llm/providers/bedrock.js';
import { createOllamaProvider } from '../../src/handlers/llm/providers/ollama.js';
import { createOpenAiProvider } from '../../src/handlers/llm/providers/openai.js';
import { signSigV4 } from '../../src/handlers/llm/sigv4.js';
import { closeServer, listenOnLoopback } from '../helpers/ports.js';

const log = pino({ level: 'silent' });

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}
interface Canned {
  status?: number;
  json?: unknown;
  text?: string;
  /** Never answer (for timeouts and aborts). */
  hang?: boolean;
  delayMs?: number;
}

/** A loopback HTTP server that records requests and answers with `respond`. */
class FakeServer {
  readonly requests: Recorded[] = [];
  inFlight = 0;
  maxInFlight = 0;
  respond: (req: Recorded, index: number) => Canned = () => ({ json: {} });
  readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, text, json };
        const index = this.requests.push(rec) - 1;
        const canned = this.respond(rec, index);
        if (canned.hang) return;
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(canned.status ?? 200, { 'content-type': canned.text === undefined ? 'application/json' : 'text/plain' });
          res.end(canned.text ?? JSON.stringify(canned.json ?? {}));
        }, canned.delayMs ?? 0);
      });
    });
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<this> {
    this.port = await listenOnLoopback(this.server);
    return this;
  }
}

let servers: FakeServer[] = [];
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toq-llm-'));
});
afterEach(async () => {
  await Promise.all(servers.map((s) => closeServer(s.server)));
  servers = [];
  await rm(dir, { recursive: true, force: true });
});
async function fake(): Promise<FakeServer> {
  const s = await new FakeServer().start();
  servers.push(s);
  return s;
}

const SCHEMA = { type: 'object', properties: {}, required: [] };
const USER_HI: ChatMessage[] = [{ role: 'user', content: 'hi' }];
const OPENAI_KEY = 'sk-testkey0123456789abcdefghij';

describe('OpenAI provider', () => {
  it('sends the chat-completions shape with a bearer key; a close_thread tool call closes', async () => {
    const s = await fake();
    s.respond = () => ({ json: { choices: [{ message: { role: 'assistant', content: 'hello', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'close_thread', arguments: '{}' } }] } }] } });
    const complete = createOpenAiProvider({ env: { OPENAI_API_KEY: OPENAI_KEY }, baseUrl: s.url });
    const out = await complete({ model: 'gpt-4o', system: 'S', messages: USER_HI, tools: [CLOSE_THREAD_TOOL] });
    expect(out).toEqual({ text: 'hello', closeThread: true });
    const req = s.requests[0]!;
    expect([req.method, req.url]).toEqual(['POST', '/v1/chat/completions']);
    expect(req.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'hi' },
      ],
      tools: [{ type: 'function', function: { name: 'close_thread', description: 'End the conversation when it is naturally complete', parameters: SCHEMA } }],
    });
  });

  it('omits tools when none are offered; null content is ""', async () => {
    const s = await fake();
    s.respond = () => ({ json: { choices: [{ message: { content: null } }] } });
    const out = await createOpenAiProvider({ env: { OPENAI_API_KEY: OPENAI_KEY }, baseUrl: s.url })({ model: 'm', system: 'S', messages: USER_HI, tools: [] });
    expect(out).toEqual({ text: '', closeThread: false });
    expect(Object.keys(s.requests[0]!.json as object).sort()).toEqual(['messages', 'model']);
  });

  it('an HTTP error carries the status and a redacted message', async () => {
    const s = await fake();
    s.respond = () => ({ status: 401, json: { error: { message: `Incorrect API key provided: ${OPENAI_KEY}.` } } });
    const err = await createOpenAiProvider({ env: { OPENAI_API_KEY: OPENAI_KEY }, baseUrl: s.url })({ model: 'm', system: 'S', messages: USER_HI, tools: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'provider_http', status: 401, provider: 'openai' });
    expect((err as Error).message).toBe('openai API error: HTTP 401: Incorrect API key provided: [REDACTED].');
  });

  it('a non-JSON error body is quoted as an excerpt', async () => {
    const s = await fake();
    s.respond = () => ({ status: 502, text: '<html>Bad gateway</html>' });
    const err = await createOpenAiProvider({ env: { OPENAI_API_KEY: OPENAI_KEY }, baseUrl: s.url })({ model: 'm', system: 'S', messages: USER_HI, tools: [] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'provider_http', status: 502, message: 'openai API error: HTTP 502: <html>Bad gateway</html>' });
  });

  it('missing key, timeout and unreachable host are distinct errors', async () => {
    const req = { model: 'm', system: 'S', messages: USER_HI, tools: [] };
    await expect(createOpenAiProvider({ env: {} })(req)).rejects.toMatchObject({ code: 'provider_config', message: 'OPENAI_API_KEY not set' });
    const s = await fake();
    s.respond = () => ({ hang: true });
    const started = Date.now();
    await expect(createOpenAiProvider({ env: { OPENAI_API_KEY: OPENAI_KEY }, baseUrl: s.url, timeoutMs: 50 })(req)).rejects.toMatchObject({ code: 'provider_timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
    const closed = await fake();
    const deadUrl = closed.url;
    await closeServer(closed.server);
    await expect(createOpenAiProvider({ env: { OPENAI_API_KEY: OPENAI_KEY }, baseUrl: deadUrl })(req)).rejects.toMatchObject({ code: 'provider_unreachable' });
  });
});

describe('Anthropic provider', () => {
  it('sends x-api-key, anthropic-version and max_tokens; joins text blocks; tool_use closes', async () => {
    const s = await fake();
    s.respond = () => ({
      json: {
        content: [
          { type: 'text', text: 'Good' },
          { type: 'tool_use', id: 'tu1', name: 'close_thread', input: {} },
          { type: 'text', text: 'bye' },
        ],
      },
    });
    const out = await createAnthropicProvider({ env: { ANTHROPIC_API_KEY: 'ak-test' }, baseUrl: `${s.url}/` })({
      model: 'claude-x',
      system: 'S',
      messages: [...USER_HI, { role: 'assistant', content: 'yo' }, { role: 'user', content: 'again' }],
      tools: [CLOSE_THREAD_TOOL],
    });
    expect(out).toEqual({ text: 'Goodbye', closeThread: true });
    const req = s.requests[0]!;
    expect([req.method, req.url]).toEqual(['POST', '/v1/messages']);
    expect(req.headers['x-api-key']).toBe('ak-test');
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['authorization']).toBeUndefined();
    expect(req.json).toEqual({
      model: 'claude-x',
      max_tokens: 4096,
      system: 'S',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'yo' },
        { role: 'user', content: 'again' },
      ],
      tools: [{ name: 'close_thread', description: 'End the conversation when it is naturally complete', input_schema: SCHEMA }],
    });
  });

  it('reads the error message of an error body', async () => {
    const s = await fake();
    s.respond = () => ({ status: 529, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    await expect(createAnthropicProvider({ env: { ANTHROPIC_API_KEY: 'k' }, baseUrl: s.url })({ model: 'm', system: 'S', messages: USER_HI, tools: [] })).rejects.toMatchObject({
      status: 529,
      message: 'anthropic API error: HTTP 529: Overloaded',
    });
  });
});

describe('Ollama provider', () => {
  it('uses OLLAMA_HOST (trailing slash trimmed, scheme optional) and no auth header', async () => {
    const s = await fake();
    s.respond = () => ({ json: { choices: [{ message: { content: 'local' } }] } });
    for (const host of [`${s.url}/`, `127.0.0.1:${s.port}`]) {
      const out = await createOllamaProvider({ env: { OLLAMA_HOST: host } })({ model: 'llama3', system: 'S', messages: USER_HI, tools: [] });
      expect(out).toEqual({ text: 'local', closeThread: false });
    }
    for (const req of s.requests) {
      expect([req.method, req.url]).toEqual(['POST', '/v1/chat/completions']);
      expect(req.headers['authorization']).toBeUndefined();
      expect(req.json).toEqual({ model: 'llama3', messages: [{ role: 'system', content: 'S' }, ...USER_HI] });
    }
  });
});

describe('Bedrock provider', () => {
  const env = {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'session-token',
    AWS_REGION: 'eu-west-1',
  };
  const now = Date.UTC(2024, 4, 6, 7, 8, 9);
  const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

  it('sends a SigV4-signed Converse request; toolUse close_thread closes', async () => {
    const s = await fake();
    s.respond = () => ({
      json: { output: { message: { role: 'assistant', content: [{ text: 'one ' }, { text: 'two' }, { toolUse: { toolUseId: 't1', name: 'close_thread', input: {} } }] } }, stopReason: 'tool_use' },
    });
    const out = await createBedrockProvider({ env, baseUrl: s.url, now: () => now })({ model: MODEL, system: 'S', messages: USER_HI, tools: [CLOSE_THREAD_TOOL] });
    expect(out).toEqual({ text: 'one two', closeThread: true });
    const req = s.requests[0]!;
    expect([req.method, req.url]).toEqual(['POST', '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse']);
    expect(req.json).toEqual({
      modelId: MODEL,
      system: [{ text: 'S' }],
      messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      inferenceConfig: { maxTokens: 4096 },
      toolConfig: { tools: [{ toolSpec: { name: 'close_thread', description: 'End the conversation when it is naturally complete', inputSchema: { json: SCHEMA } } }] },
    });
    expect(req.headers['x-amz-date']).toBe('20240506T070809Z');
    expect(req.headers['x-amz-security-token']).toBe('session-token');
    expect(req.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(req.text).digest('hex'));
    expect(req.headers['content-type']).toBe('application/json');
    const auth = req.headers['authorization'] as string;
    expect(auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20240506\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    // The signature covers what actually arrived: the Host header (with port) and the body bytes.
    const expected = signSigV4(
      { method: 'POST', url: `http://${req.headers['host']}${req.url}`, headers: { 'content-type': 'application/json' }, body: req.text },
      { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN },
      { region: 'eu-west-1', service: 'bedrock', now },
    );
    expect(auth).toBe(expected.authorization);
  });

  it('without a session token signs three headers; errors read `message`; missing keys are config errors', async () => {
    const s = await fake();
    s.respond = () => ({ status: 403, json: { message: 'The security token included in the request is invalid.' } });
    const { AWS_SESSION_TOKEN: _unused, ...noToken } = env;
    const err = await createBedrockProvider({ env: noToken, baseUrl: s.url, now: () => now })({ model: MODEL, system: 'S', messages: USER_HI, tools: [] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'provider_http', status: 403, message: 'bedrock API error: HTTP 403: The security token included in the request is invalid.' });
    expect(s.requests[0]!.headers['authorization']).toContain('SignedHeaders=content-type;host;x-amz-date, ');
    expect(s.requests[0]!.headers['x-amz-security-token']).toBeUndefined();
    expect(Object.keys(s.requests[0]!.json as object)).not.toContain('toolConfig');
    await expect(createBedrockProvider({ env: {} })({ model: MODEL, system: 'S', messages: USER_HI, tools: [] })).rejects.toMatchObject({ code: 'provider_config' });
  });
});

describe('createLocalApiReplier', () => {
  it('POSTs {to, body:{text}, thread_id, close_thread} to /v1/messages?wait=true; non-2xx throws', async () => {
    const api = await fake();
    api.respond = (_req, i) => (i === 0 ? { json: { id: 'x', status: 'delivered' } } : { status: 502, json: { error: 'not_reachable' } });
    const reply = createLocalApiReplier(api.url);
    await reply({ to: 'toq://b/x', text: 'hey', threadId: 't', closeThread: true });
    expect(api.requests[0]).toMatchObject({ method: 'POST', url: '/v1/messages?wait=true', json: { to: 'toq://b/x', body: { text: 'hey' }, thread_id: 't', close_thread: true } });
    expect(api.requests[0]!.headers['content-type']).toBe('application/json');
    const err = await reply({ to: 'toq://b/x', text: 'hey', threadId: 't', closeThread: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).status).toBe(502);
    expect(api.requests[1]!.json).toEqual({ to: 'toq://b/x', body: { text: 'hey' }, thread_id: 't' });
  });
});

// ---------------------------------------------------------------------------------------------
// LlmHandler: turn rules and replies, against a scripted provider (loopback OpenAI fake) and a
// fake local API.

const FROM = 'toq://alice.example/bot';
function msg(text: string, over: Partial<HandlerMessage> = {}): HandlerMessage {
  return { id: `id-${text}`, type: 'message.send', from: FROM, body: { text }, thread_id: 'th-1', timestamp: '2025-01-01T00:00:00Z', ...over };
}

interface Rig {
  provider: FakeServer;
  api: FakeServer;
  handler: LlmHandler;
  /** System prompt, messages and tool names of provider call n. */
  call(n: number): { system: string; messages: { role: string; content: string }[]; tools: string[] };
  replies(): unknown[];
}

async function rig(spec: Record<string, unknown>, respond?: FakeServer['respond'], complete?: CompleteFn): Promise<Rig> {
  const provider = await fake();
  provider.respond = respond ?? ((req) => ({ json: { choices: [{ message: { content: `reply ${(req.json as { messages: unknown[] }).messages.length}` } }] } }));
  const api = await fake();
  api.respond = () => ({ json: { status: 'delivered' } });
  const handler = new LlmHandler(
    parseHandlerSpec({ name: 'bot', provider: 'openai', model: 'gpt-test', ...spec }),
    { cwd: dir },
    { complete: complete ?? createOpenAiProvider({ env: { OPENAI_API_KEY: OPENAI_KEY }, baseUrl: provider.url }), reply: createLocalApiReplier(api.url), log },
  );
  return {
    provider,
    api,
    handler,
    call(n) {
      const body = provider.requests[n]!.json as { messages: { role: string; content: string }[]; tools?: { function: { name: string } }[] };
      return { system: body.messages[0]!.content, messages: body.messages.slice(1), tools: (body.tools ?? []).map((t) => t.function.name) };
    },
    replies: () => api.requests.map((r) => r.json),
  };
}

const DEFAULT_PROMPT = 'You are an AI agent communicating via the toq protocol. Respond helpfully and concisely.';

describe('LlmHandler', () => {
  it('max_turns: suffixes, history, the last turn closes, then the thread ignores messages until thread.close', async () => {
    const r = await rig({ max_turns: 2 });
    expect(await r.handler.handle(msg('one'))).toEqual({ outcome: 'replied', turn: 1, closeThread: false, isRedacted: false });
    expect(r.call(0)).toEqual({ system: `${DEFAULT_PROMPT}\n\nYou are on turn 1 of 2 in this conversation.`, messages: [{ role: 'user', content: 'one' }], tools: [] });
    expect(await r.handler.handle(msg('two'))).toMatchObject({ outcome: 'replied', turn: 2, closeThread: true });
    expect(r.call(1)).toEqual({
      system: `${DEFAULT_PROMPT}\n\nThis is your final response in this conversation (turn 2 of 2). Wrap up naturally.`,
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'reply 2' },
        { role: 'user', content: 'two' },
      ],
      tools: [],
    });
    expect(r.replies()).toEqual([
      { to: FROM, body: { text: 'reply 2' }, thread_id: 'th-1' },
      { to: FROM, body: { text: 'reply 4' }, thread_id: 'th-1', close_thread: true },
    ]);
    expect(await r.handler.handle(msg('three'))).toEqual({ outcome: 'ignored' });
    expect(r.provider.requests.length).toBe(2);
    r.handler.onThreadClose('th-1');
    expect(await r.handler.handle(msg('four'))).toMatchObject({ outcome: 'replied', turn: 1 });
  });

  it('auto_close: close_thread offered from turn 2; the model calling it closes the thread', async () => {
    const r = await rig({ auto_close: true, prompt: 'P' }, (_req, i) => ({
      json: { choices: [{ message: i === 1 ? { content: 'done', tool_calls: [{ function: { name: 'close_thread', arguments: '{}' } }] } : { content: 'more' } }] },
    }));
    await r.handler.handle(msg('a'));
    const suffix = 'P\n\nWhen the conversation has been fully explored and both sides have shared their thoughts, use the close_thread tool to end it. Do not close prematurely.';
    expect(r.call(0)).toMatchObject({ system: suffix, tools: [] });
    expect(await r.handler.handle(msg('b'))).toMatchObject({ outcome: 'replied', turn: 2, closeThread: true });
    expect(r.call(1)).toMatchObject({ system: suffix, tools: ['close_thread'] });
    expect(r.replies()[1]).toEqual({ to: FROM, body: { text: 'done' }, thread_id: 'th-1', close_thread: true });
    expect(await r.handler.handle(msg('c'))).toEqual({ outcome: 'ignored' });
  });

  it('redacts credentials in the reply; thread id falls back to the message id', async () => {
    const r = await rig({}, () => ({ json: { choices: [{ message: { content: 'the key is AKIAIOSFODNN7EXAMPLE ok' } }] } }));
    expect(await r.handler.handle(msg('x', { thread_id: undefined, id: 'mid-9' }))).toMatchObject({ outcome: 'replied', isRedacted: true });
    expect(r.replies()).toEqual([{ to: FROM, body: { text: 'the key is [REDACTED] ok' }, thread_id: 'mid-9' }]);
    // The redacted text, not the secret, is what the next turn's history holds.
    await r.handler.handle(msg('y', { thread_id: 'mid-9' }));
    expect(r.call(1).messages[1]).toEqual({ role: 'assistant', content: 'the key is [REDACTED] ok' });
  });

  it('serializes turns on one thread (the second sees the first reply), runs other threads in parallel', async () => {
    const r = await rig({}, (req) => ({ delayMs: 150, json: { choices: [{ message: { content: `r${(req.json as { messages: unknown[] }).messages.length}` } }] } }));
    const outcomes = await Promise.all([r.handler.handle(msg('a')), r.handler.handle(msg('b')), r.handler.handle(msg('c', { thread_id: 'th-2' }))]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['replied', 'replied', 'replied']);
    const sameThread = r.provider.requests.filter((q) => JSON.stringify(q.json).includes('"a"') || JSON.stringify(q.json).includes('"b"'));
    expect((sameThread[1]!.json as { messages: unknown[] }).messages).toEqual([
      { role: 'system', content: `${DEFAULT_PROMPT}\n\nYou are on turn 2 of 10 in this conversation.` },
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'r2' },
      { role: 'user', content: 'b' },
    ]);
    expect(r.provider.maxInFlight).toBe(2); // th-1's first turn alongside th-2, never th-1 twice
  });

  it('keeps conversations of different senders on the same thread apart', async () => {
    const r = await rig({});
    await r.handler.handle(msg('from alice'));
    await r.handler.handle(msg('from bob', { from: 'toq://bob.example/x' }));
    expect(r.call(1).messages).toEqual([{ role: 'user', content: 'from bob' }]);
    expect(r.replies()[1]).toMatchObject({ to: 'toq://bob.example/x' });
  });

  it('re-reads prompt_file on every message and falls back to the default prompt', async () => {
    const file = join(dir, 'prompt.txt');
    await writeFile(file, 'first prompt');
    const r = await rig({ prompt_file: 'prompt.txt', max_turns: 5 });
    await r.handler.handle(msg('a'));
    await writeFile(file, 'second prompt');
    await r.handler.handle(msg('b'));
    await rm(file);
    await r.handler.handle(msg('c'));
    expect([0, 1, 2].map((n) => r.call(n).system.split('\n\n')[0])).toEqual(['first prompt', 'second prompt', DEFAULT_PROMPT]);
  });

  it('a provider failure sends no reply and logs a redacted error', async () => {
    const r = await rig({}, () => ({ status: 500, json: { error: { message: `boom ${OPENAI_KEY}` } } }));
    const out = await r.handler.handle(msg('a'));
    expect(out).toEqual({ outcome: 'failed', stage: 'provider', code: 'provider_http', message: 'openai API error: HTTP 500: boom [REDACTED]' });
    expect(r.api.requests.length).toBe(0);
  });

  it('stop() aborts a call in flight and drops queued turns', async () => {
    const r = await rig({}, () => ({ hang: true }));
    const first = r.handler.handle(msg('a'));
    const second = r.handler.handle(msg('b'));
    await waitUntil(() => r.provider.requests.length === 1);
    expect(r.handler.active).toBe(1);
    expect(r.handler.stop()).toBe(2);
    const outcomes: LlmTurnOutcome[] = await Promise.all([first, second]);
    expect(outcomes).toEqual([{ outcome: 'stopped' }, { outcome: 'stopped' }]);
    expect(r.provider.requests.length).toBe(1);
    expect(r.api.requests.length).toBe(0);
  });
});

describe('HandlerRunner with an LLM handler', () => {
  it('dispatches to the provider and replies through TOQ_URL; thread.close resets the conversation', async () => {
    const provider = await fake();
    provider.respond = () => ({ json: { content: [{ type: 'text', text: 'hi back' }] } });
    const api = await fake();
    api.respond = () => ({ json: { status: 'delivered' } });
    const runner = new HandlerRunner(
      [parseHandlerSpec({ name: 'claude', provider: 'anthropic', model: 'claude-x', max_turns: 1, filter_type: ['message.send'] })],
      { logDir: join(dir, 'logs'), toqUrl: api.url, env: { ANTHROPIC_API_KEY: 'ak' }, llm: { baseUrls: { anthropic: provider.url } } },
      { log },
    );
    try {
      expect(runner.list()).toEqual([
        { name: 'claude', command: '', provider: 'anthropic', model: 'claude-x', enabled: true, active: 0, filter_from: [], filter_key: [], filter_type: ['message.send'] },
      ]);
      expect(runner.dispatch(msg('hello'))).toEqual(['claude']);
      await runner.whenIdle();
      expect(api.requests.map((q) => q.json)).toEqual([{ to: FROM, body: { text: 'hi back' }, thread_id: 'th-1', close_thread: true }]);
      runner.dispatch(msg('again'));
      await runner.whenIdle();
      expect(provider.requests.length).toBe(1); // closed by the turn limit
      expect(runner.dispatch({ ...msg('bye'), type: 'thread.close' })).toEqual([]);
      runner.dispatch(msg('new start'));
      await runner.whenIdle();
      expect(provider.requests.length).toBe(2);
      expect((provider.requests[1]!.json as { messages: unknown[] }).messages).toEqual([{ role: 'user', content: 'new start' }]);
    } finally {
      await runner.close();
    }
  });
});

async function waitUntil(probe: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
