// What the integration tests of derived A2A principal identities share (DESIGN §4): a daemon in
// a temp workspace, optionally with the "answer" shell handler (the remote agent), an SDK client
// that authenticates with a bearer token, and reads of the remote agent's history. The workspace
// start-up, requests and history reads themselves live in daemons.ts and a2a-sdk-client.ts.

import type pino from 'pino';
import { ClientFactory, ClientFactoryOptions, type BeforeArgs, type CallInterceptor, type Client } from '@a2a-js/sdk/client';
import { historyEntryFor, startWorkspace as startDaemonWorkspace, type HistoryEntry, type Workspace } from './daemons.js';
import { until } from './until.js';

export { artifactText, asTask, request } from './a2a-sdk-client.js';
export { history, type HistoryEntry, type Workspace } from './daemons.js';

/** "silent" → no answer; else "remote: <text>" through the local API, to TOQ_FROM on the same thread. */
const HANDLER_JS =
  "const e=process.env,t=e.TOQ_TEXT;if(t!=='silent')fetch(e.TOQ_URL+'/v1/messages?wait=true',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({to:e.TOQ_FROM,thread_id:e.TOQ_THREAD_ID,body:{text:'remote: '+t}})}).then(r=>r.text()).then(console.log)";
const HANDLERS_TOML = `[[handlers]]\nname = "answer"\nfilter_type = ["message.send"]\ncommand = ${JSON.stringify(`node -e "${HANDLER_JS}"`)}\n`;

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

/** A daemon named `name` on 127.0.0.1 with `config` (after `host`), in a new temp workspace unless `dir` is given; outbox retries after 50, 100, 200 ms. */
export async function startWorkspace(name: string, config: string, extra: WorkspaceOptions = {}): Promise<Workspace> {
  const { handlers, ...options } = extra;
  return startDaemonWorkspace(name, config, { ...options, ...(handlers === true && { handlersToml: HANDLERS_TOML }), outboxBackoffMs: [50, 100, 200] });
}

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

/** The remote agent's history entry of the message that carried A2A task `taskId`. */
export const remoteEntry = (url: string, taskId: string): Promise<HistoryEntry> => until(() => historyEntryFor(url, taskId));
