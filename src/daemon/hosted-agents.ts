// Upstream agents hosted next to the local agent (DESIGN §3): each `[agents.<name>]` table gets
// its own Ed25519 identity in the workspace and its own toq address on our port. Inbound toq
// traffic for them never reaches the local agent's handlers, SSE stream or history: the session's
// agent picks the receiver registered here (an A2A upstream bridge, a toq upstream relay, ...).
// Derived identities that speak for a hosted agent (DESIGN §4, a2a_principal_identities) are
// aliases: what is addressed to them goes to that agent's receiver and is recorded as its own.

import type { Config } from '../config/config-schema.js';
import type { Identity } from '../protocol/ed25519.js';
import type { Envelope } from '../protocol/envelope.js';
import { ProtocolError } from '../protocol/errors.js';
import type { ToqSession } from '../transport/toq-session.js';
import { loadOrCreateAgentIdentity } from '../workspace/identity-files.js';

/** Gets every deliverable toq envelope addressed to one hosted agent; the ack waits for it. */
export type HostedAgentReceiver = (envelope: Envelope, session: ToqSession) => Promise<void>;

export class HostedAgents {
  private readonly receivers = new Map<string, HostedAgentReceiver>();
  /** Derived identity name → the hosted agent it speaks for. */
  private readonly aliases = new Map<string, string>();

  /** name → identity, for every `[agents.*]` table (created on first start, 0600). */
  readonly identities: ReadonlyMap<string, Identity>;

  constructor(config: Config, configDir: string) {
    this.identities = new Map(config.agents.map((agent) => [agent.name, loadOrCreateAgentIdentity(configDir, agent.name)]));
  }

  get names(): string[] {
    return [...this.identities.keys()];
  }

  /** The component that answers for `name` registers here (once). */
  register(name: string, receiver: HostedAgentReceiver): void {
    if (!this.identities.has(name)) throw new RangeError(`no hosted agent named "${name}"`);
    if (this.receivers.has(name)) throw new RangeError(`hosted agent "${name}" already has a receiver`);
    this.receivers.set(name, receiver);
  }

  /**
   * Routes what is addressed to `alias` (a derived identity, DESIGN §4) to hosted agent `name`.
   * Idempotent; an alias may not shadow a hosted agent or point to two of them.
   */
  addAlias(alias: string, name: string): void {
    if (!this.identities.has(name)) throw new RangeError(`no hosted agent named "${name}"`);
    if (this.identities.has(alias)) throw new RangeError(`"${alias}" is a hosted agent, not an alias`);
    const current = this.aliases.get(alias);
    if (current !== undefined && current !== name) throw new RangeError(`"${alias}" already speaks for hosted agent "${current}"`);
    this.aliases.set(alias, name);
  }

  /** Stops routing `alias` (an evicted derived identity, DESIGN §4); unknown aliases are a no-op. */
  removeAlias(alias: string): void {
    this.aliases.delete(alias);
  }

  /** The hosted agent that `name` is or speaks for (its records and history are that agent's). */
  hostOf(name: string): string {
    return this.aliases.get(name) ?? name;
  }

  /** Delivers to the agent's receiver; with none, the sender gets agent_unavailable and retries. */
  async deliver(name: string, envelope: Envelope, session: ToqSession): Promise<void> {
    const receiver = this.receivers.get(this.hostOf(name));
    if (!receiver) throw new ProtocolError('resource_exhausted', `agent "${name}" is not ready to take messages`);
    await receiver(envelope, session);
  }
}
