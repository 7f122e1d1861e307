// The A2A binding alone (src/a2a, no toq): a real node:http server on loopback, the SDK's
// request handler over an in-memory task store, and a tiny executor. Checks what the binding
// adds to the SDK: envelope and version handling, auth, caller scoping, the §13 fixes, the
// blocking time limit, the card, and REST through the SDK's express handler.

import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, TaskState, type AgentCard } from '@a2a-js/sdk';
import { AgentEvent, InMemoryTaskStore, type AgentExecutor } from '@a2a-js/sdk/server';
import { createA2aHttpHandler } from '../../src/a2a/a2a-http-handler.js';
import { listenA2aHttpServer, type A2aHttpServer } from '../helpers/a2a-http-server.js';
import { buildAgentCard } from '../../src/a2a/agent-card.js';
import { createBearerAuth } from '../../src/a2a/bearer-auth.js';
import { createA2aRequestHandler } from '../../src/a2a/request-handler.js';

const KEY_1 = 'key-one-secret';
const KEY_2 = 'key-two-secret';

/** Echoes text at once; "slow" waits until canceled. */
function testExecutor(): AgentExecutor {
  const waiting = new Map<string, () => void>();
  return {
    async execute(ctx, bus) {
      const text = ctx.userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
      bus.publish(AgentEvent.task(ctx.task ?? { id: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [ctx.userMessage], metadata: undefined }));
      if (text === 'slow') {
        await new Promise<void>((resolve) => waiting.set(ctx.taskId, resolve));
        return;
      }
      const reply = { messageId: `r-${ctx.taskId}`, contextId: ctx.contextId, taskId: ctx.taskId, role: Role.ROLE_AGENT, parts: [{ content: { $case: 'text' as const, value: `echo: ${text}` }, mediaType: 'text/plain', filename: '', metadata: undefined }], metadata: undefined, extensions: [], referenceTaskIds: [] };
      bus.publish(AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_COMPLETED, message: reply, timestamp: new Date().toISOString() }, metadata: undefined }));
    },
    async cancelTask(taskId, bus) {
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId: '', status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined }));
      waiting.get(taskId)?.();
    },
  };
}

let server: A2aHttpServer;
let base: string;
let card: AgentCard;

beforeAll(async () => {
  server = await listenA2aHttpServer();
  base = server.base;
  card = buildAgentCard({ name: 'alice (toq)', description: 'test', version: '0.0.1', jsonRpcUrl: `${base}/a2a`, restUrl: base, skills: [], requiresBearer: true, extensions: [{ uri: 'urn:toq:a2a:identity:v1', description: 'id', params: { address: 'toq://h/alice' } }] });
  const requestHandler = createA2aRequestHandler({ card, taskStore: new InMemoryTaskStore(), executor: testExecutor(), blockingTimeoutMs: 300 });
  const auth = createBearerAuth([
    { key: KEY_1, principal: 'p1' },
    { key: KEY_2, principal: 'p2' },
  ]);
  server.serve(createA2aHttpHandler({ requestHandler, card: () => Promise.resolve(card), authenticate: auth.authenticate, tenant: 'alice', maxBodyBytes: 64 * 1024 }, { log: pino({ level: 'silent' }) }));
});

afterAll(async () => {
  await server.close();
});

interface RpcAnswer {
  status: number;
  body: { jsonrpc?: string; id?: unknown; result?: Record<string, unknown> & { task?: Record<string, unknown> }; error?: { code: number; message: string } };
}

async function rpc(body: unknown, options: { key?: string | null; version?: string | null; raw?: string; contentType?: string; path?: string } = {}): Promise<RpcAnswer> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
  const key = options.key === undefined ? KEY_1 : options.key;
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  const version = options.version === undefined ? '1.0' : options.version;
  if (version !== null) headers['a2a-version'] = version;
  const res = await fetch(`${base}${options.path ?? '/a2a'}`, { method: 'POST', headers, body: options.raw ?? JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as RpcAnswer['body']) };
}

const send = (text: string, extra: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }] }, ...extra } });

describe('agent card (a2a-notes §9)', () => {
  it('serves the v1.0 card as ProtoJSON at both well-known paths, without auth', async () => {
    for (const path of ['/.well-known/agent-card.json', '/.well-known/agent.json']) {
      const res = await fetch(base + path, { headers: { 'a2a-version': '1.0' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('vary')).toContain('A2A-Version');
      expect(Number.isNaN(Date.parse(res.headers.get('last-modified') ?? ''))).toBe(false);
      const json = (await res.json()) as Record<string, unknown>;
      expect(json['name']).toBe('alice (toq)');
      expect(json['securitySchemes']).toEqual({ bearer: { httpAuthSecurityScheme: { description: 'Bearer token authentication', scheme: 'bearer' } } });
      expect(JSON.stringify(json)).not.toContain('$case');
      expect((json['capabilities'] as Record<string, unknown>)['extensions']).toEqual([{ uri: 'urn:toq:a2a:identity:v1', description: 'id', params: { address: 'toq://h/alice' } }]);
    }
  });

  it('a request without a version gets the v0.3-compatible card', async () => {
    const json = (await (await fetch(`${base}/.well-known/agent-card.json`)).json()) as Record<string, unknown>;
    expect(json['protocolVersion']).toBe('0.3');
    expect(json['url']).toBe(`${base}/a2a`);
    expect(json['securitySchemes']).toEqual({ bearer: { type: 'http', scheme: 'bearer', description: 'Bearer token authentication' } });
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await fetch(`${base}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } });
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const second = await fetch(`${base}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0', 'if-none-match': etag! } });
    expect(second.status).toBe(304);
  });
});

describe('auth (a2a-notes §10, reference §9.1)', () => {
  it('JSON-RPC without a key or with a wrong one: 401 with the reference body', async () => {
    for (const key of [null, 'wrong']) {
      const answer = await rpc(send('hi'), { key });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Unauthorized' } });
    }
  });

  it('REST without a key: 401', async () => {
    const res = await fetch(`${base}/message:send`, { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('the right key: served', async () => {
    const answer = await rpc(send('hi'));
    expect(answer.status).toBe(200);
    expect(answer.body.result?.task?.['status']).toMatchObject({ state: 'TASK_STATE_COMPLETED' });
  });
});

describe('JSON-RPC envelope and versions (a2a-notes §2, §5, §13)', () => {
  it('malformed JSON: -32700', async () => {
    const answer = await rpc(undefined, { raw: '{"jsonrpc":' });
    expect(answer.status).toBe(200);
    expect(answer.body.error?.code).toBe(-32700);
    expect(answer.body.id).toBeNull();
  });

  it('not a JSON-RPC request: -32600, not the SDK\'s -32602', async () => {
    for (const body of [{ jsonrpc: '1.0', id: 3, method: 'GetTask', params: { id: 'x' } }, { jsonrpc: '2.0', id: 3 }, { jsonrpc: '2.0', id: { x: 1 }, method: 'GetTask' }, [send('a')]]) {
      expect((await rpc(body)).body.error?.code).toBe(-32600);
    }
  });

  it('POST /a2a/ (a base URL joined with a path, as httpx clients do) is the same JSON-RPC endpoint', async () => {
    const answer = await rpc({ jsonrpc: '2.0', id: 7, method: 'GetTask', params: { id: 'no-such-task' } }, { path: '/a2a/' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32001 } });
    expect((await rpc({ jsonrpc: '2.0', id: 8, method: 'GetTask', params: { id: 'x' } }, { path: '/a2a/', key: null })).status).toBe(401);
  });

  it('unknown method: -32601 on v1.0 and v0.3', async () => {
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'NoSuchMethod', params: {} })).body.error?.code).toBe(-32601);
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'no/such', params: {} }, { version: null })).body.error?.code).toBe(-32601);
  });

  it('an absent version means 0.3: v0.3 method names work, v1.0 ones are unknown there', async () => {
    const legacy = await rpc({ jsonrpc: '2.0', id: 'a', method: 'message/send', params: { message: { kind: 'message', messageId: 'm-legacy', role: 'user', parts: [{ kind: 'text', text: 'old' }] } } }, { version: null });
    expect(legacy.body.result).toMatchObject({ kind: 'task', status: { state: 'completed' } });
    expect((await rpc(send('x'), { version: null })).body.error?.code).toBe(-32601);
  });

  it('an unsupported version: -32009; a patch number is ignored', async () => {
    expect((await rpc(send('x'), { version: '2.0' })).body.error?.code).toBe(-32009);
    expect((await rpc(send('x'), { version: '1.0.1' })).body.result?.task).toBeDefined();
  });

  it('a non-JSON content type: -32005', async () => {
    expect((await rpc(send('x'), { contentType: 'text/plain' })).body.error?.code).toBe(-32005);
  });

  it('a body over the cap: 413', async () => {
    const answer = await rpc(send('x'.repeat(70 * 1024)));
    expect(answer.status).toBe(413);
  });
});

describe('tasks are scoped per caller (a2a-notes §10)', () => {
  it("another caller's task id is not found, and not listed", async () => {
    const created = await rpc(send('mine'), { key: KEY_1 });
    const taskId = created.body.result?.task?.['id'] as string;
    expect((await rpc({ jsonrpc: '2.0', id: 2, method: 'GetTask', params: { id: taskId } }, { key: KEY_1 })).body.result?.['id']).toBe(taskId);
    expect((await rpc({ jsonrpc: '2.0', id: 2, method: 'GetTask', params: { id: taskId } }, { key: KEY_2 })).body.error?.code).toBe(-32001);
    expect((await rpc({ jsonrpc: '2.0', id: 2, method: 'CancelTask', params: { id: taskId } }, { key: KEY_2 })).body.error?.code).toBe(-32001);
    const listed = await rpc({ jsonrpc: '2.0', id: 3, method: 'ListTasks', params: {} }, { key: KEY_2 });
    expect((listed.body.result?.['tasks'] as Array<{ id: string }> | undefined)?.map((t) => t.id) ?? []).not.toContain(taskId);
  });
});

describe('ListTasks and GetTask parameters (a2a-notes §4, §13)', () => {
  const list = (params: Record<string, unknown>) => rpc({ jsonrpc: '2.0', id: 9, method: 'ListTasks', params }, { key: KEY_2 });

  it('a message without parts (v1.0 and v0.3) or with an empty part: -32602', async () => {
    const bare = (parts: unknown) => ({ jsonrpc: '2.0', id: 4, method: 'SendMessage', params: { message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts } } });
    expect((await rpc(bare([]), { key: KEY_2 })).body.error?.code).toBe(-32602);
    expect((await rpc(bare([{ mediaType: 'text/plain' }]), { key: KEY_2 })).body.error?.code).toBe(-32602);
    const legacy = { jsonrpc: '2.0', id: 5, method: 'message/send', params: { message: { kind: 'message', messageId: `m-${Math.random()}`, role: 'user', parts: [] } } };
    expect((await rpc(legacy, { key: KEY_2, version: null })).body.error?.code).toBe(-32602);
  });

  it('out-of-range or malformed parameters: -32602', async () => {
    for (const params of [{ pageSize: 0 }, { pageSize: 101 }, { pageSize: 2.5 }, { historyLength: -1 }, { statusTimestampAfter: '2024' }, { statusTimestampAfter: 'yesterday' }]) {
      expect((await list(params)).body.error?.code, JSON.stringify(params)).toBe(-32602);
    }
    expect((await rpc({ jsonrpc: '2.0', id: 9, method: 'GetTask', params: { id: 'x', historyLength: -1 } })).body.error?.code).toBe(-32602);
  });

  it('pageSize in the answer is the size of the page returned', async () => {
    await rpc(send('one'), { key: KEY_2 });
    await rpc(send('two'), { key: KEY_2 });
    const answer = await list({ pageSize: 50, statusTimestampAfter: '2000-01-01T00:00:00Z' });
    const tasks = answer.body.result?.['tasks'] as unknown[];
    expect(tasks.length).toBeGreaterThanOrEqual(2);
    expect(answer.body.result?.['pageSize']).toBe(tasks.length);
    const one = await list({ pageSize: 1 });
    expect(one.body.result?.['pageSize']).toBe(1);
    expect(one.body.result?.['nextPageToken']).not.toBe('');
  });
});

describe('blocking sends are time-limited (DESIGN §5.2)', () => {
  it('a blocking send answers with the working task after the limit; cancel then ends it', async () => {
    const started = Date.now();
    const answer = await rpc(send('slow'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const task = answer.body.result?.task as { id: string; status: { state: string } };
    expect(task.status.state).toBe('TASK_STATE_WORKING');
    const canceled = await rpc({ jsonrpc: '2.0', id: 4, method: 'CancelTask', params: { id: task.id } });
    expect(canceled.body.result?.['status']).toMatchObject({ state: 'TASK_STATE_CANCELED' });
  });
});

describe('streaming over SSE (a2a-notes §6)', () => {
  it('SendStreamingMessage answers text/event-stream with JSON-RPC events carrying the request id', async () => {
    const res = await fetch(`${base}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_1}`, 'a2a-version': '1.0' },
      body: JSON.stringify({ ...send('streamed'), id: 'sse-1', method: 'SendStreamingMessage' }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .filter((chunk) => chunk.startsWith('data: '))
      .map((chunk) => JSON.parse(chunk.slice(6)) as { id: string; result: Record<string, unknown> });
    expect(events.map((e) => e.id)).toEqual(events.map(() => 'sse-1'));
    expect(Object.keys(events[0]!.result)).toEqual(['task']);
    expect(events.at(-1)!.result['statusUpdate']).toMatchObject({ status: { state: 'TASK_STATE_COMPLETED' } });
  });
});

describe('REST through the SDK (a2a-notes §3.2, §8)', () => {
  const headers = (version?: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${KEY_1}`, ...(version !== undefined && { 'a2a-version': version }) });

  it('v1.0: POST /message:send', async () => {
    const res = await fetch(`${base}/message:send`, { method: 'POST', headers: headers('1.0'), body: JSON.stringify({ message: { messageId: 'rest-1', role: 'ROLE_USER', parts: [{ text: 'rest' }] } }) });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { task: { id: string; status: { state: string } } };
    expect(json.task.status.state).toBe('TASK_STATE_COMPLETED');
    const got = await fetch(`${base}/tasks/${json.task.id}`, { headers: headers('1.0') });
    expect(((await got.json()) as { id: string }).id).toBe(json.task.id);
  });

  it('v0.3: POST /v1/message:send without a version header', async () => {
    const res = await fetch(`${base}/v1/message:send`, { method: 'POST', headers: headers(), body: JSON.stringify({ message: { messageId: 'rest-2', role: 'ROLE_USER', content: [{ text: 'old rest' }] } }) });
    // The SDK's v0.3 REST layer answers 201 Created here.
    expect(res.ok).toBe(true);
    expect(JSON.stringify(await res.json())).toContain('echo: old rest');
  });

  it('a tenant other than the agent is refused', async () => {
    const res = await fetch(`${base}/someone-else/message:send`, { method: 'POST', headers: headers('1.0'), body: JSON.stringify({ message: { messageId: 'rest-3', role: 'ROLE_USER', parts: [{ text: 'x' }] } }) });
    expect(res.status).toBe(400);
  });

  it('unknown paths: 404', async () => {
    expect((await fetch(`${base}/nothing/here/at/all`, { headers: headers('1.0') })).status).toBe(404);
  });
});
