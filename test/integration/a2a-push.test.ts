// Push notifications (issue #4, a2a-notes §11, DESIGN §8): the @a2a-js/sdk client registers
// webhooks on tasks of a real daemon (a2a_enabled, a shell handler answering through the reply
// channel) over JSON-RPC and REST, v1.0 and v0.3; a small real HTTP server on 127.0.0.1 is the
// webhook. Then the sender alone against that server (retries, timeouts, the SSRF guard), and
// caller scoping through the request handler over the real SQL stores.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SendMessageRequest, StreamResponse, TaskPushNotificationConfig, TaskState, type AgentCard, type Message, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, RestTransportFactory, type Client } from '@a2a-js/sdk/client';
import { AgentEvent, type AgentExecutor, type ServerCallContext } from '@a2a-js/sdk/server';
import { TaskNotFoundError } from '@a2a-js/sdk/errors';
import { buildAgentCard } from '../../src/a2a/agent-card.js';
import { AgentCallContext, PrincipalUser } from '../../src/a2a/call-context.js';
import { GuardedPushNotificationSender, PUSH_TOKEN_HEADER, withPushNotifications } from '../../src/a2a/push-notifications.js';
import { createA2aRequestHandler } from '../../src/a2a/request-handler.js';
import { openA2aTaskDatabase, type A2aTaskDatabase } from '../../src/a2a/sql-task-store.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { closeServer, listenOnLoopback } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

/** Replies "echo: <text>"; "silent" → no reply (the test answers through the reply channel). */
const HANDLER_JS =
  "const e=process.env,t=e.TOQ_TEXT;if(t!=='silent'){" +
  "fetch(e.TOQ_URL+'/v1/messages?wait=true',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({to:e.TOQ_FROM,thread_id:e.TOQ_THREAD_ID,body:{text:'echo: '+t}})}).then(r=>r.text()).then(console.log)}";
const HANDLERS_TOML = `[[handlers]]\nname = "echo"\ncommand = ${JSON.stringify(`node -e "${HANDLER_JS}"`)}\n`;

interface RunningDaemon {
  readonly daemon: Daemon;
  readonly url: string;
  readonly dir: string;
}

/** Log lines of the daemon, parsed (pino writes one JSON object per line). */
type LogLines = Array<Record<string, unknown>>;

async function startIn(dir: string, name: string, logs?: LogLines): Promise<RunningDaemon> {
  const log =
    logs === undefined
      ? pino({ level: process.env['TEST_LOG'] ?? 'silent' })
      : pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const daemon = await startDaemon({ configDir: dir, log, port: 0, bindAddress: '127.0.0.1', overrides: { agentName: name }, a2aBlockingTimeoutMs: 5_000 });
  return { daemon, url: `http://127.0.0.1:${daemon.port}`, dir };
}

async function startWorkspace(name: string, config: string, logs?: LogLines): Promise<RunningDaemon> {
  const dir = mkdtempSync(join(tmpdir(), `toq-a2a-push-${name}-`));
  writeFileSync(join(dir, 'config.toml'), `host = "127.0.0.1"\na2a_enabled = true\n${config}`);
  writeFileSync(join(dir, 'handlers.toml'), HANDLERS_TOML);
  return startIn(dir, name, logs);
}

interface Delivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** The webhook: records every POST; answers with the next status queued for its path, else 200. */
class Webhook {
  readonly deliveries: Delivery[] = [];
  readonly #statuses = new Map<string, number[]>();
  readonly #hang = new Set<string>();
  readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.deliveries.push({ path, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        if (this.#hang.has(path)) return; // never answers: the sender's timeout must fire
        res.writeHead(this.#statuses.get(path)?.shift() ?? 200).end();
      });
    });
  }

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.server);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  answer(path: string, ...statuses: number[]): void {
    this.#statuses.set(path, statuses);
  }

  hang(path: string): void {
    this.#hang.add(path);
  }

  at(path: string): Delivery[] {
    return this.deliveries.filter((d) => d.path === path);
  }
}

const request = (text: string, extra: { returnImmediately?: boolean; push?: Record<string, unknown> } = {}): SendMessageRequest =>
  SendMessageRequest.fromJSON({
    message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }] },
    configuration: { ...(extra.returnImmediately === true && { returnImmediately: true }), ...(extra.push !== undefined && { taskPushNotificationConfig: extra.push }) },
  });

const pushConfig = (taskId: string, url: string, extra: { token?: string; scheme?: string; credentials?: string } = {}): TaskPushNotificationConfig =>
  TaskPushNotificationConfig.fromJSON({ taskId, url, ...(extra.token !== undefined && { token: extra.token }), ...(extra.scheme !== undefined && { authentication: { scheme: extra.scheme, credentials: extra.credentials } }) });

function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

/** The thread a task's message travelled on, from the local API's history. */
async function threadOf(url: string, taskId: string): Promise<string> {
  const history = (await (await fetch(`${url}/v1/messages/history?limit=1000`)).json()) as { messages: Array<{ thread_id: string; body: { a2a?: { taskId: string } } }> };
  const entry = history.messages.find((m) => m.body?.a2a?.taskId === taskId);
  if (entry === undefined) throw new Error(`no history entry for task ${taskId}`);
  return entry.thread_id;
}

/** What a handler does to answer: POST /v1/messages on the task's A2A thread. */
async function reply(url: string, taskId: string, text: string): Promise<void> {
  const threadId = await until(() => threadOf(url, taskId).catch(() => undefined));
  const res = await fetch(`${url}/v1/messages?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'a2a-client', thread_id: threadId, body: { text } }) });
  expect(res.status).toBe(200);
}

/** A v1.0 delivery whose status update says the task completed. */
const completedV1 = (taskId: string) => (d: Delivery) => {
  const update = d.body['statusUpdate'] as { taskId?: string; status?: { state?: string } } | undefined;
  return update?.taskId === taskId && update.status?.state === 'TASK_STATE_COMPLETED';
};

function clientFactory(preferred: 'JSONRPC' | 'HTTP+JSON', legacy = false): ClientFactory {
  return new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      ...(legacy && { transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } }), new RestTransportFactory({ legacyCompat: { enabled: true } })] }),
      preferredTransports: [preferred],
    }),
  );
}

const onlyVersion = (card: AgentCard, version: string): AgentCard => ({ ...card, supportedInterfaces: card.supportedInterfaces.filter((i) => i.protocolVersion === version) });

describe('push notifications on a daemon with a2a_webhook_allow_private = true', () => {
  let alice: RunningDaemon;
  let webhook: Webhook;
  let card: AgentCard;
  const clients = new Map<string, Client>();

  beforeAll(async () => {
    webhook = new Webhook();
    await webhook.start();
    alice = await startWorkspace('alice', 'a2a_webhook_allow_private = true\n');
    const rpc = await new ClientFactory().createFromUrl(alice.url);
    card = await rpc.getAgentCard();
    clients.set('v1.0 JSON-RPC', rpc);
    clients.set('v1.0 REST', await clientFactory('HTTP+JSON').createFromAgentCard(onlyVersion(card, '1.0')));
    clients.set('v0.3 JSON-RPC', await clientFactory('JSONRPC', true).createFromAgentCard(onlyVersion(card, '0.3')));
    clients.set('v0.3 REST', await clientFactory('HTTP+JSON', true).createFromAgentCard(onlyVersion(card, '0.3')));
  });
  afterAll(async () => {
    await alice.daemon.stop();
    await closeServer(webhook.server);
    rmSync(alice.dir, { recursive: true, force: true });
  });

  it('the card declares the capability, on v1.0 and v0.3 cards', async () => {
    expect(card.capabilities?.pushNotifications).toBe(true);
    const legacy = (await (await fetch(`${alice.url}/.well-known/agent-card.json`)).json()) as { capabilities?: { pushNotifications?: boolean } };
    expect(legacy.capabilities?.pushNotifications).toBe(true);
  });

  it('a config set on a running task (v1.0 JSON-RPC) gets the completed task with the token', async () => {
    const client = clients.get('v1.0 JSON-RPC')!;
    const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
    const created = await client.createTaskPushNotificationConfig(pushConfig(task.id, webhook.url('/set-later'), { token: 'tok-later' }));
    expect(created.id).not.toBe('');
    await reply(alice.url, task.id, 'done');
    const delivery = await until(() => webhook.at('/set-later').find(completedV1(task.id)));
    expect(delivery.headers['content-type']).toBe('application/a2a+json');
    expect(delivery.headers[PUSH_TOKEN_HEADER.toLowerCase()]).toBe('tok-later');
    expect(delivery.headers['authorization']).toBeUndefined();
    // The reply itself arrived too, as the artifact update before the completion.
    const artifact = webhook.at('/set-later').find((d) => d.body['artifactUpdate'] !== undefined);
    expect(JSON.stringify(artifact?.body)).toContain('done');
    expect(await client.getTask({ tenant: '', id: task.id, historyLength: undefined })).toMatchObject({ status: { state: TaskState.TASK_STATE_COMPLETED } });
  });

  it('a config sent inline with SendMessage (v1.0 REST) with authentication: Authorization: <scheme> <credentials>', async () => {
    const client = clients.get('v1.0 REST')!;
    const task = asTask(await client.sendMessage(request('hello', { push: { url: webhook.url('/inline'), token: 'tok-inline', authentication: { scheme: 'Bearer', credentials: 'cred-inline' } } })));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const delivery = await until(() => webhook.at('/inline').find(completedV1(task.id)));
    expect(delivery.headers['authorization']).toBe('Bearer cred-inline');
    // The SDK's rule: authentication wins; the token header is then not sent.
    expect(delivery.headers[PUSH_TOKEN_HEADER.toLowerCase()]).toBeUndefined();
    const { configs } = await client.listTaskPushNotificationConfig({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' });
    expect(configs.map((c) => [c.url, c.token, c.authentication?.credentials])).toEqual([[webhook.url('/inline'), 'tok-inline', 'cred-inline']]);
  });

  for (const name of ['v1.0 JSON-RPC', 'v1.0 REST', 'v0.3 JSON-RPC', 'v0.3 REST']) {
    it(`Set / Get / List / Delete over ${name}`, async () => {
      const client = clients.get(name)!;
      const slug = name.replace(/[^a-z0-9.]+/gi, '-');
      const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
      const first = await client.createTaskPushNotificationConfig(pushConfig(task.id, webhook.url(`/crud/${slug}/1`), { token: 't1' }));
      const second = await client.createTaskPushNotificationConfig(pushConfig(task.id, webhook.url(`/crud/${slug}/2`), { token: 't2' }));
      expect(first.id).not.toBe(second.id);
      const got = await client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: second.id });
      expect([got.id, got.url, got.token]).toEqual([second.id, webhook.url(`/crud/${slug}/2`), 't2']);
      const listed = await client.listTaskPushNotificationConfig({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' });
      expect(listed.configs.map((c) => c.id).sort()).toEqual([first.id, second.id].sort());
      await client.deleteTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: first.id });
      await client.deleteTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: first.id }); // idempotent
      const after = await client.listTaskPushNotificationConfig({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' });
      expect(after.configs.map((c) => c.id)).toEqual([second.id]);
      await expect(client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: first.id })).rejects.toThrow();
      await expect(client.listTaskPushNotificationConfig({ tenant: '', taskId: 'no-such-task', pageSize: 0, pageToken: '' })).rejects.toThrow();
      // Only the remaining webhook hears the completion. (The deleted one may have heard the
      // task turn working: the SDK notifies as it processes events, which can be after the
      // client registered.)
      await reply(alice.url, task.id, `bye ${name}`);
      await until(() => webhook.at(`/crud/${slug}/2`).find((d) => JSON.stringify(d.body).includes(`bye ${name}`) && JSON.stringify(d.body).toLowerCase().includes('completed')));
      expect(webhook.at(`/crud/${slug}/1`).map((d) => JSON.stringify(d.body)).filter((body) => body.includes('bye') || body.toLowerCase().includes('completed'))).toEqual([]);
    });
  }

  it('a webhook registered over v0.3 gets v0.3 bodies: the task, kind "task", state "completed"', async () => {
    const client = clients.get('v0.3 JSON-RPC')!;
    const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
    await client.createTaskPushNotificationConfig(pushConfig(task.id, webhook.url('/legacy'), { token: 'tok-legacy' }));
    await reply(alice.url, task.id, 'legacy done');
    const delivery = await until(() => webhook.at('/legacy').find((d) => d.body['kind'] === 'task' && (d.body['status'] as { state?: string }).state === 'completed'));
    expect(delivery.body['id']).toBe(task.id);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers[PUSH_TOKEN_HEADER.toLowerCase()]).toBe('tok-legacy');
  });

  it('configs survive a daemon restart', async () => {
    const client = clients.get('v1.0 JSON-RPC')!;
    const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
    const created = await client.createTaskPushNotificationConfig(pushConfig(task.id, webhook.url('/restart'), { token: 'tok-restart', scheme: 'Bearer', credentials: 'c' }));
    await alice.daemon.stop();
    alice = await startIn(alice.dir, 'alice');
    const again = await new ClientFactory().createFromUrl(alice.url);
    const got = await again.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: created.id });
    expect([got.url, got.token, got.authentication?.scheme, got.authentication?.credentials]).toEqual([webhook.url('/restart'), 'tok-restart', 'Bearer', 'c']);
    const listed = await again.listTaskPushNotificationConfig({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' });
    expect(listed.configs.map((c) => c.id)).toEqual([created.id]);
    // The clients above point at the old port.
    clients.set('v1.0 JSON-RPC', again);
    // A reply after the restart completes the task with nobody listening: the webhook still hears it.
    // (The task turning working may have been heard: the SDK notifies as it processes events.)
    expect(webhook.at('/restart').filter(completedV1(task.id))).toEqual([]);
    await reply(alice.url, task.id, 'after restart');
    const delivery = await until(() => webhook.at('/restart').find(completedV1(task.id)));
    expect(delivery.headers['authorization']).toBe('Bearer c');
    expect(JSON.stringify(webhook.at('/restart').map((d) => d.body))).toContain('after restart');
  });
});

describe('push notifications on a daemon with a2a_webhook_allow_private = false', () => {
  let bob: RunningDaemon;
  let webhook: Webhook;
  const logs: LogLines = [];

  beforeAll(async () => {
    webhook = new Webhook();
    await webhook.start();
    bob = await startWorkspace('bob', 'a2a_webhook_allow_private = false\n', logs);
  });
  afterAll(async () => {
    await bob.daemon.stop();
    await closeServer(webhook.server);
    rmSync(bob.dir, { recursive: true, force: true });
  });

  it('a loopback webhook is accepted at registration, refused at delivery, and receives nothing', async () => {
    const client = await new ClientFactory().createFromUrl(bob.url);
    const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
    const created = await client.createTaskPushNotificationConfig(pushConfig(task.id, webhook.url('/private'), { token: 'tok' }));
    expect((await client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: created.id })).url).toBe(webhook.url('/private'));
    await reply(bob.url, task.id, 'done');
    const pushLines = () => logs.filter((l) => l['component'] === 'a2a-push' && l['taskId'] === task.id);
    await until(async () => ((await client.getTask({ tenant: '', id: task.id, historyLength: undefined })).status?.state === TaskState.TASK_STATE_COMPLETED ? true : undefined));
    await until(() => pushLines().find((l) => l['msg'] === 'push notification refused' && l['event'] === 'statusUpdate'));
    expect(pushLines().every((l) => l['msg'] === 'push notification refused')).toBe(true);
    expect(String(pushLines()[0]?.['reason'])).toContain('a2a_webhook_allow_private = true allows it');
    expect(webhook.deliveries).toEqual([]);
  });
});

describe('GuardedPushNotificationSender against a real webhook', () => {
  let dir: string;
  let database: A2aTaskDatabase;
  let webhook: Webhook;
  let sender: GuardedPushNotificationSender | undefined;
  const context = new AgentCallContext('agent', { user: new PrincipalUser('alice'), requestedVersion: '1.0' });
  const event = (taskId: string): StreamResponse => ({
    payload: { $case: 'statusUpdate', value: { taskId, contextId: 'ctx', status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: undefined }, metadata: undefined } },
  });
  const senderWith = (options: { allowPrivate?: boolean; timeoutMs?: number; maxAttempts?: number }): GuardedPushNotificationSender => {
    sender = new GuardedPushNotificationSender(database.pushStore, { policy: { allowPrivate: options.allowPrivate ?? true }, retryDelayMs: 5, ...options }, { log: pino({ level: 'silent' }) });
    return sender;
  };
  const register = async (taskId: string, url: string): Promise<void> => {
    await database.pushStore.save(taskId, context, pushConfig(taskId, url, { token: 'tok' }));
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toq-a2a-push-sender-'));
    database = await openA2aTaskDatabase(join(dir, 'gateway.db'));
    webhook = new Webhook();
    await webhook.start();
  });
  afterEach(async () => {
    await sender?.close();
    sender = undefined;
    await closeServer(webhook.server);
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries on 5xx with backoff and stops at the first 2xx', async () => {
    webhook.answer('/flaky', 503, 502);
    await register('t-flaky', webhook.url('/flaky'));
    await senderWith({ maxAttempts: 5 }).send(event('t-flaky'), context);
    expect(webhook.at('/flaky')).toHaveLength(3);
    expect(new Set(webhook.at('/flaky').map((d) => JSON.stringify(d.body))).size).toBe(1);
  });

  it('gives up after maxAttempts on repeated 5xx', async () => {
    webhook.answer('/down', 500, 500, 500, 500, 500);
    await register('t-down', webhook.url('/down'));
    await senderWith({ maxAttempts: 3 }).send(event('t-down'), context);
    expect(webhook.at('/down')).toHaveLength(3);
  });

  it('does not retry a 4xx', async () => {
    webhook.answer('/no', 401);
    await register('t-no', webhook.url('/no'));
    await senderWith({ maxAttempts: 3 }).send(event('t-no'), context);
    expect(webhook.at('/no')).toHaveLength(1);
  });

  it('times out a webhook that never answers, and retries it', async () => {
    webhook.hang('/slow');
    await register('t-slow', webhook.url('/slow'));
    await senderWith({ timeoutMs: 50, maxAttempts: 2 }).send(event('t-slow'), context);
    expect(webhook.at('/slow')).toHaveLength(2);
  });

  it('refuses loopback without allowPrivate and link-local (metadata) always, without connecting', async () => {
    await register('t-private', webhook.url('/private'));
    await register('t-metadata', 'http://169.254.169.254/latest/meta-data/');
    await senderWith({ allowPrivate: false }).send(event('t-private'), context);
    expect(webhook.deliveries).toEqual([]);
    await sender!.close();
    // Even with private targets allowed, the metadata address is refused before any connection
    // (a connection attempt to 169.254.169.254 would be retried and take the full timeout).
    const started = Date.now();
    await senderWith({ allowPrivate: true, timeoutMs: 5_000, maxAttempts: 3 }).send(event('t-metadata'), context);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('sends nothing for a task without configs, or for another caller\'s context', async () => {
    await register('t-mine', webhook.url('/mine'));
    const bob = new AgentCallContext('agent', { user: new PrincipalUser('bob'), requestedVersion: '1.0' });
    await senderWith({}).send(event('t-mine'), bob);
    await sender!.send(event('t-other'), context);
    expect(webhook.deliveries).toEqual([]);
    await sender!.send(event('t-mine'), context);
    expect(webhook.at('/mine')).toHaveLength(1);
  });
});

describe('push configs are scoped per caller and per agent (request handler over the SQL stores)', () => {
  let dir: string;
  let database: A2aTaskDatabase;
  let sender: GuardedPushNotificationSender;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toq-a2a-push-scope-'));
    database = await openA2aTaskDatabase(join(dir, 'gateway.db'));
    sender = new GuardedPushNotificationSender(database.pushStore, { policy: { allowPrivate: false } }, { log: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await sender.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("another caller cannot read, list, add to or delete someone else's configs", async () => {
    // An agent that accepts the task and leaves it working.
    const executor: AgentExecutor = {
      execute: (ctx, bus) => {
        bus.publish(AgentEvent.task({ id: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [ctx.userMessage], metadata: undefined }));
        return Promise.resolve();
      },
      cancelTask: () => Promise.resolve(),
    };
    const card = withPushNotifications(buildAgentCard({ name: 'a', description: 'a', version: '0', jsonRpcUrl: 'http://127.0.0.1/a2a', restUrl: 'http://127.0.0.1', skills: [], requiresBearer: true }));
    const handler = createA2aRequestHandler({ card, taskStore: database.taskStore, executor, push: { store: database.pushStore, sender } });
    const as = (tenant: string, principal: string): ServerCallContext => new AgentCallContext(tenant, { user: new PrincipalUser(principal), requestedVersion: '1.0' });

    const task = asTask(await handler.sendMessage(request('x', { returnImmediately: true }), as('agent', 'alice')));
    const created = await handler.createTaskPushNotificationConfig(pushConfig(task.id, 'https://hooks.example/alice', { token: 'secret' }), as('agent', 'alice'));
    for (const other of [as('agent', 'bob'), as('other-agent', 'alice')]) {
      await expect(handler.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: created.id }, other)).rejects.toBeInstanceOf(TaskNotFoundError);
      await expect(handler.listTaskPushNotificationConfigs({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' }, other)).rejects.toBeInstanceOf(TaskNotFoundError);
      await expect(handler.createTaskPushNotificationConfig(pushConfig(task.id, 'https://hooks.example/bob'), other)).rejects.toBeInstanceOf(TaskNotFoundError);
      await expect(handler.deleteTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: created.id }, other)).rejects.toBeInstanceOf(TaskNotFoundError);
      expect(await database.pushStore.load(task.id, other)).toEqual([]);
    }
    const mine = await handler.listTaskPushNotificationConfigs({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' }, as('agent', 'alice'));
    expect(mine.configs.map((c) => [c.id, c.url, c.token])).toEqual([[created.id, 'https://hooks.example/alice', 'secret']]);
  });
});
