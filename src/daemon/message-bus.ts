// The live message feed behind GET /v1/messages (local-API spec §4): incoming messages and our
// own sends, fanned out to subscribers with the reference's filters (`from` as a policy
// wildcard pattern, `type` exact). In-process only; history is the durable record.

import { addressMatches } from '../protocol/policy.js';
import type { IncomingMessageJson, MessageFilter } from '../local-api/local-api-deps.js';

type Listener = (message: IncomingMessageJson) => void;

export class MessageBus {
  private readonly subscribers = new Set<{ filter: MessageFilter; listener: Listener }>();

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscribe(filter: MessageFilter, listener: Listener): () => void {
    const entry = { filter, listener };
    this.subscribers.add(entry);
    return () => this.subscribers.delete(entry);
  }

  publish(message: IncomingMessageJson): void {
    for (const { filter, listener } of this.subscribers) {
      if (filter.type !== undefined && filter.type !== message.type) continue;
      if (filter.from !== undefined && !addressMatches(filter.from, message.from)) continue;
      listener(message);
    }
  }
}
