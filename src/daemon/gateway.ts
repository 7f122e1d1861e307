// Composition root of the public port: mux → TLS → toq endpoint (and plain/HTTPS HTTP, which the
// local API and A2A will serve). Builds the components from one options object, wires the
// connection policy, and owns start/stop. Nothing imports daemon/ from src/.

import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { canonicalAddress, createAddress, formatAddress } from '../protocol/address.js';
import { buildLocalCard } from '../protocol/card.js';
import type { DecidePeer, PolicyVerdictForSetup } from '../protocol/connection-setup.js';
import { MAGIC } from '../protocol/constants.js';
import type { Identity } from '../protocol/ed25519.js';
import type { Envelope } from '../protocol/envelope.js';
import { PolicyEngine, type ConnectionMode } from '../protocol/policy.js';
import { createMuxServer } from '../mux/first-byte-mux.js';
import { splitAfterTls } from '../mux/tls-after-peek.js';
import { ConnectionRateLimiter } from '../transport/rate-limiter.js';
import { createSelfSignedCertificate } from '../transport/tls-certificate.js';
import { tlsServerOptions, type TlsServerCredentials } from '../transport/tls-options.js';
import { ToqEndpoint, type HostedAgent, type SessionTimeouts } from '../transport/toq-endpoint.js';
import type { DeliveredIds, SendFields, SendOutcome, ToqSession } from '../transport/toq-session.js';
import { ProtocolError } from '../protocol/errors.js';

/** How long a peer may answer on a thread we opened. */
const REPLY_GRANT_MS = 24 * 60 * 60 * 1000;

export interface GatewayAgentOptions {
  readonly name: string;
  readonly identity: Identity;
  /** What the agent's toq card advertises (e.g. `a2a-bridge/1`, DESIGN §5.1). */
  readonly capabilities?: readonly string[];
  /** `accept_files`, in the card as the reference sends it (wire spec §6.2). @default false */
  readonly acceptFiles?: boolean;
  /** `max_file_size` in bytes, in the card only when acceptFiles. */
  readonly maxFileSize?: number;
}

export interface GatewayOptions {
  /** The host in our own addresses (wire spec §2.3). @default "localhost" */
  readonly host?: string;
  /** TCP port; 0 picks a free one. @default 9009 */
  readonly port?: number;
  /** Interface to bind. @default "0.0.0.0" (the reference binds IPv4 on all interfaces) */
  readonly bindAddress?: string;
  /** Our agents; the first is the default one. */
  readonly agents: readonly GatewayAgentOptions[];
  /** @default "approval" */
  readonly connectionMode?: ConnectionMode;
  /** The connection policy, when the caller keeps (and persists) it. @default a new one for connectionMode */
  readonly policy?: PolicyEngine;
  /** TLS certificate for the port. @default a fresh self-signed one (SAN localhost) */
  readonly certificate?: TlsServerCredentials;
  /** Every delivered inbound message. The ack waits for it (commit first, then return). */
  readonly onMessage?: (envelope: Envelope, session: ToqSession) => void | Promise<void>;
  /**
   * Every `message.cancel` for us, and every `system.error` no send of ours was waiting for (not
   * acked, in order with the messages); see ToqSessionOptions.onNotice.
   */
  readonly onNotice?: (envelope: Envelope, session: ToqSession) => void | Promise<void>;
  /**
   * Serves plain HTTP and HTTPS on the port (local API, later A2A). Gets the HTTP server's
   * requests; sockets come from any address, so it must check who may use what.
   * @default a JSON 404 for everything
   */
  readonly httpHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** First-byte peek deadline. @default 5000 */
  readonly peekTimeoutMs?: number;
  /** TLS handshake deadline for inbound connections. @default 5000 */
  readonly tlsTimeoutMs?: number;
  /** Time allowed between the TLS handshake and the first application bytes. @default 5000 */
  readonly magicTimeoutMs?: number;
  readonly timeouts?: SessionTimeouts;
  /** Ids already delivered (durable in the daemon). @default an in-memory window */
  readonly dedup?: DeliveredIds;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface Gateway {
  readonly port: number;
  readonly endpoint: ToqEndpoint;
  readonly policy: PolicyEngine;
  readonly agents: readonly HostedAgent[];
  /** Canonical address of agent `name` (default: the first agent), an added one included. */
  addressOf(name?: string): string;
  /**
   * Hosts one more identity from now on (DESIGN §4: an A2A principal's derived identity), with an
   * address on our port and a card like the configured agents'. Idempotent for the same key.
   */
  addAgent(agent: GatewayAgentOptions): HostedAgent;
  /**
   * Stops hosting a derived identity (DESIGN §4: evicted; added by addAgent or in the start list
   * after a recovery): handshakes naming it are refused from now on and its sessions, both ways,
   * close. Unknown names are a no-op. Not for configured agents, which have their own receivers.
   */
  removeAgent(name: string): Promise<void>;
  /**
   * Sends over the pooled session and, for messages on a thread, grants the peer a reply-only
   * pass on that thread first (so its answer gets through our approval or allowlist mode).
   */
  send(target: string, fields: SendFields, options?: { fromAgent?: string }): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** Binds the port, then builds the endpoint for the addresses that port implies. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log;
  const now = options.now ?? Date.now;
  const credentials = options.certificate ?? createSelfSignedCertificate();
  const policy = options.policy ?? new PolicyEngine({ mode: options.connectionMode ?? 'approval' }, { now });
  // The endpoint needs the bound port (for our addresses), the listener needs the endpoint:
  // the TLS callback reads it through this holder, empty until the port is bound.
  const holder: { endpoint?: ToqEndpoint } = {};

  const http = createHttpServer(options.httpHandler ?? answerHttp);
  // The HTTP server never listens (sockets are handed to it), so node does not track its
  // connections and closeAllConnections() finds none: they are tracked here, so that a closed
  // gateway does not go on serving requests on a client's keep-alive connection.
  const httpSockets = new Set<Socket>();
  const toHttp = (socket: Socket): void => {
    httpSockets.add(socket);
    socket.once('close', () => httpSockets.delete(socket));
    http.emit('connection', socket);
  };
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;

  const tls = splitAfterTls({
    tlsOptions: tlsServerOptions(credentials),
    ...(options.tlsTimeoutMs !== undefined && { tlsTimeoutMs: options.tlsTimeoutMs }),
    ...(options.magicTimeoutMs !== undefined && { magicTimeoutMs: options.magicTimeoutMs }),
    magic: MAGIC,
    log: log.child({ component: 'tls' }),
    onMagic: (socket) => {
      if (!holder.endpoint) {
        socket.destroy();
        return;
      }
      void holder.endpoint.accept(socket, socket.remoteAddress);
    },
    onOther: (socket) => toHttp(socket),
  });

  const mux: Server = createMuxServer({
    ...(options.peekTimeoutMs !== undefined && { peekTimeoutMs: options.peekTimeoutMs }),
    admission: new ConnectionRateLimiter(),
    onTls: (socket) => tls.accept(socket),
    onPlain: (socket) => toHttp(socket),
    log: log.child({ component: 'mux' }),
  });
  mux.listen(options.port ?? 9009, options.bindAddress ?? '0.0.0.0');
  await once(mux, 'listening');
  const port = (mux.address() as AddressInfo).port;
  const host = options.host ?? 'localhost';

  const hostedAgent = (agent: GatewayAgentOptions): HostedAgent => ({
    name: agent.name,
    identity: agent.identity,
    address: formatAddress(createAddress(host, agent.name, port)),
    card: buildLocalCard({ name: agent.name, publicKeyText: agent.identity.publicKeyText, connectionMode: policy.mode, ...(agent.capabilities !== undefined && { capabilities: agent.capabilities }), ...(agent.acceptFiles !== undefined && { acceptFiles: agent.acceptFiles }), ...(agent.maxFileSize !== undefined && { maxFileSize: agent.maxFileSize }) }),
  });
  const agents: HostedAgent[] = options.agents.map(hostedAgent);

  const decide = async (peer: DecidePeer): Promise<PolicyVerdictForSetup> => {
    const decision = policy.check({ publicKey: peer.publicKey, address: peer.address });
    log.debug({ peer: peer.address, verdict: decision.verdict, reason: decision.reason }, 'connection policy');
    switch (decision.verdict) {
      case 'accept':
      case 'reply-only':
        // Reply-only peers get a session; which threads they may use is checked per message.
        return 'accept';
      case 'pending':
        return policy.addPending(peer.publicKey, peer.address) ? 'pending' : 'reject';
      case 'reject':
        return 'reject';
    }
  };

  /**
   * Reply-only peers (DESIGN §4): a peer we opened a thread with may answer on that thread even
   * when the mode would hold or refuse it; anything else from it is refused and queued for approval.
   */
  const checkReplyOnly = (envelope: Envelope, session: ToqSession): void => {
    const decision = policy.check({ publicKey: session.peer.publicKey, address: session.peer.address });
    if (decision.verdict === 'accept') return;
    const thread = envelope.thread_id;
    if (decision.verdict === 'reply-only' && thread !== undefined && policy.isReplyAllowed(session.peer.publicKey, thread)) return;
    if (decision.verdict === 'reject') throw new ProtocolError('blocked', 'not allowed: only replies on threads this agent opened are accepted');
    // Held for approval, as a new connection would be; the sender retries (the code says "not yet").
    policy.addPending(session.peer.publicKey, session.peer.address);
    throw new ProtocolError('approval_timeout', 'Connection pending approval by remote agent');
  };

  const endpoint = new ToqEndpoint({
    agents,
    decide,
    onEnvelope: async (envelope, session) => {
      checkReplyOnly(envelope, session);
      await options.onMessage?.(envelope, session);
    },
    ...(options.onNotice !== undefined && {
      onNotice: async (envelope: Envelope, session: ToqSession) => {
        if (envelope.type === 'system.error') {
          // It names our message by related_id, not a thread: a peer we only take replies from may
          // still report on a message we sent it (DESIGN §5.2); a blocked one is not heard.
          if (policy.check({ publicKey: session.peer.publicKey, address: session.peer.address }).verdict === 'reject') return;
        } else {
          // The same rules as for messages: a reply-only peer may only cancel on its threads.
          checkReplyOnly(envelope, session);
        }
        await options.onNotice!(envelope, session);
      },
    }),
    log: log.child({ component: 'toq' }),
    now,
    ...(options.dedup !== undefined && { dedup: options.dedup }),
    ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
  });
  log.info({ port, agents: agents.map((a) => a.address) }, 'gateway listening');

  holder.endpoint = endpoint;
  return {
    port,
    endpoint,
    policy,
    agents,
    addressOf: (name) => {
      const agent = name === undefined ? agents[0] : (agents.find((a) => a.name === name) ?? endpoint.agent(name));
      if (!agent) throw new RangeError(`no agent named "${String(name)}"`);
      return canonicalAddress(agent.address);
    },
    addAgent: (agent) => {
      const added = hostedAgent(agent);
      endpoint.addAgent(added);
      return endpoint.agent(agent.name);
    },
    removeAgent: (name) => endpoint.removeAgent(name),
    send: async (target, fields, sendOptions = {}) => {
      if (fields.thread_id !== undefined && fields.type !== 'thread.close') {
        const session = await endpoint.session(target, sendOptions.fromAgent);
        policy.grantReply({ publicKey: session.peer.publicKey, threadId: fields.thread_id, expiresAtMs: now() + REPLY_GRANT_MS });
      }
      return endpoint.send(target, fields, sendOptions);
    },
    close: async () => {
      mux.close();
      await endpoint.close();
      http.close();
      http.closeAllConnections();
      for (const socket of httpSockets) socket.destroy();
      await new Promise<void>((resolve) => (mux.listening ? mux.close(() => resolve()) : resolve()));
    },
  };
}

/** Without an HTTP handler, HTTP answers a JSON 404 (and proves the port split works). */
function answerHttp(req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({ error: 'not_found', message: `no route for ${req.method ?? 'GET'} ${req.url ?? '/'}` });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}


