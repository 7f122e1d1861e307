// Upstream agents hosted next to the local agent (DESIGN §3): each `[agents.<name>]` table gets
// its own Ed25519 identity in the workspace and its own toq address on our port. Inbound toq
// traffic for them never reaches the local agent's handlers, SSE stream or history: the session's
// agent picks the receiver registered here (an A2A upstream bridge, a toq upstream relay, ...).

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

  /** Delivers to the agent's receiver; with none, the sender gets agent_unavailable and retries. */
  async deliver(name: string, envelope: Envelope, session: ToqSession): Promise<void> {
    const receiver = this.receivers.get(name);
    if (!receiver) throw new ProtocolError('resource_exhausted', `agent "${name}" is not ready to take messages`);
    await receiver(envelope, session);
  }
}
