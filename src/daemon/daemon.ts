// The daemon: the composition root behind `toq up`. It reads the workspace (config, keys,
// permissions, handlers), opens the store, starts the public port (toq + HTTP), the outbox and
// the handlers, keeps state.json current, and stops all of it in order. Every piece it wires
// lives in its own layer; this file only connects them.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TaskState } from '@a2a-js/sdk';
import { loadConfigFile } from '../config/load-config.js';
import type { Config } from '../config/config-schema.js';
import { DurableDedup } from '../delivery/durable-dedup.js';
import { Outbox } from '../delivery/outbox.js';
import { HandlerRunner } from '../handlers/handler-runner.js';
import type { HandlerMessage } from '../handlers/handler-message.js';
import { createLocalApiHandler } from '../local-api/local-api-handler.js';
import { toJsonText } from '../local-api/json-text.js';
import type { IncomingMessageJson } from '../local-api/local-api-deps.js';
import { wireJson } from '../protocol/canonical-json.js';
import type { Envelope } from '../protocol/envelope.js';
import type { Identity } from '../protocol/ed25519.js';
import { PolicyEngine, parseConnectionMode } from '../protocol/policy.js';
import { isValidAgentName } from '../protocol/address.js';
import { ConfigError } from '../config/config-error.js';
import { formatTimestamp } from '../protocol/timestamp.js';
import { GroupCommit } from '../store/group-commit.js';
import { WalSync } from '../store/wal-sync.js';
import { toInboundRecord } from '../store/inbox-record.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { GatewayStore } from '../store/gateway-store.js';
import type { ToqSession } from '../transport/toq-session.js';
import { readHandlersFile } from '../workspace/handlers-file.js';
import { loadOrCreateIdentity, loadTlsCredentials } from '../workspace/identity-files.js';
import { permissionsToPolicyState, policyStateToPermissions, readPermissionsFile, writePermissionsFileSync } from '../workspace/permissions-file.js';
import { removePidFile, writePidFile } from '../workspace/pid-file.js';
import { StateFileWriter } from '../workspace/state-file.js';
import { agentsRegistryDir, workspacePaths, type WorkspacePaths } from '../workspace/workspace-paths.js';
import { ApiStreams } from './api-streams.js';
import { startGateway, type Gateway, type GatewayOptions } from './gateway.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTO_PORT_FIRST, AUTO_PORT_LAST, claimedPorts, findAvailablePort, removeRegistration, writeRegistration } from '../workspace/agents-registry.js';
import { createLocalApiFacade } from './local-api-facade.js';
import { matchingHandlers } from '../handlers/dispatch.js';
import { startLocalA2aGateway } from '../gateway/local-a2a-gateway.js';
import { MessageBus } from './message-bus.js';
import { HostedAgents } from './hosted-agents.js';
import { PrincipalIdentities } from './principal-identities.js';
// A2A upstream agents
import { startA2aUpstreamAgents } from '../gateway/a2a-upstream-bridge.js';
import { A2aOutbound } from '../gateway/a2a-outbound.js';
// toq upstream agents
import { createA2aAgentRouter } from '../a2a/agent-router.js';
import { startToqUpstreamGateway } from '../gateway/toq-upstream-gateway.js';
import { readOpenDerivedSenders } from '../gateway/toq-upstream-task-store.js';
import { toA2aTaskState } from '../gateway/translate/task-state.js';
import { canonicalAddress as toqUpstreamCanonical } from '../protocol/address.js';
import { A2A_BRIDGE_CAPABILITY, hasBridgeCapability } from '../gateway/translate/a2a-bridge.js';
import { settleWithin } from '../transport/deadline.js';

export const GATEWAY_VERSION = '0.1.0';

export interface DaemonOptions {
  readonly configDir: string;
  readonly log: Logger;
  /** Overrides config.toml's port (tests use 0). */
  readonly port?: number;
  /** Command-line overrides of config.toml (`up --name --host --mode`). */
  readonly overrides?: { readonly agentName?: string; readonly host?: string; readonly connectionMode?: string };
  /** Interface to bind. @default "0.0.0.0" (as the reference) */
  readonly bindAddress?: string;
  /**
   * Register in the global agents registry ($HOME/.toq/agents, used by `toq agents`, `toq down
   * --name` and `port = 0` selection) while running. @default false (tests leave $HOME alone)
   */
  readonly register?: boolean;
  /** The environment handlers inherit and providers read keys from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Outbox retry schedule (tests shorten it). */
  readonly outboxBackoffMs?: readonly number[];
  /** A blocking A2A SendMessage answers with the working task after this long (tests shorten it). @default 30000 */
  readonly a2aBlockingTimeoutMs?: number;
  /** Derived A2A principal identities hosted at once (tests lower it). @default DERIVED_IDENTITY_CAP (10 000) */
  readonly principalIdentityCap?: number;
  readonly now?: () => number;
}

export interface Daemon {
  readonly port: number;
  readonly address: string;
  readonly config: Config;
  readonly paths: WorkspacePaths;
  readonly gateway: Gateway;
  readonly store: GatewayStore;
  readonly outbox: Outbox;
  /** The live message feed (incoming messages and our own sends). */
  readonly bus: MessageBus;
  /** The `[agents.*]` identities and their inbound receivers. */
  readonly hosted: HostedAgents;
  /** Resolves when the daemon has stopped (after stop() or POST /v1/daemon/shutdown). */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/** The dedup scope of A2A-originated history entries (they come over no toq connection). */
const A2A_PEER_KEY = 'a2a';
/** How long an A2A call to a toq upstream waits to learn whether the far side speaks the lossless profile (DESIGN §5.1). */
const BRIDGE_PROBE_TIMEOUT_MS = 3_000;

/** History types the reference records (local-API spec §3.1): not chunks, not acks. */
const HISTORY_TYPES: ReadonlySet<string> = new Set(['message.send', 'thread.close', 'message.stream.end']);

/** A message for the local agent's listeners and handlers, as committed. */
interface LocalDelivery {
  readonly message: IncomingMessageJson;
  readonly type: Envelope['type'];
  /** The sending peer's public key text (handlers get it as TOQ_FROM_KEY). */
  readonly fromKey: string;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const log = options.log;
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const paths = workspacePaths(options.configDir);
  const warn = (w: { key?: string; message: string }): void => log.warn({ key: w.key }, w.message);
  const config = withOverrides(loadConfigFile(paths.config, { warn }), options.overrides ?? {}, warn);

  let identity: Identity = loadOrCreateIdentity(options.configDir);
  const certificate = loadTlsCredentials(options.configDir, {
    ...(config.tlsCert !== undefined && { tlsCert: config.tlsCert }),
    ...(config.tlsKey !== undefined && { tlsKey: config.tlsKey }),
  });
  const store = openSqliteStore({ path: join(options.configDir, 'gateway.db') });

  // permissions.toml stays the source of truth for rules (the reference's CLI edits it while the
  // daemon is down); reply grants, which it cannot hold, live in the store.
  const permissions = existsSync(paths.permissions)
    ? readPermissionsFile(paths.permissions, { warn })
    : undefined;
  const state = permissions ? permissionsToPolicyState(permissions) : undefined;
  const saved = store.loadPolicy();
  const policy = PolicyEngine.fromJSON(
    { approved: state?.approved ?? [], blocked: state?.blocked ?? [], pending: state?.pending ?? [], replyGrants: saved?.replyGrants ?? [] },
    { mode: config.connectionMode, maxPending: config.maxPendingApprovals },
    { now },
  );
  const persistPolicy = (): void => {
    const snapshot = policy.toJSON();
    writePermissionsFileSync(paths.permissions, policyStateToPermissions(snapshot));
    store.savePolicy(snapshot);
  };

  const bus = new MessageBus();
  const sessionsSeen = new WeakSet<ToqSession>();
  const holder: { handlers?: HandlerRunner; streams?: ApiStreams } = {};

  // The legacy HTTP adapter (local-API spec §5.4): every incoming message.send / thread.close is
  // also POSTed to `["adapter.http"] callback_url`. After the commit, so a slow or failing adapter
  // never holds the ack (the reference answers agent_unavailable then acks; the message is ours
  // either way), and failures are logged.
  const adapterUrl = config.adapterHttp?.callbackUrl;
  const postToAdapter = (url: string, message: IncomingMessageJson): void => {
    const { timestamp: _timestamp, ...payload } = message;
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: toJsonText(payload), signal: AbortSignal.timeout(5_000) }).then(
      (res) => {
        if (!res.ok) log.warn({ url, status: res.status, id: message.id }, 'HTTP adapter answered with an error');
        void res.body?.cancel();
      },
      (err: unknown) => log.warn({ err, url, id: message.id }, 'HTTP adapter unreachable'),
    );
  };

  // Writes of the same event-loop turn share one transaction, committed without a sync; the
  // callers wait for one flush of the WAL off the event loop, shared with every other writer of
  // gateway.db (group-commit.ts, wal-sync.ts).
  const walSync = new WalSync(join(options.configDir, 'gateway.db'));
  const durable = (): Promise<void> => walSync.sync();
  const groupCommit = new GroupCommit((fn) => store.transactionWithoutSync(fn), durable);
  const outcomeCommit = new GroupCommit((fn) => store.transactionWithoutSync(fn));

  const hosted = new HostedAgents(config, options.configDir);
  // DESIGN §4 (a2a_principal_identities): A2A principals' derived toq identities. Those that sent
  // turns still open are hosted before the port opens (whatever the option says now), so a late
  // reply after a restart is never refused as addressed to an unknown agent.
  // At the cap, identities whose turns all ended are evicted; until the task table is open, none is.
  const openTurns: { from?: (sender: string) => boolean } = {};
  const principals = new PrincipalIdentities(
    { configDir: options.configDir, localAgentName: config.agentName, capabilities: [A2A_BRIDGE_CAPABILITY], ...(options.principalIdentityCap !== undefined && { cap: options.principalIdentityCap }) },
    { hosted, log, hasOpenTurn: (name) => openTurns.from?.(name) ?? true },
  );
  principals.recover(readOpenDerivedSenders(join(options.configDir, 'gateway.db')));

  const onMessage = (envelope: Envelope, session: ToqSession): Promise<void> =>
    session.local.agentName === config.agentName ? onLocalMessage(envelope, session) : onHostedMessage(envelope, session);

  /**
   * A hosted agent's message (DESIGN §3): its receiver first, then its own history record, both
   * before the ack. In this order because the history commit also writes the seen id: written
   * first, a receiver failing afterwards would leave the retry acked as a duplicate and never
   * delivered. A crash between the two only means a redelivery, which the receivers absorb.
   */
  const onHostedMessage = async (envelope: Envelope, session: ToqSession): Promise<void> => {
    // A derived identity's messages are its hosted agent's (DESIGN §4): same receiver, same records.
    const agent = hosted.hostOf(session.local.agentName);
    await hosted.deliver(agent, envelope, session);
    // What the receiver wrote without a sync is on disk before the ack (the history commit's flush does it too).
    if (!HISTORY_TYPES.has(envelope.type)) return durable();
    await groupCommit.run(() => store.recordInbound(toInboundRecord(envelope, agent, session.peer.publicKeyText, now())));
  };

  // Listeners and handlers get the message at its commit, while the flush runs: a commit survives
  // the process being killed, and only a power cut in that instant could lose it (then the peer,
  // never acked, sends it again and they see it twice). The ack waits for the flush, so a reply
  // enqueued by a listener leaves without waiting for the disk twice in a row.
  const onLocalMessage = (envelope: Envelope, session: ToqSession): Promise<void> => groupCommit.run(() => commitInbound(envelope, session), deliverLocally).then(() => undefined);

  const deliverLocally = (delivery: LocalDelivery | undefined): void => {
    if (delivery === undefined) return;
    const { message, type, fromKey } = delivery;
    bus.publish(message);
    if (adapterUrl !== undefined && (type === 'message.send' || type === 'thread.close')) postToAdapter(adapterUrl, message);
    if (type !== 'message.stream.chunk') holder.handlers?.dispatch({ ...message, fromKey } satisfies HandlerMessage);
  };

  /** The inbound record, committed before the ack; undefined for a duplicate (already committed). */
  const commitInbound = (envelope: Envelope, session: ToqSession): LocalDelivery | undefined => {
    if (!sessionsSeen.has(session)) {
      sessionsSeen.add(session);
      store.upsertPeer(session.peer.publicKeyText, session.peer.address, now());
    }
    const receivedAt = now();
    if (HISTORY_TYPES.has(envelope.type)) {
      // Commit before the ack (the session acks when this returns). A duplicate was committed
      // before: nothing more to do, the session acks it again.
      const isNew = store.recordInbound(toInboundRecord(envelope, session.local.agentName, session.peer.publicKeyText, receivedAt));
      if (!isNew) return undefined;
    } else {
      store.rememberSeen(session.peer.publicKeyText, envelope.id, receivedAt);
    }
    return { message: toIncomingJson(envelope, receivedAt), type: envelope.type, fromKey: session.peer.publicKeyText };
  };

  const stateHolder: { writer?: StateFileWriter } = {};
  let stopRequested: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));

  const facadeHolder: { handle?: ReturnType<typeof createLocalApiHandler> } = {};
  const registryDir = agentsRegistryDir(env as NodeJS.ProcessEnv);
  const gatewayOptions = {
    host: config.host,
    bindAddress: options.bindAddress ?? '0.0.0.0',
    // Hosted agents speak A2A behind their toq face: their cards offer the lossless profile (DESIGN §5.1).
    // The local agent's card states accept_files / max_file_size as the reference's does (wire spec §6.2).
    agents: [{ name: config.agentName, identity, acceptFiles: config.acceptFiles, maxFileSize: config.maxFileSize }, ...[...hosted.identities].map(([name, id]) => ({ name, identity: id, capabilities: [A2A_BRIDGE_CAPABILITY] })), ...principals.agents()],
    policy,
    certificate,
    dedup: new DurableDedup({ store, now }),
    onMessage,
    // The reference ignores message.cancel; hosted A2A upstreams cancel the upstream task (DESIGN §5.3).
    onNotice: (envelope: Envelope, session: ToqSession) => {
      if (session.local.agentName !== config.agentName) return hosted.deliver(session.local.agentName, envelope, session);
      log.info({ id: envelope.id, type: envelope.type, peer: session.peer.address }, 'notice for the local agent ignored (as the reference does)');
      return undefined;
    },
    httpHandler: (req: IncomingMessage, res: ServerResponse) => facadeHolder.handle!(req, res),
    log,
    now,
  } satisfies Omit<GatewayOptions, 'port'>;
  const gateway = await bindGateway(gatewayOptions, options.port ?? config.port, options.port === undefined && options.register === true ? registryDir : undefined);
  const address = gateway.addressOf();
  principals.attach(gateway);
  if (options.register === true) {
    writeRegistration(registryDir, { name: config.agentName, port: gateway.port, pid: process.pid, configDir: options.configDir, startedAt: Math.floor(now() / 1000) });
  }

  const outbox = new Outbox(
    {
      store,
      send: (target, fields, sendOptions) => gateway.send(target, fields, sendOptions),
      now,
      log: log.child({ component: 'outbox' }),
      // Outcomes share a commit that does not wait for the disk: a lost outcome only means one
      // more attempt, which the receiver's dedup absorbs (see transactionWithoutSync).
      commit: (record) => outcomeCommit.run(record),
      durableCommit: (write, onCommitted) => groupCommit.run(write, onCommitted),
    },
    { outboxTtlMs: config.outboxTtl * 1000, ...(options.outboxBackoffMs !== undefined && { backoffMs: options.outboxBackoffMs }) },
  );
  outbox.start();

  const toqUrl = `http://127.0.0.1:${gateway.port}`;
  const loadHandlers = () =>
    existsSync(paths.handlers) ? readHandlersFile(paths.handlers, { warn }) : [];
  holder.handlers = new HandlerRunner(loadHandlers(), { logDir: paths.handlerLogsDir, toqUrl, env, cwd: process.cwd() }, { log: log.child({ component: 'handlers' }) });

  holder.streams = new ApiStreams(
    gateway.endpoint,
    {
      onEnded: ({ id, threadId, type }) => bus.publish({ id, type, from: gateway.addressOf(), thread_id: threadId, timestamp: formatTimestamp(now()) }),
    },
    log,
    now,
  );

  // ---- A2A gateway of the local agent (issue #4). Mounted only when a2a_enabled, as in the
  // reference; it serves the card, JSON-RPC and REST as the local API's fallback, and answers
  // replies on A2A threads through the local API's reply channel.
  // DESIGN §8: JWTs from one issuer, for every A2A agent of this gateway (like a2a_api_key).
  const a2aJwt =
    config.a2aJwtIssuer !== undefined && config.a2aJwtJwksUrl !== undefined
      ? { issuer: config.a2aJwtIssuer, jwksUrl: config.a2aJwtJwksUrl, ...(config.a2aJwtAudience !== undefined && { audience: config.a2aJwtAudience }), ...(config.a2aJwtAlgorithms !== undefined && { algorithms: config.a2aJwtAlgorithms }) }
      : undefined;
  // a2a_reply_state and a2a_blocking_timeout (DESIGN §5.2), per agent; the a2aBlockingTimeoutMs option (tests) wins.
  const a2aReplyState = (text: string): TaskState => toA2aTaskState(text) ?? TaskState.TASK_STATE_COMPLETED;
  const a2aBlockingTimeoutMs = (seconds: number): number => options.a2aBlockingTimeoutMs ?? seconds * 1000;
  const a2a = config.a2aEnabled
    ? await startLocalA2aGateway(
        {
          dbPath: join(options.configDir, 'gateway.db'),
          version: GATEWAY_VERSION,
          ...(config.a2aApiKey !== undefined && { apiKey: config.a2aApiKey }),
          ...(a2aJwt !== undefined && { jwt: a2aJwt }),
          ...(config.a2aPublicUrl !== undefined && { publicUrl: config.a2aPublicUrl }),
          host: config.host,
          port: gateway.port,
          blockingTimeoutMs: a2aBlockingTimeoutMs(config.a2aBlockingTimeout),
          replyState: a2aReplyState(config.a2aReplyState),
          webhookPolicy: { allowPrivate: config.a2aWebhookAllowPrivate },
          // DESIGN §5.2: raw file parts obey the local agent's accept_files and max_file_size.
          fileLimits: { acceptFiles: config.acceptFiles, maxFileBytes: config.maxFileSize },
        },
        {
          port: {
            agentName: config.agentName,
            hasReceiver: (m) => bus.subscriberCount > 0 || matchingHandlers(holder.handlers?.specs ?? [], m).length > 0,
            commit: (m) =>
              groupCommit.run(() => {
                store.recordInbound({ id: m.id, agent: config.agentName, type: m.type, from: m.from, peerKey: A2A_PEER_KEY, thread_id: m.thread_id, reply_to: null, content_type: m.content_type, body: wireJson(m.body), receivedAtMs: now() });
              }),
            deliver: (m) => {
              bus.publish(m);
              holder.handlers?.dispatch(m);
            },
          },
          identity: () => ({ address: gateway.addressOf(), publicKey: identity.publicKeyText, signingKey: { privateKey: identity.privateKeyObject, publicKey: identity.publicKeyObject } }),
          publishedKeys: () => [...hosted.identities.values()].map((id) => id.publicKeyObject),
          log,
          now,
          durable,
        },
      )
    : undefined;
  // ---- end A2A

  // ---- toq upstream agents (issue #4, DESIGN §3): each `[agents.<name>] toq = "toq://..."` is
  // served to A2A clients at /a2a/<name> (with a2a_enabled, as all A2A routes); its requests go to
  // the remote agent through the outbox from the hosted identity, its answers come back through
  // the hosted agent's receiver. `a2aRoutes` is the per-agent URL map the local API falls back to.
  const toqUpstreamAgents = config.agents.flatMap((agent) => (agent.kind === 'toq' ? [agent] : []));
  /** The remote's toq card from the pooled session the outbox will use anyway (its setup carried the card); undefined when unreachable now. */
  const peerCardOf = async (agent: string, to: string, phase: string) =>
    (await settleWithin(gateway.endpoint.session(toqUpstreamCanonical(to), agent), phase, BRIDGE_PROBE_TIMEOUT_MS).catch(() => undefined))?.peer.card;
  const toqUpstreams =
    config.a2aEnabled && toqUpstreamAgents.length > 0
      ? await startToqUpstreamGateway(
          {
            dbPath: join(options.configDir, 'gateway.db'),
            version: GATEWAY_VERSION,
            agents: toqUpstreamAgents.map((agent) => ({
              name: agent.name,
              toq: agent.toq,
              replyState: a2aReplyState(agent.replyState ?? config.a2aReplyState),
              blockingTimeoutMs: a2aBlockingTimeoutMs(agent.blockingTimeout ?? config.a2aBlockingTimeout),
            })),
            ...(config.a2aApiKey !== undefined && { apiKey: config.a2aApiKey }),
            ...(a2aJwt !== undefined && { jwt: a2aJwt }),
            ...(config.a2aPublicUrl !== undefined && { publicUrl: config.a2aPublicUrl }),
            host: config.host,
            port: gateway.port,
            deliveryWatchMs: config.outboxTtl * 1000 + 60_000,
            webhookPolicy: { allowPrivate: config.a2aWebhookAllowPrivate },
            blockingTimeoutMs: a2aBlockingTimeoutMs(config.a2aBlockingTimeout),
          },
          {
            port: {
              enqueue: async (m) => void (await outbox.enqueueDurably({ ...m, type: 'message.send', content_type: 'application/json' })),
              waitForOutcome: (id, timeoutMs) => outbox.waitForOutcome(id, { timeoutMs }).then((o) => o.entry),
              outboxEntry: (id) => outbox.get(id),
              cancelQueued: (id) => {
                if (outbox.get(id)?.status === 'queued') outbox.cancel(id);
              },
              sendControl: async (agent, to, fields) => {
                await gateway.send(toqUpstreamCanonical(to), fields, { fromAgent: agent });
              },
              isBridge: async (agent, to) => hasBridgeCapability((await peerCardOf(agent, to, 'bridge probe'))?.capabilities),
              // DESIGN §5.2: the remote agent's accept_files / max_file_size, from the same pooled session.
              peerCard: (agent, to) => peerCardOf(agent, to, 'card probe'),
              // DESIGN §4: authenticated A2A callers speak with their own derived identity.
              ...(config.a2aPrincipalIdentities ? { principalSender: (agent: string, principal: string) => principals.register(agent, principal) } : {}),
            },
            identity: (name) => {
              const id = hosted.identities.get(name)!;
              return { address: gateway.addressOf(name), publicKey: id.publicKeyText, signingKey: { privateKey: id.privateKeyObject, publicKey: id.publicKeyObject } };
            },
            log,
            now,
            durable,
          },
        )
      : undefined;
  for (const [name, receive] of toqUpstreams?.receivers ?? []) hosted.register(name, (envelope, session) => receive(envelope, session.peer.address));
  if (toqUpstreams !== undefined) openTurns.from = (sender) => toqUpstreams.hasOpenTurnFrom(sender);
  const defaultA2aAgent = config.a2aDefaultAgent === undefined ? undefined : toqUpstreams?.httpHandlers.get(config.a2aDefaultAgent);
  const a2aRoutes =
    toqUpstreams === undefined ? a2a?.httpHandler : createA2aAgentRouter({ agents: toqUpstreams.httpHandlers, ...((defaultA2aAgent ?? a2a?.httpHandler) !== undefined && { defaultAgent: defaultA2aAgent ?? a2a?.httpHandler }) });
  // ---- end toq upstream agents

  // ---- A2A upstream agents (issue #4, DESIGN §5.3): each `[agents.<name>] a2a = "<url>"` answers
  // toq peers at toq://host/<name> through that A2A agent (acked once committed, answered through
  // the outbox from <name>). Also the local agent's outbound A2A sends (POST /v1/messages to an
  // http(s) URL, local-API spec §9.4): the reply lands in the local history and SSE stream.
  const upstreamA2a = startA2aUpstreamAgents(
    { dbPath: join(options.configDir, 'gateway.db'), agents: config.agents.flatMap((agent) => (agent.kind === 'a2a' ? [agent] : [])), env },
    { register: (name, receive) => hosted.register(name, receive), outbox, control: (agent, to, fields) => gateway.send(to, fields, { fromAgent: agent }), log, now },
  );
  const a2aOutbound = new A2aOutbound(
    { policy: { allowPrivate: config.a2aWebhookAllowPrivate } },
    {
      store: upstreamA2a.store,
      onReply: async (reply) => {
        const receivedAt = now();
        const body = reply.body;
        await groupCommit.run(() => {
          store.recordInbound({ id: reply.id, agent: config.agentName, type: 'message.send', from: reply.from, peerKey: A2A_PEER_KEY, thread_id: reply.threadId, reply_to: null, content_type: 'application/json', body: wireJson(body), receivedAtMs: receivedAt });
        });
        bus.publish({ id: reply.id, type: 'message.send', from: reply.from, body, thread_id: reply.threadId, content_type: 'application/json', timestamp: formatTimestamp(receivedAt) });
      },
      now,
    },
  );
  // ---- end A2A upstream agents

  facadeHolder.handle = createLocalApiHandler(
    createLocalApiFacade({
      config,
      configDir: options.configDir,
      paths,
      gateway,
      store,
      outbox,
      bus,
      policy,
      persistPolicy,
      handlers: holder.handlers,
      commit: (op) => groupCommit.run(op),
      loadHandlers,
      streams: holder.streams,
      version: GATEWAY_VERSION,
      now,
      log,
      identity: () => identity,
      setIdentity: (next) => {
        identity = next;
      },
      requestStop: () => stopRequested(),
      ...(a2a !== undefined && { a2aReplies: a2a }),
      a2aOutbound: { send: (request) => a2aOutbound.send(request) }, // A2A upstream agents
    }),
    log.child({ component: 'local-api' }),
    a2aRoutes,
  );

  writePidFile(paths.pid);
  const writer = new StateFileWriter(
    paths.state,
    {
      activeConnections: 0,
      address,
      connectionMode: config.connectionModeText,
      messagesIn: store.getCounter('messages_in'),
      messagesOut: store.getCounter('messages_out'),
      pid: process.pid,
      port: gateway.port,
    },
    {},
    { now, onError: (err) => log.warn({ err }, 'state.json write failed') },
  );
  writer.start();
  stateHolder.writer = writer;
  // Keep state.json current (the reference writes it once): counters and connections.
  const stateTimer = setInterval(() => {
    writer.update({
      activeConnections: gateway.endpoint.inboundSessions().length,
      messagesIn: store.getCounter('messages_in'),
      messagesOut: store.getCounter('messages_out'),
    });
  }, 1_000);
  stateTimer.unref();

  // Retention: history and finished outbox entries by age, seen ids never younger than the TTL.
  const pruneTimer = setInterval(() => prune(), 60 * 60_000);
  pruneTimer.unref();
  const prune = (): void => {
    const day = 24 * 60 * 60_000;
    const days = config.historyRetentionDays;
    store.prune({
      nowMs: now(),
      outboxTtlMs: config.outboxTtl * 1000,
      ...(days > 0 && { historyOlderThanMs: now() - days * day, finishedOutboxOlderThanMs: now() - days * day }),
      seenOlderThanMs: now() - config.outboxTtl * 1000,
    });
  };
  prune();

  log.info({ address, port: gateway.port, key: identity.publicKeyText, mode: config.connectionModeText, configDir: options.configDir }, 'toq gateway up');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(stateTimer);
      clearInterval(pruneTimer);
      await holder.handlers?.close();
      await upstreamA2a.close(); // A2A upstream agents: before the outbox and the store
      await outbox.stop();
      await gateway.close();
      await a2a?.close();
      await toqUpstreams?.close();
      persistPolicy();
      store.close();
      await walSync.close();
      await writer.remove();
      removePidFile(paths.pid);
      if (options.register === true) removeRegistration(registryDir, config.agentName);
      log.info('toq daemon stopped');
    })();
    return stopping;
  };
  const stopped = stopSignal.then(() => stop());

  return {
    port: gateway.port,
    address,
    config,
    paths,
    gateway,
    store,
    outbox,
    bus,
    hosted,
    stopped,
    stop: async () => {
      stopRequested();
      await stopped;
    },
  };
}

/**
 * Binds the port. `port = 0` from config.toml means what it means to the reference: the first port
 * from 9009 that no registered agent claims, then the next bindable one up to 9999 (spec §7);
 * only a port given by the caller (tests) binds an OS-chosen port.
 */
async function bindGateway(options: Omit<GatewayOptions, 'port'>, port: number, registryDir: string | undefined): Promise<Gateway> {
  if (port !== 0 || registryDir === undefined) return startGateway({ ...options, port });
  const claimed = new Set(claimedPorts(registryDir));
  for (let candidate = findAvailablePort(claimed); candidate <= AUTO_PORT_LAST; candidate++) {
    if (claimed.has(candidate)) continue;
    try {
      return await startGateway({ ...options, port: candidate });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new ConfigError('port', `port = 0: no free port between ${AUTO_PORT_FIRST} and ${AUTO_PORT_LAST}`);
}

function withOverrides(config: Config, o: NonNullable<DaemonOptions['overrides']>, warn: (w: { message: string }) => void): Config {
  if (o.agentName !== undefined && !isValidAgentName(o.agentName)) {
    throw new ConfigError('agent_name', `agent name must be lowercase letters, digits and inner hyphens, got "${o.agentName}"`);
  }
  let mode = config.connectionMode;
  if (o.connectionMode !== undefined) {
    const parsed = parseConnectionMode(o.connectionMode);
    if (parsed.isFallback) warn({ message: `unknown connection mode "${o.connectionMode}"; using approval (as the reference does)` });
    mode = parsed.mode;
  }
  return Object.freeze({
    ...config,
    ...(o.agentName !== undefined && { agentName: o.agentName }),
    ...(o.host !== undefined && { host: o.host }),
    ...(o.connectionMode !== undefined && { connectionMode: mode, connectionModeText: o.connectionMode }),
  });
}

/** An envelope as the SSE/history IncomingMessage (local-API spec §4). */
export function toIncomingJson(envelope: Envelope, receivedAtMs: number): IncomingMessageJson {
  return {
    id: envelope.id,
    type: envelope.type,
    from: envelope.from,
    ...(envelope.body !== undefined && { body: envelope.body }),
    ...(envelope.thread_id !== undefined && { thread_id: envelope.thread_id }),
    ...(envelope.reply_to !== undefined && { reply_to: envelope.reply_to }),
    ...(envelope.content_type !== undefined && { content_type: envelope.content_type }),
    timestamp: formatTimestamp(receivedAtMs),
  };
}
