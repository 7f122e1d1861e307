// The run-time registry of A2A principals' derived toq identities (DESIGN §4,
// `a2a_principal_identities`): derives them (gateway/principal-identity.ts) from the workspace
// master secret (keys/master.key, created 0600 on first use), makes the endpoint host them (they
// dial with their own pooled sessions and accept replies) and routes what is addressed to them
// to the hosted agent they speak for. It never decides who counts as a principal (the toq-upstream
// bridge does: authenticated callers only) and never writes a principal's name anywhere.
//
// Identities stay registered until the daemon stops: one per (hosted agent, principal) that
// called since the start, plus those of turns still open at start (recover), so their count is
// bounded by the callers a gateway has, not by its traffic.
//
// The local agent's A2A path (local-agent-bridge.ts) does not use derived identities: an A2A call
// to the local agent never crosses toq (it is handed to the agent's own handlers and SSE listeners
// as the reference does, `from` = "a2a-client", which reference handlers expect as TOQ_FROM), so
// no toq policy would ever see a derived key there; callers are told apart by their task scope
// and thread ids already.

import type { Logger } from 'pino';
import { derivePrincipalIdentity, type PrincipalIdentity } from '../gateway/principal-identity.js';
import type { OpenDerivedSender } from '../gateway/toq-upstream-task-store.js';
import type { HostedAgent } from '../transport/toq-endpoint.js';
import { loadOrCreateMasterSecret } from '../workspace/identity-files.js';
import type { GatewayAgentOptions } from './gateway.js';
import type { HostedAgents } from './hosted-agents.js';

export interface PrincipalIdentitiesOptions {
  /** The workspace (its keys/master.key is the derivation's secret). */
  readonly configDir: string;
  /** The local agent's name: no derived identity may take it. */
  readonly localAgentName: string;
  /** What the derived identities' toq cards advertise (as the hosted agents' cards). */
  readonly capabilities?: readonly string[];
}

export interface PrincipalIdentitiesDeps {
  readonly hosted: HostedAgents;
  readonly log: Logger;
}

interface Registered {
  /** The hosted agent the identity speaks for. */
  readonly agent: string;
  /** `agent` 0x00 `principal`: tells a (never expected) name collision from a repeat. */
  readonly key: string;
  readonly identity: PrincipalIdentity['identity'];
}

export class PrincipalIdentities {
  readonly #options: PrincipalIdentitiesOptions;
  readonly #hosted: HostedAgents;
  readonly #log: Logger;
  #masterSecret: Uint8Array | undefined;
  /** (agent 0x00 principal) → derived name: one derivation per caller. */
  readonly #names = new Map<string, string>();
  readonly #byName = new Map<string, Registered>();
  /** Where registrations go once the port is open; before that they wait for agents(). */
  #addToGateway: ((agent: GatewayAgentOptions) => HostedAgent) | undefined;

  constructor(options: PrincipalIdentitiesOptions, deps: PrincipalIdentitiesDeps) {
    this.#options = options;
    this.#hosted = deps.hosted;
    this.#log = deps.log.child({ component: 'principal-identities' });
  }

  /**
   * The identity that speaks for `principal` when it calls hosted agent `agent`: derived, hosted by
   * the endpoint and routed to `agent` (all idempotent). Returns its toq agent name.
   */
  register(agent: string, principal: string): string {
    const known = this.#names.get(keyOf(agent, principal));
    if (known !== undefined) return known;
    const derived = derivePrincipalIdentity(this.#secret(), agent, principal);
    this.#add(agent, principal, derived);
    return derived.name;
  }

  /**
   * At start, before the port opens: the derived senders of turns still open (from the task
   * store) are registered again, so late replies to them land. A sender that no longer derives
   * from its (agent, owner), say after keys/master.key was replaced, is skipped with a warning:
   * its replies are refused, as for any unknown agent.
   */
  recover(senders: readonly OpenDerivedSender[]): void {
    for (const { agent, owner, sender } of senders) {
      try {
        const derived = derivePrincipalIdentity(this.#secret(), agent, owner);
        if (derived.name !== sender) {
          this.#log.warn({ agent, sender, derived: derived.name }, 'an open task was sent by an identity the master secret no longer derives; its replies will be refused');
          continue;
        }
        this.#add(agent, owner, derived);
      } catch (err) {
        // A task of a hosted agent since removed from config.toml, say: nobody answers for it now.
        this.#log.warn({ err, agent, sender }, 'derived identity of an open task not registered');
      }
    }
    if (this.#byName.size > 0) this.#log.info({ count: this.#byName.size }, 'derived identities of open A2A tasks registered');
  }

  /** The identities registered so far, for the gateway's agent list when it starts. */
  agents(): GatewayAgentOptions[] {
    return [...this.#byName].map(([name, r]) => this.#agentOptions(name, r));
  }

  /** From now on registrations go straight to the running gateway (those before are in its list). */
  attach(gateway: { addAgent(agent: GatewayAgentOptions): HostedAgent }): void {
    this.#addToGateway = (agent) => gateway.addAgent(agent);
  }

  /** Hosts `derived` for `principal` of hosted agent `agent` (a repeat is a no-op). */
  #add(agent: string, principal: string, derived: PrincipalIdentity): void {
    const { name, identity } = derived;
    const key = keyOf(agent, principal);
    const existing = this.#byName.get(name);
    if (existing !== undefined) {
      if (existing.key === key) return;
      // 80 bits of SHA-256: never expected; refusing beats two callers sharing one identity.
      throw new RangeError(`derived identity name ${name} collides for two principals of ${agent}`);
    }
    if (name === this.#options.localAgentName) throw new RangeError(`derived identity name ${name} is the local agent's name`);
    this.#hosted.addAlias(name, agent);
    const registered: Registered = { agent, key, identity };
    this.#addToGateway?.(this.#agentOptions(name, registered));
    this.#byName.set(name, registered);
    this.#names.set(key, name);
    this.#log.debug({ agent, name }, 'derived identity registered');
  }

  #agentOptions(name: string, r: Registered): GatewayAgentOptions {
    return { name, identity: r.identity, ...(this.#options.capabilities !== undefined && { capabilities: this.#options.capabilities }) };
  }

  #secret(): Uint8Array {
    this.#masterSecret ??= loadOrCreateMasterSecret(this.#options.configDir);
    return this.#masterSecret;
  }
}

/** `agent` 0x00 `principal`: one caller of one hosted agent. */
function keyOf(agent: string, principal: string): string {
  return `${agent}\u0000${principal}`;
}
