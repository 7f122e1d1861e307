// Starts the A2A gateway of the local agent (DESIGN §3 "local", §5.2): the SDK's SQL task store
// in the workspace's SQLite file, the thread map, the bridge (executor + reply channel), the
// request handler (behind the accept_files / max_file_size check) and the HTTP handler for the
// shared port. The daemon calls this when
// `a2a_enabled` is true (the reference's meaning: routes exist only then) and mounts
// `httpHandler` behind the local API; `deliverReply` is the local API's reply-channel hook.

import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { TaskState } from '@a2a-js/sdk';
import { createA2aHttpHandler, JSON_RPC_PATH, type HttpHandler } from '../a2a/a2a-http-handler.js';
import { buildAgentCard } from '../a2a/agent-card.js';
import { createA2aAuth } from '../a2a/a2a-auth.js';
import { buildJwks, createCardSigner, JWKS_PATH, type CardSigningKey } from '../a2a/card-signature.js';
import type { JwtAuthOptions } from '../a2a/jwt-auth.js';
import type { OutboundUrlPolicy } from '../a2a/outbound-url-policy.js';
import { GuardedPushNotificationSender, withPushNotifications, type PushDeliveryOptions } from '../a2a/push-notifications.js';
import { createA2aRequestHandler } from '../a2a/request-handler.js';
import { openA2aTaskDatabase } from '../a2a/sql-task-store.js';
import { A2aThreadStore } from './a2a-thread-store.js';
import { LocalAgentBridge } from './local-agent-bridge.js';
import { PrecheckedRequestHandler } from './send-precheck.js';
import { checkA2aFileParts, type FileLimits } from './translate/file-limits.js';
import type { LocalAgentPort, ReplyAccepted, ReplyRequest } from './local-agent-port.js';

/** The A2A extension entry that ties the card to the agent's toq identity (DESIGN §4). */
export const TOQ_IDENTITY_EXTENSION_URI = 'urn:toq:a2a:identity:v1';

/** The principal of callers holding `a2a_api_key` (one key, one scope). */
export const API_KEY_PRINCIPAL = 'a2a-api-key';

export interface LocalA2aGatewayOptions {
  /** The workspace's SQLite file (`<configDir>/gateway.db`). */
  readonly dbPath: string;
  /** Daemon version, the card's `version`. */
  readonly version: string;
  /** `a2a_api_key`: when non-empty, callers must send `Authorization: Bearer <key>`. */
  readonly apiKey?: string;
  /** `a2a_jwt_*`: JWT bearer tokens from one issuer are accepted too (either is enough). */
  readonly jwt?: JwtAuthOptions;
  /** `a2a_public_url`: the JSON-RPC URL in the card. @default http://<host>:<port>/a2a */
  readonly publicUrl?: string;
  readonly host: string;
  readonly port: number;
  /** A blocking SendMessage answers with the working task after this long (`a2a_blocking_timeout`). @default 30000 */
  readonly blockingTimeoutMs?: number;
  /** `a2a_reply_state`: the state a reply without `a2a.state` gives its task. @default TASK_STATE_COMPLETED */
  readonly replyState?: TaskState;
  /** How long an executor keeps a task's live bus waiting for a reply. @default 1 h */
  readonly replyHoldMs?: number;
  /** `a2a_webhook_allow_private`: push webhooks are checked against it when connecting (DESIGN §8). @default { allowPrivate: false } */
  readonly webhookPolicy?: OutboundUrlPolicy;
  /** Push delivery limits (per-attempt timeout, attempts, backoff). @default push-notifications.ts constants */
  readonly pushDelivery?: Omit<PushDeliveryOptions, 'policy'>;
  /**
   * `accept_files` and `max_file_size` (DESIGN §5.2): raw file parts the agent does not take are
   * refused before anything is stored. @default { acceptFiles: false } (the reference's default)
   */
  readonly fileLimits?: FileLimits;
}

export interface LocalA2aGatewayDeps {
  readonly port: LocalAgentPort;
  /** The agent's toq address, public key and key pair (which signs its card) as they are now (keys rotate). */
  identity(): { readonly address: string; readonly publicKey: string; readonly signingKey: CardSigningKey };
  /** More public keys for the root JWKS (the hosted agents'), DESIGN §4. @default none */
  readonly publishedKeys?: () => readonly KeyObject[];
  readonly log: Logger;
  readonly now?: () => number;
  /** Flushes gateway.db's WAL off the event loop (the daemon's WalSync); task saves wait for it. @default commits sync themselves */
  readonly durable?: () => Promise<void>;
}

export interface LocalA2aGateway {
  /** Card, JSON-RPC and REST routes: the local API's fallback. */
  readonly httpHandler: HttpHandler;
  /** The reply channel: undefined when the thread is not an A2A thread. */
  deliverReply(request: ReplyRequest): Promise<ReplyAccepted | undefined>;
  close(): Promise<void>;
}

export async function startLocalA2aGateway(options: LocalA2aGatewayOptions, deps: LocalA2aGatewayDeps): Promise<LocalA2aGateway> {
  const log = deps.log.child({ component: 'a2a' });
  const agent = deps.port.agentName;
  const database = await openA2aTaskDatabase(options.dbPath, deps.durable === undefined ? {} : { durable: deps.durable });
  const threads = new A2aThreadStore(database.sqlite);
  const pushSender = new GuardedPushNotificationSender(database.pushStore, { ...options.pushDelivery, policy: options.webhookPolicy ?? { allowPrivate: false } }, { log: log.child({ component: 'a2a-push' }), onDisk: database.answerStore.answerable });
  const bridge = new LocalAgentBridge({ ...(options.replyHoldMs !== undefined && { replyHoldMs: options.replyHoldMs }), ...(options.replyState !== undefined && { replyState: options.replyState }) }, {
    port: deps.port,
    taskStore: database.taskStore,
    threads,
    push: pushSender,
    log,
    ...(deps.now !== undefined && { now: deps.now }),
  });
  const auth = createA2aAuth({ apiKeys: options.apiKey === undefined ? [] : [{ key: options.apiKey, principal: API_KEY_PRINCIPAL }], ...(options.jwt !== undefined && { jwt: options.jwt }) }, { log });
  const jsonRpcUrl = options.publicUrl ?? `http://${urlHost(options.host)}:${options.port}${JSON_RPC_PATH}`;
  // DESIGN §4: the card is signed with the agent's own key; the JWKS sits beside the card.
  const sign = createCardSigner(() => deps.identity().signingKey, { jku: restBase(jsonRpcUrl) + JWKS_PATH });
  const jwks = () => buildJwks([deps.identity().signingKey.publicKey, ...(deps.publishedKeys?.() ?? [])]);
  const card = () => {
    const identity = deps.identity();
    return sign(withPushNotifications(buildAgentCard({
      // The reference's card texts (local-API spec §9.2).
      name: `${agent} (toq)`,
      description: `toq agent '${agent}' with A2A compatibility`,
      version: options.version,
      jsonRpcUrl,
      restUrl: restBase(jsonRpcUrl),
      provider: { organization: 'toq protocol', url: 'https://github.com/toqprotocol' },
      skills: [{ id: 'default', name: agent, description: 'toq agent with A2A compatibility', tags: ['toq', 'a2a'] }],
      ...auth.cardSecurity,
      extensions: [{ uri: TOQ_IDENTITY_EXTENSION_URI, description: 'The toq agent behind this card', params: { address: identity.address, publicKey: identity.publicKey } }],
    })));
  };
  const requestHandler = createA2aRequestHandler({
    card: card(),
    // Its saves wait for the disk once per answer; the bridge's own saves (database.taskStore) each time.
    taskStore: database.answerStore,
    executor: bridge.executor,
    push: { store: database.pushStore, sender: pushSender },
    ...(options.blockingTimeoutMs !== undefined && { blockingTimeoutMs: options.blockingTimeoutMs }),
  });
  // DESIGN §5.2: the agent's file limits are checked before the SDK stores anything.
  const fileLimits = options.fileLimits ?? { acceptFiles: false };
  const checked = new PrecheckedRequestHandler(requestHandler, (message) => checkA2aFileParts(message, fileLimits));
  const httpHandler = createA2aHttpHandler({ requestHandler: checked, card: () => Promise.resolve(card()), jwks, authenticate: auth.authenticate, tenant: agent }, { log });
  log.info({ url: jsonRpcUrl, auth: auth.isRequired ? 'bearer' : 'none' }, 'A2A routes mounted');
  return {
    httpHandler,
    deliverReply: (request) => bridge.deliverReply(request),
    close: async () => {
      bridge.close();
      await pushSender.close();
      await database.close();
    },
  };
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** REST lives at the origin when JSON-RPC is `<origin>/a2a` (DESIGN §2); else beside the JSON-RPC URL. */
function restBase(jsonRpcUrl: string): string {
  return jsonRpcUrl.endsWith(JSON_RPC_PATH) ? jsonRpcUrl.slice(0, -JSON_RPC_PATH.length) : jsonRpcUrl.replace(/\/+$/, '');
}
