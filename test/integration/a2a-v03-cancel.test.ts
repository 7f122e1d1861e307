// Canceling a task twice, per protocol version, on our A2A binding (real node:http on loopback,
// the handler the daemon mounts, the SDK's in-memory task store). Found by the A2A TCK v0.3
// (tests/optional/quality/test_task_state_quality.py::test_task_cancel_state_handling): v0.3
// makes a canceled task not cancelable (spec v0.3.0 §8.2, TaskNotCancelableError "already
// reached a terminal state like completed, failed, or canceled"), v1.0 makes cancel idempotent
// (spec v1.0 §3.3.1); the SDK answers both with the canceled task.

import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState } from '@a2a-js/sdk';
import { AgentEvent, InMemoryTaskStore, type AgentExecutor } from '@a2a-js/sdk/server';
import { createA2aAuth } from '../../src/a2a/a2a-auth.js';
import { createA2aHttpHandler } from '../../src/a2a/a2a-http-handler.js';
import { listenA2aHttpServer, type A2aHttpServer } from '../helpers/a2a-http-server.js';
import { buildAgentCard } from '../../src/a2a/agent-card.js';
import { createA2aRequestHandler } from '../../src/a2a/request-handler.js';

/** Every task stops at input-required (cancelable); a cancel publishes CANCELED. */
function pausingExecutor(): AgentExecutor {
  const contexts = new Map<string, string>();
  return {
    execute(ctx, bus) {
      contexts.set(ctx.taskId, ctx.contextId);
      bus.publish(AgentEvent.task(ctx.task ?? { id: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [ctx.userMessage], metadata: undefined }));
      bus.publish(AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_INPUT_REQUIRED, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined }));
      bus.finished();
      return Promise.resolve();
    },
    cancelTask(taskId, bus) {
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId: contexts.get(taskId) ?? '', status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined }));
      return Promise.resolve();
    },
  };
}

let server: A2aHttpServer;
let base: string;

beforeAll(async () => {
  server = await listenA2aHttpServer();
  base = server.base;
  const log = pino({ level: 'silent' });
  const card = buildAgentCard({ name: 'tck', description: 'test', version: '0.0.1', jsonRpcUrl: `${base}/a2a`, restUrl: base, skills: [], requiresBearer: false });
  const requestHandler = createA2aRequestHandler({ card, taskStore: new InMemoryTaskStore(), executor: pausingExecutor() });
  const auth = createA2aAuth({ apiKeys: [] }, { log });
  server.serve(createA2aHttpHandler({ requestHandler, card: () => Promise.resolve(card), authenticate: auth.authenticate, tenant: 'tck' }, { log }));
});

afterAll(async () => {
  await server.close();
});

type Json = Record<string, unknown>;

/** JSON-RPC without an A2A-Version header: the v0.3 wire. */
async function rpc03(method: string, params: Json): Promise<Json> {
  const res = await fetch(`${base}/a2a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as Json;
}

async function rpc10(method: string, params: Json): Promise<Json> {
  const res = await fetch(`${base}/a2a`, { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as Json;
}

async function newPausedTask03(): Promise<string> {
  const sent = await rpc03('message/send', { message: { kind: 'message', messageId: `m-${Math.random()}`, role: 'user', parts: [{ kind: 'text', text: 'hi' }] } });
  const task = sent['result'] as Json;
  expect(task['status']).toMatchObject({ state: 'input-required' });
  return task['id'] as string;
}

describe('canceling a canceled task (TCK v0.3 test_task_cancel_state_handling)', () => {
  it('v0.3 JSON-RPC: the first cancel answers the canceled task, the second TaskNotCancelableError (-32002)', async () => {
    const id = await newPausedTask03();
    const first = await rpc03('tasks/cancel', { id });
    expect(first['result']).toMatchObject({ id, status: { state: 'canceled' } });
    const second = await rpc03('tasks/cancel', { id });
    expect(second['result']).toBeUndefined();
    expect(second['error']).toMatchObject({ code: -32002 });
  });

  it('v0.3 REST: the second POST /v1/tasks/{id}:cancel is refused as not cancelable', async () => {
    const id = await newPausedTask03();
    const cancel = () => fetch(`${base}/v1/tasks/${id}:cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const first = await cancel();
    expect(first.status).toBe(200);
    // v0.3 HTTP+JSON spells states as its proto enum (a2a.proto v0.3: TASK_STATE_CANCELLED).
    expect(await first.json()).toMatchObject({ id, status: { state: 'TASK_STATE_CANCELLED' } });
    const second = await cancel();
    const body = (await second.json()) as Json;
    expect(second.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(body)).toContain('-32002');
  });

  it('v1.0 JSON-RPC: cancel stays idempotent, the second answers the canceled task too', async () => {
    const sent = await rpc10('SendMessage', { message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text: 'hi' }] } });
    const id = ((sent['result'] as Json)['task'] as Json)['id'] as string;
    for (let i = 0; i < 2; i++) {
      const answer = await rpc10('CancelTask', { id });
      expect(answer['error']).toBeUndefined();
      expect(answer['result']).toMatchObject({ id, status: { state: 'TASK_STATE_CANCELED' } });
    }
  });

  it('v0.3: a task that is not canceled yet is still cancelable, and an unknown task is TaskNotFoundError', async () => {
    const id = await newPausedTask03();
    expect((await rpc03('tasks/cancel', { id }))['result']).toMatchObject({ status: { state: 'canceled' } });
    expect((await rpc03('tasks/cancel', { id: 'no-such-task' }))['error']).toMatchObject({ code: -32001 });
  });
});
