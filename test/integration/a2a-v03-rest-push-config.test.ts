// Registering a push-notification config over v0.3 REST (POST /v1/tasks/{id}/pushNotificationConfigs)
// on our A2A binding: real node:http on loopback, the handler the daemon mounts, the SDK's
// in-memory stores. Found by the A2A TCK v0.3 (tests/optional/capabilities/
// test_push_notification_config_methods.py over --transports rest): the spec's payload is
// `{config: TaskPushNotificationConfig}` (spec v0.3.0 §7.5), which a2a-python's v0.3 RestTransport
// sends as the whole CreateTaskPushNotificationConfigRequest {parent, configId, config}; the SDK
// reads the body as the bare TaskPushNotificationConfig and refused it with -32602.

import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState } from '@a2a-js/sdk';
import { AgentEvent, InMemoryPushNotificationStore, InMemoryTaskStore, type AgentExecutor } from '@a2a-js/sdk/server';
import { createA2aAuth } from '../../src/a2a/a2a-auth.js';
import { createA2aHttpHandler } from '../../src/a2a/a2a-http-handler.js';
import { listenA2aHttpServer, type A2aHttpServer } from '../helpers/a2a-http-server.js';
import { buildAgentCard } from '../../src/a2a/agent-card.js';
import { GuardedPushNotificationSender, withPushNotifications } from '../../src/a2a/push-notifications.js';
import { createA2aRequestHandler } from '../../src/a2a/request-handler.js';

/** Every task stops at input-required, so configs can be added to it. */
function pausingExecutor(): AgentExecutor {
  return {
    execute(ctx, bus) {
      bus.publish(AgentEvent.task(ctx.task ?? { id: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [ctx.userMessage], metadata: undefined }));
      bus.publish(AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_INPUT_REQUIRED, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined }));
      bus.finished();
      return Promise.resolve();
    },
    cancelTask: () => Promise.resolve(),
  };
}

let server: A2aHttpServer;
let base: string;
let pushSender: GuardedPushNotificationSender;

beforeAll(async () => {
  server = await listenA2aHttpServer();
  base = server.base;
  const log = pino({ level: 'silent' });
  const card = withPushNotifications(buildAgentCard({ name: 'tck', description: 'test', version: '0.0.1', jsonRpcUrl: `${base}/a2a`, restUrl: base, skills: [], requiresBearer: false }));
  const pushStore = new InMemoryPushNotificationStore();
  pushSender = new GuardedPushNotificationSender(pushStore, { policy: { allowPrivate: true } }, { log });
  const requestHandler = createA2aRequestHandler({ card, taskStore: new InMemoryTaskStore(), executor: pausingExecutor(), push: { store: pushStore, sender: pushSender } });
  const auth = createA2aAuth({ apiKeys: [] }, { log });
  server.serve(createA2aHttpHandler({ requestHandler, card: () => Promise.resolve(card), authenticate: auth.authenticate, tenant: 'tck' }, { log }));
});

afterAll(async () => {
  await server.close();
  await pushSender.close();
});

type Json = Record<string, unknown>;

async function newTask(): Promise<string> {
  const res = await fetch(`${base}/v1/message:send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', content: [{ text: 'hi' }] } }) });
  expect(res.ok).toBe(true);
  const body = (await res.json()) as { task?: { id?: string } };
  expect(body.task?.id).toBeTruthy();
  return body.task!.id!;
}

function postConfig(taskId: string, body: unknown, raw?: string): Promise<Response> {
  return fetch(`${base}/v1/tasks/${taskId}/pushNotificationConfigs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
}

async function getConfig(taskId: string, configId: string): Promise<Json> {
  const res = await fetch(`${base}/v1/tasks/${taskId}/pushNotificationConfigs/${configId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

describe('v0.3 REST push-config create (TCK v0.3 test_set/get/list/delete_push_notification_config over REST)', () => {
  it('takes the spec payload as a2a-python sends it: {parent, configId, config: {name, pushNotificationConfig}}', async () => {
    const taskId = await newTask();
    const res = await postConfig(taskId, { parent: `tasks/${taskId}`, configId: 'cb-1', config: { name: `tasks/${taskId}/pushNotificationConfigs/cb-1`, pushNotificationConfig: { id: 'cb-1', url: 'https://example.com/hook', token: 'tok' } } });
    const created = (await res.json()) as Json;
    expect(res.status).toBe(201);
    expect(created).toMatchObject({ name: `tasks/${taskId}/pushNotificationConfigs/cb-1`, pushNotificationConfig: { id: 'cb-1', url: 'https://example.com/hook', token: 'tok' } });
    expect(await getConfig(taskId, 'cb-1')).toMatchObject({ pushNotificationConfig: { url: 'https://example.com/hook' } });
  });

  it('takes the TCK shape too: proto field names and the id only in config_id', async () => {
    const taskId = await newTask();
    const res = await postConfig(taskId, { parent: `tasks/${taskId}`, config_id: 'default', config: { push_notification_config: { url: 'https://example.com/tck' } } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: `tasks/${taskId}/pushNotificationConfigs/default`, pushNotificationConfig: { id: 'default', url: 'https://example.com/tck' } });
    expect(await getConfig(taskId, 'default')).toMatchObject({ pushNotificationConfig: { url: 'https://example.com/tck' } });
  });

  it('still takes the bare TaskPushNotificationConfig the SDK reads (a2a-js clients)', async () => {
    const taskId = await newTask();
    const res = await postConfig(taskId, { name: `tasks/${taskId}/pushNotificationConfigs/bare`, pushNotificationConfig: { id: 'bare', url: 'https://example.com/bare' } });
    expect(res.status).toBe(201);
    expect(await getConfig(taskId, 'bare')).toMatchObject({ pushNotificationConfig: { url: 'https://example.com/bare' } });
  });

  it('answers malformed JSON with the SDK v0.3 parse error, and a wrapper without a config as before (-32602)', async () => {
    const taskId = await newTask();
    const bad = await postConfig(taskId, undefined, '{"config": ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: -32700 });
    const empty = await postConfig(taskId, { parent: `tasks/${taskId}`, configId: 'x' });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ code: -32602 });
  });
});
