// LLM conversation state and turn rules (local-API spec §5.3): history and turn count per
// conversation, the turn limit, the system-prompt suffixes with the reference's exact wording and
// when close_thread is offered. Unlike the reference, a conversation is one (thread, sender) pair,
// so two senders reusing a thread id do not read each other's history. In memory, bounded; no I/O.

import type { ChatMessage } from './provider.js';

/** The reference's default system prompt (llm/mod.rs). */
export const DEFAULT_SYSTEM_PROMPT = 'You are an AI agent communicating via the toq protocol. Respond helpfully and concisely.';
/** Turn limit when neither max_turns nor auto_close is set. */
export const DEFAULT_MAX_TURNS = 10;
/** Conversations kept per handler; the least recently used is forgotten beyond this. */
export const MAX_CONVERSATIONS = 10_000;

/** `max_turns`, else 10, else unlimited (undefined) when auto_close is on and max_turns is not set. */
export function effectiveMaxTurns(maxTurns: number | undefined, autoClose: boolean): number | undefined {
  if (maxTurns !== undefined) return maxTurns;
  return autoClose ? undefined : DEFAULT_MAX_TURNS;
}

/** The turn that reaches the limit is the last one; its reply closes the thread. */
export function isLastTurn(turn: number, maxTurns: number | undefined): boolean {
  return maxTurns !== undefined && turn >= maxTurns;
}

/** close_thread is offered with auto_close, from turn 2 on, and never on the last turn. */
export function shouldOfferCloseTool(autoClose: boolean, turn: number, maxTurns: number | undefined): boolean {
  return autoClose && !isLastTurn(turn, maxTurns) && turn >= 2;
}

/** The system prompt for one turn: the handler's prompt plus the reference's turn suffix. */
export function turnSystemPrompt(prompt: string, turn: number, maxTurns: number | undefined, autoClose: boolean): string {
  if (maxTurns !== undefined) {
    if (isLastTurn(turn, maxTurns)) {
      return `${prompt}\n\nThis is your final response in this conversation (turn ${turn} of ${maxTurns}). Wrap up naturally.`;
    }
    if (autoClose) {
      return `${prompt}\n\nYou are on turn ${turn} of ${maxTurns} in this conversation. When the conversation has been fully explored, use the close_thread tool to end it. Do not close prematurely.`;
    }
    return `${prompt}\n\nYou are on turn ${turn} of ${maxTurns} in this conversation.`;
  }
  if (autoClose) {
    return `${prompt}\n\nWhen the conversation has been fully explored and both sides have shared their thoughts, use the close_thread tool to end it. Do not close prematurely.`;
  }
  return prompt;
}

export interface ConversationKey {
  /** The message's thread id, or its own id when it has none (as the reference). */
  readonly threadId: string;
  /** The message's `from`. */
  readonly sender: string;
}

export interface TurnStart {
  /** 1-based turn number, the user message of this turn included. */
  readonly turn: number;
  readonly maxTurns: number | undefined;
  readonly isLastTurn: boolean;
  /** Snapshot of the history to send, ending with this turn's user message. */
  readonly history: readonly ChatMessage[];
}

interface Conversation {
  readonly threadId: string;
  readonly history: ChatMessage[];
  turns: number;
  /** We closed the thread: further messages are ignored until the peer's thread.close. */
  isClosed: boolean;
}

export class ConversationStore {
  readonly #maxConversations: number;
  // Insertion order doubles as least-recently-used order (touched entries are re-inserted).
  readonly #conversations = new Map<string, Conversation>();
  readonly #byThread = new Map<string, Set<string>>();

  /** @param maxConversations @default MAX_CONVERSATIONS (10000) */
  constructor(maxConversations = MAX_CONVERSATIONS) {
    if (!Number.isSafeInteger(maxConversations) || maxConversations < 1) throw new RangeError(`maxConversations must be a positive integer, got ${maxConversations}`);
    this.#maxConversations = maxConversations;
  }

  get size(): number {
    return this.#conversations.size;
  }

  /**
   * Records the user message and counts the turn; undefined when the conversation was closed
   * by our side (the message is then ignored, §5.3).
   */
  begin(key: ConversationKey, text: string, maxTurns: number | undefined): TurnStart | undefined {
    const id = conversationId(key);
    let conv = this.#conversations.get(id);
    if (conv === undefined) {
      conv = { threadId: key.threadId, history: [], turns: 0, isClosed: false };
      this.#insert(id, conv);
    } else {
      this.#conversations.delete(id);
      this.#conversations.set(id, conv);
    }
    if (conv.isClosed) return undefined;
    conv.history.push({ role: 'user', content: text });
    conv.turns++;
    return { turn: conv.turns, maxTurns, isLastTurn: isLastTurn(conv.turns, maxTurns), history: [...conv.history] };
  }

  /** Records the (redacted) reply; an empty reply is not added to the history, as in the reference. */
  finish(key: ConversationKey, replyText: string, isClosing: boolean): void {
    const conv = this.#conversations.get(conversationId(key));
    if (conv === undefined) return; // cleared by a thread.close while the model was thinking
    if (replyText !== '') conv.history.push({ role: 'assistant', content: replyText });
    if (isClosing) conv.isClosed = true;
  }

  isClosed(key: ConversationKey): boolean {
    return this.#conversations.get(conversationId(key))?.isClosed ?? false;
  }

  turns(key: ConversationKey): number {
    return this.#conversations.get(conversationId(key))?.turns ?? 0;
  }

  /** A thread.close arrived: forget every conversation on that thread. Returns how many. */
  closeThread(threadId: string): number {
    const ids = this.#byThread.get(threadId);
    if (ids === undefined) return 0;
    this.#byThread.delete(threadId);
    for (const id of ids) this.#conversations.delete(id);
    return ids.size;
  }

  #insert(id: string, conv: Conversation): void {
    this.#conversations.set(id, conv);
    let ids = this.#byThread.get(conv.threadId);
    if (ids === undefined) this.#byThread.set(conv.threadId, (ids = new Set()));
    ids.add(id);
    while (this.#conversations.size > this.#maxConversations) {
      const oldest = this.#conversations.keys().next();
      if (oldest.done === true) break;
      const old = this.#conversations.get(oldest.value);
      this.#conversations.delete(oldest.value);
      if (old === undefined) continue;
      const threadIds = this.#byThread.get(old.threadId);
      threadIds?.delete(oldest.value);
      if (threadIds?.size === 0) this.#byThread.delete(old.threadId);
    }
  }
}

// JSON of the pair: unambiguous whatever characters the ids contain.
function conversationId(key: ConversationKey): string {
  return JSON.stringify([key.threadId, key.sender]);
}
