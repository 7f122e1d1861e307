// Starts the A2A side of every toq-upstream agent (DESIGN §3 "toq upstream", §5.2): one SQL task
// store on the workspace's gateway.db (shared by these agents, partitioned by tenant = agent
// name), the task ↔ toq-message map, and per agent a bridge, a request handler, a card naming
// the agent's own toq address and key, and an HTTP handler for root paths that the per-agent
// router mounts at `/a2a/{name}`. The daemon registers each bridge's `receive` as the hosted
// agent's toq receiver. It opens no sockets itself.

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
import type { Envelope } from '../protocol/envelope.js';
import { API_KEY_PRINCIPAL, TOQ_IDENTITY_EXTENSION_URI } from './local-a2a-gateway.js';
import { PrecheckedRequestHandler } from './send-precheck.js';
import { ToqUpstreamBridge, type ToqUpstreamPort } from './toq-upstream-bridge.js';
import { UpstreamTaskStore } from './toq-upstream-task-store.js';

export interface ToqUpstreamAgent {
  /** `[agents.<name>]`. */
  readonly name: string;
  /** Its `toq = "toq://..."`: the remote agent. */
  readonly toq: string;
  /** `reply_state` (else `a2a_reply_state`): the state a reply without `a2a.state` gives its task. @default completed */
  readonly replyState?: TaskState;
  /** `blocking_timeout` (else `a2a_blocking_timeout`), in ms. @default the gateway's blockingTimeoutMs */
  readonly blockingTimeoutMs?: number;
}

export interface ToqUpstreamGatewayOptions {
  /** The workspace's SQLite file (`<configDir>/gateway.db`). */
  readonly dbPath: string;
  readonly version: string;
  readonly agents: readonly ToqUpstreamAgent[];
  /** `a2a_api_key`: when non-empty, callers must send `Authorization: Bearer <key>`. */
  readonly apiKey?: string;
  /** `a2a_jwt_*`: JWT bearer tokens from one issuer are accepted too (either is enough). */
  readonly jwt?: JwtAuthOptions;
  /** `a2a_public_url` (the local agent's JSON-RPC URL); hosted agents are at `<it>/<name>`. @default http://<host>:<port>/a2a */
  readonly publicUrl?: string;
  readonly host: string;
  readonly port: number;
  /** A blocking SendMessage answers with the working task after this long, for agents that set none. @default 30000 */
  readonly blockingTimeoutMs?: number;
  /** @default 1 h */
  readonly replyHoldMs?: number;
  /** How long a message's delivery is watched for failure: the outbox_ttl plus a margin. */
  readonly deliveryWatchMs: number;
  /** `a2a_webhook_allow_private`: push webhooks are checked against it when connecting (DESIGN §8). @default { allowPrivate: false } */
  readonly webhookPolicy?: OutboundUrlPolicy;
  /** Push delivery limits (per-attempt timeout, attempts, backoff). @default push-notifications.ts constants */
  readonly pushDelivery?: Omit<PushDeliveryOptions, 'policy'>;
}

export interface ToqUpstreamGatewayDeps {
  readonly port: ToqUpstreamPort;
  /** The hosted agent's toq address, public key and key pair (which signs its card) as they are now. */
  identity(name: string): { readonly address: string; readonly publicKey: string; readonly signingKey: CardSigningKey };
  readonly log: Logger;
  readonly now?: () => number;
  /** Flushes gateway.db's WAL off the event loop (the daemon's WalSync); task saves wait for it. @default commits sync themselves */
  readonly durable?: () => Promise<void>;
}

export interface ToqUpstreamGateway {
  /** Agent name → its A2A handler for root paths (mount at `/a2a/{name}`). */
  readonly httpHandlers: ReadonlyMap<string, HttpHandler>;
  /** Agent name → what receives the toq envelopes addressed to it. */
  readonly receivers: ReadonlyMap<string, (envelope: Envelope, peerAddress: string) => Promise<void>>;
  /** Whether toq identity `sender` has a turn waiting for a reply (UpstreamTaskStore.hasOpenTurnFrom). */
  hasOpenTurnFrom(sender: string): boolean;
  close(): Promise<void>;
}

export async function startToqUpstreamGateway(options: ToqUpstreamGatewayOptions, deps: ToqUpstreamGatewayDeps): Promise<ToqUpstreamGateway> {
  const log = deps.log.child({ component: 'a2a-toq-upstream' });
  const database = await openA2aTaskDatabase(options.dbPath, deps.durable === undefined ? {} : { durable: deps.durable });
  // With the daemon's WAL flush, the map's writes leave the disk sync to the flush that follows each.
  const tasks = new UpstreamTaskStore(database.sqlite, { deferSync: deps.durable !== undefined });
  // One sender for all these agents: configs are keyed by tenant (= agent) in the shared store.
  const pushSender = new GuardedPushNotificationSender(database.pushStore, { ...options.pushDelivery, policy: options.webhookPolicy ?? { allowPrivate: false } }, { log: log.child({ component: 'a2a-push' }), onDisk: database.answerStore.answerable });
  const auth = createA2aAuth({ apiKeys: options.apiKey === undefined ? [] : [{ key: options.apiKey, principal: API_KEY_PRINCIPAL }], ...(options.jwt !== undefined && { jwt: options.jwt }) }, { log });
  const base = (options.publicUrl ?? `http://${urlHost(options.host)}:${options.port}${JSON_RPC_PATH}`).replace(/\/+$/, '');
  const httpHandlers = new Map<string, HttpHandler>();
  const receivers = new Map<string, (envelope: Envelope, peerAddress: string) => Promise<void>>();
  const bridges: ToqUpstreamBridge[] = [];

  for (const agent of options.agents) {
    const agentLog = log.child({ agent: agent.name });
    const bridge = new ToqUpstreamBridge(
      {
        agent: agent.name,
        target: agent.toq,
        deliveryWatchMs: options.deliveryWatchMs,
        ...(agent.replyState !== undefined && { replyState: agent.replyState }),
        ...(options.replyHoldMs !== undefined && { replyHoldMs: options.replyHoldMs }),
      },
      { port: deps.port, taskStore: database.taskStore, tasks, push: pushSender, log: agentLog, ...(deps.now !== undefined && { now: deps.now }) },
    );
    // DESIGN §2: JSON-RPC at /a2a/{name}, REST beside it (/a2a/{name}/message:send, /a2a/{name}/v1/...).
    const url = `${base}/${agent.name}`;
    // DESIGN §4: signed with the hosted agent's own key; its JWKS at /a2a/{name}/.well-known/jwks.json.
    const sign = createCardSigner(() => deps.identity(agent.name).signingKey, { jku: url + JWKS_PATH });
    const jwks = () => buildJwks([deps.identity(agent.name).signingKey.publicKey]);
    const card = () => {
      const identity = deps.identity(agent.name);
      return sign(withPushNotifications(buildAgentCard({
        name: agent.name,
        description: `toq agent ${agent.toq}, reached over toq as ${identity.address}`,
        version: options.version,
        jsonRpcUrl: url,
        restUrl: url,
        provider: { organization: 'toq protocol', url: 'https://github.com/toqprotocol' },
        skills: [{ id: 'default', name: agent.name, description: `conversation with the toq agent ${agent.toq}`, tags: ['toq', 'a2a'] }],
        ...auth.cardSecurity,
        // DESIGN §4: the card names the identity that speaks for this agent on toq.
        extensions: [{ uri: TOQ_IDENTITY_EXTENSION_URI, description: 'The toq agent behind this card', params: { address: identity.address, publicKey: identity.publicKey } }],
      })));
    };
    // Each agent has its own handler, so its own blocking timeout (DESIGN §5.2).
    const blockingTimeoutMs = agent.blockingTimeoutMs ?? options.blockingTimeoutMs;
    const requestHandler = createA2aRequestHandler({
      card: card(),
      // Its saves wait for the disk once per answer; the bridge's own saves (database.taskStore) each time.
      taskStore: database.answerStore,
      executor: bridge.executor,
      push: { store: database.pushStore, sender: pushSender },
      ...(blockingTimeoutMs !== undefined && { blockingTimeoutMs }),
    });
    // DESIGN §5.2: raw file parts the remote agent would not take are refused before anything is stored.
    const checked = new PrecheckedRequestHandler(requestHandler, (message, context) => bridge.checkFileParts(message, context));
    httpHandlers.set(agent.name, createA2aHttpHandler({ requestHandler: checked, card: () => Promise.resolve(card()), jwks, authenticate: auth.authenticate, tenant: agent.name }, { log: agentLog }));
    receivers.set(agent.name, (envelope, peerAddress) => bridge.receive(envelope, peerAddress));
    bridge.recover();
    bridges.push(bridge);
    agentLog.info({ url, upstream: agent.toq }, 'A2A routes of a toq upstream agent mounted');
  }

  return {
    httpHandlers,
    receivers,
    hasOpenTurnFrom: (sender) => tasks.hasOpenTurnFrom(sender),
    close: async () => {
      for (const bridge of bridges) bridge.close();
      await pushSender.close();
      await database.close();
    },
  };
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
