// A toq endpoint: the native-protocol side of one gateway. It accepts inbound toq sessions
// (sockets handed over by mux/ after TLS and the magic bytes) for any of its hosted agents, and
// keeps one persistent, pipelined outbound session per (our agent, peer) pair, so a send costs one
// frame, not a TCP + TLS + handshake per message as in the reference (wire spec §9, §21 item 8).
// It decides nothing itself: policy and delivery are callbacks given by the composition root.

import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { AgentCard } from '../protocol/card.js';
import type { DecidePeer, EstablishedLocal, PolicyVerdictForSetup } from '../protocol/connection-setup.js';
import { TLS_TIMEOUT_MS } from '../protocol/constants.js';
import { DedupWindow } from '../protocol/envelope-checks.js';
import type { Identity } from '../protocol/ed25519.js';
import { GatewayError } from '../protocol/errors.js';
import { InitiatorSetup } from '../protocol/initiator-setup.js';
import { ReceiverSetup } from '../protocol/receiver-setup.js';
import { canonicalAddress, parseAddress } from '../protocol/address.js';
import type { Envelope } from '../protocol/envelope.js';
import { resolveToqTarget, type TargetResolver } from './resolve-target.js';
import { runSetup, type SetupTimeouts } from './setup-driver.js';
import { toqClientTlsOptions } from './tls-options.js';
import { TlsSessionCache } from './tls-session-cache.js';
import { ToqSession, type DeliveredIds, type SendFields, type SendOutcome } from './toq-session.js';

/** One identity this endpoint answers for (DESIGN §3: `target_agent` picks it). */
export interface HostedAgent {
  readonly name: string;
  readonly identity: Identity;
  /** Canonical address, e.g. `toq://localhost:9010/alice`. */
  readonly address: string;
  readonly card: AgentCard;
}

export interface SessionTimeouts {
  /** TCP connect when dialing. @default 5000 */
  readonly connectMs?: number;
  /** TLS handshake when dialing. @default 5000 */
  readonly tlsMs?: number;
  readonly setup?: SetupTimeouts;
  /** @default 10000 */
  readonly ackMs?: number;
  /** @default 30000 */
  readonly heartbeatIntervalMs?: number;
  /** @default 90000 */
  readonly heartbeatTimeoutMs?: number;
  /** Inbound sessions with no traffic for this long are closed. @default 900000 */
  readonly inboundIdleMs?: number;
}

export interface ToqEndpointOptions {
  /** The agents we host; the first is the default when a peer names no `target_agent`. */
  readonly agents: readonly HostedAgent[];
  /** Connection policy for an inbound peer that passed the handshake (§4.4). */
  readonly decide: (peer: DecidePeer, agent: EstablishedLocal) => Promise<PolicyVerdictForSetup>;
  /** Every deliverable inbound message; the ack is sent after this settles (commit first). */
  readonly onEnvelope: (envelope: Envelope, session: ToqSession) => void | Promise<void>;
  /** Unacked envelopes a receiver acts on (message.cancel, a system.error no send waited for); see ToqSessionOptions.onNotice. */
  readonly onNotice?: (envelope: Envelope, session: ToqSession) => void | Promise<void>;
  /** Ids already delivered. @default an in-memory window of DEDUP_WINDOW_MS */
  readonly dedup?: DeliveredIds;
  /** Where to dial an address. @default DNS TXT for names without a port, loopback for local names */
  readonly resolveTarget?: TargetResolver;
  readonly timeouts?: SessionTimeouts;
  readonly log: Logger;
  readonly now?: () => number;
  /** Called once per established session (inbound and outbound). */
  readonly onSession?: (session: ToqSession) => void;
}

export class ToqEndpoint {
  private readonly agents: Map<string, HostedAgent>;
  private defaultAgent: HostedAgent;
  private readonly outbound = new Map<string, Promise<ToqSession>>();
  private readonly inbound = new Set<ToqSession>();
  private readonly pendingSockets = new Set<Duplex>();
  private readonly tlsSessions = new TlsSessionCache();
  private readonly dedup: DeliveredIds;
  private readonly resolveTarget: TargetResolver;
  private readonly log: Logger;
  private readonly now: () => number;
  private isClosed = false;

  constructor(private readonly options: ToqEndpointOptions) {
    const first = options.agents[0];
    if (first === undefined) throw new RangeError('a toq endpoint needs at least one agent');
    this.defaultAgent = first;
    this.agents = new Map(options.agents.map((a) => [a.name, a]));
    this.log = options.log;
    this.now = options.now ?? Date.now;
    const window = new DedupWindow({ now: this.now });
    this.dedup = options.dedup ?? window;
    this.resolveTarget = options.resolveTarget ?? resolveToqTarget;
  }

  /** The agent as it is now (its identity changes with key rotation). */
  agent(name?: string): HostedAgent {
    return this.agentNamed(name);
  }

  /**
   * Adds an identity at run time (DESIGN §4: an A2A principal's derived identity): from now on it
   * can dial (its own pooled sessions) and inbound handshakes may name it as `target_agent`.
   * Adding the same name with the same key again is a no-op; another key under a taken name is a
   * RangeError (rotation is rotateIdentity's job).
   */
  addAgent(agent: HostedAgent): void {
    const current = this.agents.get(agent.name);
    if (current !== undefined) {
      if (current.identity.publicKeyText === agent.identity.publicKeyText) return;
      throw new RangeError(`agent "${agent.name}" is already hosted with another key`);
    }
    this.agents.set(agent.name, agent);
  }

  /**
   * Stops hosting `name` (DESIGN §4: an evicted derived identity): from now on inbound handshakes
   * naming it are refused (agent not found) and it can no longer dial; its open sessions, both
   * ways, are closed gracefully. A name not hosted is a no-op; the default agent cannot go.
   */
  async removeAgent(name: string): Promise<void> {
    if (name === this.defaultAgent.name) throw new RangeError(`the default agent "${name}" cannot be removed`);
    if (!this.agents.delete(name)) return;
    // Out of the pool at once, so that the same name added again dials afresh instead of finding
    // a session that is closing; taken now, so sessions of such a new registration are spared.
    const pooled = [...this.outbound.entries()].filter(([key]) => key.startsWith(`${name} `));
    for (const [key] of pooled) this.outbound.delete(key);
    const inbound = [...this.inbound].filter((s) => s.local.agentName === name);
    const outbound = await Promise.all(pooled.map(([, p]) => p.catch(() => undefined)));
    await Promise.all([...inbound, ...outbound].map((s) => s?.close()));
  }

  /**
   * Key rotation: new sessions of `agentName`, both ways, use `identity` (the reference keeps the
   * old key for inbound connections until a restart, spec §21 item 12); its open sessions, which
   * were authenticated with the old key, are closed gracefully.
   */
  async rotateIdentity(agentName: string, identity: Identity): Promise<void> {
    const current = this.agentNamed(agentName);
    const next: HostedAgent = { ...current, identity, card: { ...current.card, public_key: identity.publicKeyText } };
    this.agents.set(agentName, next);
    if (this.defaultAgent.name === agentName) this.defaultAgent = next;
    const outbound = await Promise.all(
      [...this.outbound.entries()].filter(([key]) => key.startsWith(`${agentName} `)).map(([, p]) => p.catch(() => undefined)),
    );
    const stale = [...this.inbound, ...outbound].filter((s): s is ToqSession => s !== undefined && s.local.agentName === agentName);
    await Promise.all(stale.map((s) => s.close()));
  }

  /** Inbound sessions currently open. */
  inboundSessions(): ToqSession[] {
    return [...this.inbound];
  }

  /** Open sessions (inbound and outbound). */
  get sessionCount(): number {
    return this.inbound.size + this.outbound.size;
  }

  /**
   * Takes an inbound connection after TLS and the magic bytes (mux/ consumed them). Resolves
   * with the session, or undefined when setup did not end in one (refused, pending, bad peer).
   */
  async accept(socket: Duplex, remote = 'unknown'): Promise<ToqSession | undefined> {
    if (this.isClosed) {
      socket.destroy();
      return undefined;
    }
    const log = this.log.child({ remote });
    const machine = new ReceiverSetup({
      resolveAgent: (target) => {
        const agent = target === undefined ? this.defaultAgent : this.agents.get(target);
        return agent && { identity: agent.identity, address: agent.address, card: agent.card };
      },
      now: this.now,
    });
    this.pendingSockets.add(socket);
    try {
      const { established, decoder, pendingFrames } = await runSetup({
        socket,
        machine,
        log,
        decide: this.options.decide,
        ...(this.options.timeouts?.setup !== undefined && { timeouts: this.options.timeouts.setup }),
      });
      const session = this.createSession('inbound', socket, established, decoder, pendingFrames);
      if (!this.agents.has(session.local.agentName)) {
        // Its agent was removed (removeAgent) while this handshake ran: no session outlives it.
        void session.close();
        log.info({ agent: session.local.agentName }, 'inbound toq session closed: its agent is no longer hosted');
        return undefined;
      }
      this.inbound.add(session);
      void session.closed.then(() => this.inbound.delete(session));
      log.info({ peer: session.peer.address, agent: session.local.agentName }, 'inbound toq session established');
      return session;
    } catch (err) {
      log.info({ code: (err as GatewayError).code, reason: (err as Error).message }, 'inbound toq connection ended during setup');
      return undefined;
    } finally {
      this.pendingSockets.delete(socket);
    }
  }

  /** The persistent session from `fromAgent` to `target`, dialing it if needed. */
  async session(target: string, fromAgent?: string): Promise<ToqSession> {
    const agent = this.agentNamed(fromAgent);
    const canonical = canonicalAddress(target);
    const key = `${agent.name} ${canonical}`;
    for (let attempt = 0; ; attempt++) {
      // Every caller awaits the one shared promise in the same way, so callers resume in call
      // order (messages keep their order) and all who joined a dial share its outcome, a failure
      // included: N queued messages never turn into N dials racing each other.
      const pending = this.outbound.get(key) ?? this.startDial(key, canonical, agent);
      const session = await pending;
      if (session.isOpen || attempt > 0) return session;
      // A pooled session that has just closed: forget it and dial once more.
      if (this.outbound.get(key) === pending) this.outbound.delete(key);
    }
  }

  private startDial(key: string, target: string, agent: HostedAgent): Promise<ToqSession> {
    const dialing = this.dial(target, agent);
    this.outbound.set(key, dialing);
    dialing.then(
      (session) => {
        void session.closed.then(() => {
          if (this.outbound.get(key) === dialing) this.outbound.delete(key);
        });
      },
      () => {
        if (this.outbound.get(key) === dialing) this.outbound.delete(key);
      },
    );
    return dialing;
  }

  /**
   * Sends one envelope to `target` over the pooled session and waits for its ack (or the peer's
   * system.error). If the pooled session turns out to be dead before the write, it redials once.
   */
  async send(target: string, fields: SendFields, options: { fromAgent?: string; signal?: AbortSignal } = {}): Promise<SendOutcome> {
    for (let attempt = 0; ; attempt++) {
      const session = await this.session(target, options.fromAgent);
      try {
        return await session.send({ ...fields, to: fields.to ?? canonicalAddress(target) }, options);
      } catch (err) {
        // Only a session found closed before our write ('session_closed') is retried here; a
        // written message whose ack never came ('session_lost') is the caller's to re-send with
        // the same id (the receiver's dedup then keeps it once).
        if (attempt === 0 && err instanceof GatewayError && err.code === 'session_closed') {
          continue;
        }
        throw err;
      }
    }
  }

  /** Closes every session gracefully (session.disconnect) and refuses new ones. */
  async close(): Promise<void> {
    this.isClosed = true;
    for (const socket of this.pendingSockets) socket.destroy();
    const outbound = await Promise.all([...this.outbound.values()].map((p) => p.catch(() => undefined)));
    const all = [...this.inbound, ...outbound.filter((s): s is ToqSession => s !== undefined)];
    await Promise.all(all.map((s) => s.close()));
    this.outbound.clear();
  }

  private agentNamed(name: string | undefined): HostedAgent {
    if (name === undefined) return this.defaultAgent;
    const agent = this.agents.get(name);
    if (!agent) throw new RangeError(`no hosted agent named "${name}"`);
    return agent;
  }

  private async dial(target: string, agent: HostedAgent): Promise<ToqSession> {
    if (this.isClosed) throw new GatewayError('endpoint_closed', 'the toq endpoint is closed');
    const address = parseAddress(target);
    const { host, port } = await this.resolveTarget(address);
    const log = this.log.child({ peer: target });
    const timeouts = this.options.timeouts ?? {};
    const socket = await connectTls(host, port, this.tlsSessions, timeouts.connectMs ?? TLS_TIMEOUT_MS, timeouts.tlsMs ?? TLS_TIMEOUT_MS);
    this.pendingSockets.add(socket);
    try {
      const machine = new InitiatorSetup({
        identity: agent.identity,
        address: agent.address,
        card: agent.card,
        targetAgent: address.name,
        now: this.now,
      });
      const { established, decoder, pendingFrames } = await runSetup({
        socket,
        machine,
        log,
        ...(timeouts.setup !== undefined && { timeouts: timeouts.setup }),
      });
      const session = this.createSession('outbound', socket, established, decoder, pendingFrames);
      log.info({ agent: agent.name, peerKey: session.peer.publicKeyText }, 'outbound toq session established');
      return session;
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      this.pendingSockets.delete(socket);
    }
  }

  private createSession(
    direction: 'inbound' | 'outbound',
    socket: Duplex,
    established: Awaited<ReturnType<typeof runSetup>>['established'],
    decoder: Awaited<ReturnType<typeof runSetup>>['decoder'],
    pendingFrames: readonly Buffer[],
  ): ToqSession {
    const t = this.options.timeouts ?? {};
    const session = new ToqSession({
      direction,
      socket,
      peer: {
        publicKey: established.peer.publicKey,
        publicKeyText: established.peer.publicKeyText,
        keyObject: established.peer.keyObject,
        address: established.peer.address,
        agentName: established.peer.agentName,
        card: established.peer.card,
        sessionId: established.peer.sessionId,
      },
      local: { identity: established.local.identity, address: established.local.address, agentName: established.local.agentName },
      nextSendSequence: established.nextSendSequence,
      lastReceivedSequence: established.lastReceivedSequence,
      decoder,
      pendingFrames,
      dedup: this.dedup,
      log: this.log.child({ peer: established.peer.address, direction }),
      now: this.now,
      onEnvelope: this.options.onEnvelope,
      ...(this.options.onNotice !== undefined && { onNotice: this.options.onNotice }),
      ...(t.ackMs !== undefined && { ackTimeoutMs: t.ackMs }),
      ...(t.heartbeatIntervalMs !== undefined && { heartbeatIntervalMs: t.heartbeatIntervalMs }),
      ...(t.heartbeatTimeoutMs !== undefined && { heartbeatTimeoutMs: t.heartbeatTimeoutMs }),
      ...(t.inboundIdleMs !== undefined && { idleTimeoutMs: t.inboundIdleMs }),
    });
    this.options.onSession?.(session);
    return session;
  }
}

/** TCP then TLS toward a toq peer, each under its own deadline; Nagle off (one frame = one write). */
async function connectTls(host: string, port: number, cache: TlsSessionCache, connectMs: number, tlsMs: number): Promise<TLSSocket> {
  const tcp = netConnect({ host, port });
  tcp.setNoDelay(true);
  const tcpTimer = setTimeout(() => tcp.destroy(new GatewayError('timeout', `TCP connect to ${host}:${port} did not finish within ${connectMs} ms`)), connectMs);
  try {
    await once(tcp, 'connect');
  } finally {
    clearTimeout(tcpTimer);
  }
  const cacheKey = `${host}:${port}`;
  const session = cache.get(cacheKey);
  const tls = tlsConnect({ socket: tcp, ...toqClientTlsOptions(session !== undefined ? { session } : {}) });
  cache.track(tls, cacheKey);
  const tlsTimer = setTimeout(() => tls.destroy(new GatewayError('timeout', `TLS handshake with ${host}:${port} did not finish within ${tlsMs} ms`)), tlsMs);
  try {
    await once(tls, 'secureConnect');
  } catch (err) {
    tcp.destroy();
    throw err;
  } finally {
    clearTimeout(tlsTimer);
  }
  return tls;
}
