import { describe, expect, it } from 'vitest';

import {
  ConversationStore,
  DEFAULT_MAX_TURNS,
  DEFAULT_SYSTEM_PROMPT,
  effectiveMaxTurns,
  shouldOfferCloseTool,
  turnSystemPrompt,
} from '../../../src/handlers/llm/conversation.js';

describe('turn rules (reference llm/handler.rs)', () => {
  it('default prompt and limit', () => {
    expect(DEFAULT_SYSTEM_PROMPT).toBe('You are an AI agent communicating via the toq protocol. Respond helpfully and concisely.');
    expect(effectiveMaxTurns(undefined, false)).toBe(DEFAULT_MAX_TURNS);
    expect(DEFAULT_MAX_TURNS).toBe(10);
    expect(effectiveMaxTurns(undefined, true)).toBeUndefined();
    expect(effectiveMaxTurns(4, true)).toBe(4);
  });

  it('suffix texts', () => {
    expect(turnSystemPrompt('P', 3, 3, false)).toBe('P\n\nThis is your final response in this conversation (turn 3 of 3). Wrap up naturally.');
    expect(turnSystemPrompt('P', 3, 3, true)).toBe('P\n\nThis is your final response in this conversation (turn 3 of 3). Wrap up naturally.');
    expect(turnSystemPrompt('P', 2, 5, true)).toBe(
      'P\n\nYou are on turn 2 of 5 in this conversation. When the conversation has been fully explored, use the close_thread tool to end it. Do not close prematurely.',
    );
    expect(turnSystemPrompt('P', 1, 10, false)).toBe('P\n\nYou are on turn 1 of 10 in this conversation.');
    expect(turnSystemPrompt('P', 7, undefined, true)).toBe(
      'P\n\nWhen the conversation has been fully explored and both sides have shared their thoughts, use the close_thread tool to end it. Do not close prematurely.',
    );
    expect(turnSystemPrompt('P', 7, undefined, false)).toBe('P');
  });

  it('close_thread offered only with auto_close, from turn 2, never on the last turn', () => {
    expect(shouldOfferCloseTool(false, 5, undefined)).toBe(false);
    expect(shouldOfferCloseTool(true, 1, undefined)).toBe(false);
    expect(shouldOfferCloseTool(true, 2, undefined)).toBe(true);
    expect(shouldOfferCloseTool(true, 2, 3)).toBe(true);
    expect(shouldOfferCloseTool(true, 3, 3)).toBe(false);
  });
});

describe('ConversationStore', () => {
  const k = (threadId: string, sender = 'toq://a/x') => ({ threadId, sender });

  it('counts turns, keeps history, and closes', () => {
    const store = new ConversationStore();
    const t1 = store.begin(k('t'), 'hi', 2)!;
    expect(t1).toMatchObject({ turn: 1, isLastTurn: false, history: [{ role: 'user', content: 'hi' }] });
    store.finish(k('t'), 'hello', false);
    const t2 = store.begin(k('t'), 'more', 2)!;
    expect(t2.turn).toBe(2);
    expect(t2.isLastTurn).toBe(true);
    expect(t2.history).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'more' },
    ]);
    store.finish(k('t'), 'bye', true);
    expect(store.isClosed(k('t'))).toBe(true);
    expect(store.begin(k('t'), 'again', 2)).toBeUndefined();
    expect(store.turns(k('t'))).toBe(2);
    expect(store.closeThread('t')).toBe(1);
    expect(store.begin(k('t'), 'fresh', 2)?.turn).toBe(1);
  });

  it('does not add an empty reply to the history', () => {
    const store = new ConversationStore();
    store.begin(k('t'), 'hi', undefined);
    store.finish(k('t'), '', false);
    expect(store.begin(k('t'), 'again', undefined)!.history.map((m) => m.role)).toEqual(['user', 'user']);
  });

  it('keeps senders on the same thread apart; thread.close clears them all', () => {
    const store = new ConversationStore();
    store.begin(k('t', 'toq://a/x'), 'from a', undefined);
    store.finish(k('t', 'toq://a/x'), 'to a', false);
    const other = store.begin(k('t', 'toq://b/y'), 'from b', undefined)!;
    expect(other.turn).toBe(1);
    expect(other.history).toEqual([{ role: 'user', content: 'from b' }]);
    expect(store.closeThread('t')).toBe(2);
    expect(store.size).toBe(0);
  });

  it('a finish after the thread was cleared is ignored', () => {
    const store = new ConversationStore();
    store.begin(k('t'), 'hi', 1);
    store.closeThread('t');
    store.finish(k('t'), 'late', true);
    expect(store.isClosed(k('t'))).toBe(false);
  });

  it('forgets the least recently used conversation beyond the cap', () => {
    const store = new ConversationStore(2);
    store.begin(k('t1'), 'a', undefined);
    store.begin(k('t2'), 'b', undefined);
    store.begin(k('t1'), 'c', undefined); // t1 is now the most recent
    store.begin(k('t3'), 'd', undefined);
    expect(store.size).toBe(2);
    expect(store.turns(k('t2'))).toBe(0);
    expect(store.turns(k('t1'))).toBe(2);
    expect(store.closeThread('t2')).toBe(0);
  });
});
