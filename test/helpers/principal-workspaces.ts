// What the integration tests of derived A2A principal identities share (DESIGN §4): a daemon in
// a temp workspace, optionally with the "answer" shell handler (the remote agent), an SDK client
// that authenticates with a bearer token, and reads of the remote agent's history.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SendMessageRequest, type Message, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, type BeforeArgs, type CallInterceptor, type Client } from '@a2a-js/sdk/client';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { until } from './until.js';

/** "silent" → no answer; else "remote: <text>" through the local API, to TOQ_FROM on the same thread. */
const HANDLER_JS =
  "const e=process.env,t=e.TOQ_TEXT;if(t!=='silent')fetch(e.TOQ_URL+'/v1/messages?wait=true',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({to:e.TOQ_FROM,thread_id:e.TOQ_THREAD_ID,body:{text:'remote: '+t}})}).then(r=>r.text()).then(console.log)";
const HANDLERS_TOML = `[[handlers]]\nname = "answer"\nfilter_type = ["message.send"]\ncommand = ${JSON.stringify(`node -e "${HANDLER_JS}"`)}\n`;

export interface Workspace {
  readonly daemon: Daemon;
  readonly url: string;
  readonly dir: string;
}

export interface WorkspaceOptions {
  /** Installs the "answer" handler. */
  readonly handlers?: boolean;
  readonly log?: pino.Logger;
  /** Restart in this workspace (its files are kept as they are). */
  readonly dir?: string;
  /** @default 0 */
  readonly port?: number;
  /** @default 1500 */
  readonly blockingTimeoutMs?: number;
  readonly principalIdentityCap?: number;
}

/** A daemon named `name` on 127.0.0.1 with `config` (after `host`), in a new temp workspace unless `dir` is given. */
export async function startWorkspace(name: string, config: string, extra: WorkspaceOptions = {}): Promise<Workspace> {
  const dir = extra.dir ?? mkdtempSync(join(tmpdir(), `toq-principal-${name}-`));
  if (extra.dir === undefined) {
    writeFileSync(join(dir, 'config.toml'), `host = "127.0.0.1"\n${config}`);
    if (extra.handlers === true) writeFileSync(join(dir, 'handlers.toml'), HANDLERS_TOML);
  }
  const daemon = await startDaemon({
    configDir: dir,
    log: extra.log ?? pino({ level: process.env['TEST_LOG'] ?? 'silent' }),
    port: extra.port ?? 0,
    bindAddress: '127.0.0.1',
    overrides: { agentName: name },
    a2aBlockingTimeoutMs: extra.blockingTimeoutMs ?? 1_500,
    outboxBackoffMs: [50, 100, 200],
    ...(extra.principalIdentityCap !== undefined && { principalIdentityCap: extra.principalIdentityCap }),
  });
  return { daemon, url: `http://127.0.0.1:${daemon.port}`, dir };
}

export const request = (text: string, extra: { returnImmediately?: boolean } = {}): SendMessageRequest =>
  SendMessageRequest.fromJSON({
    message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }] },
    ...(extra.returnImmediately && { configuration: { returnImmediately: true } }),
  });

export function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

export const artifactText = (task: Task): string => task.artifacts.flatMap((a) => a.parts).map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');

/** An SDK client whose calls carry `Authorization: Bearer <token>` (none when token is undefined). */
export async function clientFor(url: string, token: string | undefined): Promise<Client> {
  const auth: CallInterceptor = {
    before(args: BeforeArgs) {
      if (token !== undefined) args.options = { ...args.options, serviceParameters: { ...args.options?.serviceParameters, authorization: `Bearer ${token}` } };
      return Promise.resolve();
    },
    after: () => Promise.resolve(),
  };
  return new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { clientConfig: { interceptors: [auth] } })).createFromUrl(url);
}

export interface HistoryEntry {
  readonly id: string;
  readonly from: string;
  readonly thread_id?: string;
  readonly body?: { text?: string; a2a?: { taskId?: string } };
}

export async function history(url: string, query = ''): Promise<HistoryEntry[]> {
  return ((await (await fetch(`${url}/v1/messages/history?limit=1000${query}`)).json()) as { messages: HistoryEntry[] }).messages;
}

/** The remote agent's history entry of the message that carried A2A task `taskId`. */
export const remoteEntry = (url: string, taskId: string): Promise<HistoryEntry> => until(async () => (await history(url)).find((m) => m.body?.a2a?.taskId === taskId));
