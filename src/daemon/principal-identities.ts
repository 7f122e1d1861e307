// The run-time registry of A2A principals' derived toq identities (DESIGN §4,
// `a2a_principal_identities`): derives them (gateway/principal-identity.ts) from the workspace
// master secret (keys/master.key, created 0600 on first use), makes the endpoint host them (they
// dial with their own pooled sessions and accept replies) and routes what is addressed to them
// to the hosted agent they speak for. It never decides who counts as a principal (the toq-upstream
// bridge does: authenticated callers only) and never writes a principal's name anywhere.
//
// At most `cap` identities (DERIVED_IDENTITY_CAP) are hosted at once. Registering one more at the
// cap evicts the least recently used (registered or used for a call: every A2A call of a principal
// registers) that sent no turn still waiting for a reply, and eviction really unhosts: the alias
// goes, the endpoint refuses handshakes naming it and closes its sessions. The same principal
// calling again derives the same identity and is hosted again. An identity with an open turn is
// never evicted, so a late reply always lands; found at the head of the order, it counts as in use
// (moved to the back), so a registration looks at EVICTION_SCAN_LIMIT identities at most.
// When none of those can go, the cap is exceeded (one warning per crossing) rather than the call
// refused: refusing would let whoever keeps turns open lock every other caller out, while an
// identity costs a key pair, a card and two map entries; its sessions are closed by the far
// side's idle timeout. Eviction runs only inside register(), synchronously, and the bridge opens
// the turn of a call in the same tick as it registers the call's sender, so an identity is never
// evicted between its registration and its turn's row.
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

/** Derived identities hosted at once (docs/LIMITS.md); see the header for what happens at the cap. */
export const DERIVED_IDENTITY_CAP = 10_000;
/** Identities a registration at the cap looks at, oldest first, for one to evict. */
export const EVICTION_SCAN_LIMIT = 64;

export interface PrincipalIdentitiesOptions {
  /** The workspace (its keys/master.key is the derivation's secret). */
  readonly configDir: string;
  /** The local agent's name: no derived identity may take it. */
  readonly localAgentName: string;
  /** What the derived identities' toq cards advertise (as the hosted agents' cards). */
  readonly capabilities?: readonly string[];
  /** Identities hosted at once before the least recently used idle ones are evicted. @default DERIVED_IDENTITY_CAP */
  readonly cap?: number;
}

export interface PrincipalIdentitiesDeps {
  readonly hosted: HostedAgents;
  readonly log: Logger;
  /**
   * Whether the identity `name` sent a turn that still waits for a reply (the toq-upstream task
   * store's hasOpenTurnFrom): such an identity is never evicted. Answer true when unsure.
   */
  readonly hasOpenTurn: (name: string) => boolean;
}

/** What the running gateway does for us: host an identity, and stop hosting it. */
export interface IdentityHost {
  addAgent(agent: GatewayAgentOptions): HostedAgent;
  removeAgent(name: string): Promise<void>;
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
  readonly #hasOpenTurn: (name: string) => boolean;
  readonly #cap: number;
  #masterSecret: Uint8Array | undefined;
  /** (agent 0x00 principal) → derived name: one derivation per caller. */
  readonly #names = new Map<string, string>();
  /** Derived name → registration, least recently used first (a use moves it to the end). */
  readonly #byName = new Map<string, Registered>();
  /** Where registrations go once the port is open; before that they wait for agents(). */
  #gateway: IdentityHost | undefined;
  /** Over the cap since the last warning: warn once per crossing, not once per registration. */
  #isOverCap = false;

  constructor(options: PrincipalIdentitiesOptions, deps: PrincipalIdentitiesDeps) {
    const cap = options.cap ?? DERIVED_IDENTITY_CAP;
    if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError(`derived identity cap must be an integer of at least 1, got ${cap}`);
    this.#options = options;
    this.#cap = cap;
    this.#hosted = deps.hosted;
    this.#hasOpenTurn = deps.hasOpenTurn;
    this.#log = deps.log.child({ component: 'principal-identities' });
  }

  /** Identities hosted now. */
  get size(): number {
    return this.#byName.size;
  }

  /**
   * The identity that speaks for `principal` when it calls hosted agent `agent`: derived, hosted by
   * the endpoint and routed to `agent` (all idempotent), and marked as the most recently used; at
   * the cap, idle identities are evicted first (see the header). Returns its toq agent name.
   */
  register(agent: string, principal: string): string {
    const known = this.#names.get(keyOf(agent, principal));
    if (known !== undefined) {
      this.#touch(known);
      return known;
    }
    const derived = derivePrincipalIdentity(this.#secret(), agent, principal);
    this.#add(agent, principal, derived, { makeRoom: true });
    return derived.name;
  }

  /**
   * At start, before the port opens: the derived senders of turns still open (from the task
   * store) are registered again, so late replies to them land. A sender that no longer derives
   * from its (agent, owner), say after keys/master.key was replaced, is skipped with a warning:
   * its replies are refused, as for any unknown agent. All of them are kept, the cap or not: each
   * has an open turn.
   */
  recover(senders: readonly OpenDerivedSender[]): void {
    for (const { agent, owner, sender } of senders) {
      try {
        const derived = derivePrincipalIdentity(this.#secret(), agent, owner);
        if (derived.name !== sender) {
          this.#log.warn({ agent, sender, derived: derived.name }, 'an open task was sent by an identity the master secret no longer derives; its replies will be refused');
          continue;
        }
        this.#add(agent, owner, derived, { makeRoom: false });
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

  /** From now on registrations go straight to the running gateway (those before are in its list), and evictions too. */
  attach(gateway: IdentityHost): void {
    this.#gateway = gateway;
  }

  /** Hosts `derived` for `principal` of hosted agent `agent` (a repeat is a no-op). */
  #add(agent: string, principal: string, derived: PrincipalIdentity, options: { readonly makeRoom: boolean }): void {
    const { name, identity } = derived;
    const key = keyOf(agent, principal);
    const existing = this.#byName.get(name);
    if (existing !== undefined) {
      if (existing.key === key) return;
      // 80 bits of SHA-256: never expected; refusing beats two callers sharing one identity.
      throw new RangeError(`derived identity name ${name} collides for two principals of ${agent}`);
    }
    if (name === this.#options.localAgentName) throw new RangeError(`derived identity name ${name} is the local agent's name`);
    if (options.makeRoom) this.#makeRoom();
    this.#hosted.addAlias(name, agent);
    const registered: Registered = { agent, key, identity };
    this.#gateway?.addAgent(this.#agentOptions(name, registered));
    this.#byName.set(name, registered);
    this.#names.set(key, name);
    this.#log.debug({ agent, name }, 'derived identity registered');
    this.#checkCap();
  }

  /**
   * Evicts least recently used identities without an open turn until one more fits under the cap,
   * looking at EVICTION_SCAN_LIMIT of them at most; one with an open turn is in use: to the back.
   */
  #makeRoom(): void {
    const limit = Math.min(this.#byName.size, EVICTION_SCAN_LIMIT);
    for (let looked = 0; looked < limit && this.#byName.size >= this.#cap; looked++) {
      const oldest = this.#byName.keys().next();
      if (oldest.done === true) return;
      const name = oldest.value;
      let isInUse: boolean;
      try {
        isInUse = this.#hasOpenTurn(name);
      } catch (err) {
        // Unsure whether a reply is still due: keep everything this time (the cap gives way).
        this.#log.warn({ err, name }, 'open turns of a derived identity not readable; nothing evicted');
        return;
      }
      if (isInUse) this.#touch(name);
      else this.#evict(name);
    }
  }

  /** Unhosts `name`: no alias, no endpoint agent (handshakes naming it are refused), no sessions. */
  #evict(name: string): void {
    const registered = this.#byName.get(name);
    if (registered === undefined) return;
    this.#byName.delete(name);
    this.#names.delete(registered.key);
    this.#hosted.removeAlias(name);
    // Synchronously unhosted (removeAgent's first step); only the sessions' graceful close is awaited.
    this.#gateway?.removeAgent(name).catch((err: unknown) => this.#log.warn({ err, name }, 'sessions of an evicted derived identity not closed cleanly'));
    this.#log.debug({ agent: registered.agent, name }, 'derived identity evicted');
  }

  /** A use: `name` becomes the most recently used. */
  #touch(name: string): void {
    const registered = this.#byName.get(name);
    if (registered === undefined) return;
    this.#byName.delete(name);
    this.#byName.set(name, registered);
  }

  /** After a registration (not after each eviction: one that makes room for the next is no crossing). */
  #checkCap(): void {
    const isOver = this.#byName.size > this.#cap;
    if (isOver && !this.#isOverCap) {
      this.#log.warn({ count: this.#byName.size, cap: this.#cap }, 'derived identities over the cap: those that could be evicted all wait for a reply; kept so the replies land');
    }
    this.#isOverCap = isOver;
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
