// One LLM handler at run time (local-API spec §5.3): for each message, build the system prompt
// (prompt_file re-read every time), call the provider with the conversation so far, redact the
// answer and reply through the injected ReplyFn. Better than the reference: turns on one thread run
// one after another (no race on the history), provider calls are capped per handler, and stop()
// aborts them. It never spawns processes and never sends anything except through `reply`.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';

import { ConcurrencyLimiter, QueueRejectedError } from '../concurrency-limiter.js';
import { messageText, type HandlerMessage } from '../handler-message.js';
import type { HandlerSpec } from '../handler-spec.js';
import { ConversationStore, DEFAULT_SYSTEM_PROMPT, effectiveMaxTurns, shouldOfferCloseTool, turnSystemPrompt, type ConversationKey } from './conversation.js';
import type { ReplyFn } from './local-api-replier.js';
import { CLOSE_THREAD_TOOL, type CompleteFn } from './provider.js';
import { redact, redactText } from './redact.js';

/** Provider calls of one handler running at once. */
export const LLM_MAX_CONCURRENT = 8;
/** Messages of one handler waiting (for their thread or for a slot); more are dropped. */
export const LLM_MAX_QUEUED = 256;

export interface LlmHandlerOptions {
  /** Base for a relative prompt_file. @default the daemon's working directory */
  cwd?: string | undefined;
  /** @default LLM_MAX_CONCURRENT (8) */
  maxConcurrent?: number | undefined;
  /** @default LLM_MAX_QUEUED (256) */
  maxQueued?: number | undefined;
  /** @default MAX_CONVERSATIONS (10000) */
  maxConversations?: number | undefined;
  /** Reads prompt_file. @default fs.promises.readFile as UTF-8 */
  readTextFile?: ((path: string) => Promise<string>) | undefined;
}

export interface LlmHandlerDeps {
  complete: CompleteFn;
  reply: ReplyFn;
  log: Logger;
}

/**
 * `replied` (with the turn and whether it closed the thread), `ignored` (the conversation was
 * closed by us), `failed` (provider or reply; the error message is redacted), `dropped` (queue
 * full) or `stopped` (by stop()).
 */
export type LlmTurnOutcome =
  | { readonly outcome: 'replied'; readonly turn: number; readonly closeThread: boolean; readonly isRedacted: boolean }
  | { readonly outcome: 'ignored' }
  | { readonly outcome: 'failed'; readonly stage: FailureStage; readonly code: string; readonly message: string }
  | { readonly outcome: 'dropped' }
  | { readonly outcome: 'stopped' };

/** Where a turn failed; `internal` is a bug of ours, never expected. */
export type FailureStage = 'provider' | 'reply' | 'internal';

export class LlmHandler {
  #spec: HandlerSpec;
  readonly #options: LlmHandlerOptions;
  readonly #deps: LlmHandlerDeps;
  readonly #store: ConversationStore;
  readonly #limiter: ConcurrencyLimiter;
  readonly #maxPending: number;
  /** Last queued turn per thread: the next one on that thread starts after it. */
  readonly #tails = new Map<string, Promise<void>>();
  readonly #inFlight = new Set<AbortController>();
  readonly #runs = new Set<Promise<LlmTurnOutcome>>();
  /** Bumped by stop(): turns queued before it never start. */
  #epoch = 0;

  constructor(spec: HandlerSpec, options: LlmHandlerOptions, deps: LlmHandlerDeps) {
    this.#spec = spec;
    this.#options = options;
    this.#deps = deps;
    this.#store = new ConversationStore(options.maxConversations);
    const maxConcurrent = options.maxConcurrent ?? LLM_MAX_CONCURRENT;
    const maxQueued = options.maxQueued ?? LLM_MAX_QUEUED;
    this.#limiter = new ConcurrencyLimiter(maxConcurrent, maxQueued);
    this.#maxPending = maxConcurrent + maxQueued;
  }

  get spec(): HandlerSpec {
    return this.#spec;
  }

  /** Prompt, model and turn settings apply from the next turn on; history is kept. */
  set spec(spec: HandlerSpec) {
    this.#spec = spec;
  }

  /** Turns calling the provider or replying right now. */
  get active(): number {
    return this.#inFlight.size;
  }

  /** Turns accepted and not finished (running included). */
  get pending(): number {
    return this.#runs.size;
  }

  /** Handles one message; never rejects. */
  handle(message: HandlerMessage): Promise<LlmTurnOutcome> {
    const name = this.#spec.name;
    if (this.#runs.size >= this.#maxPending) {
      this.#deps.log.warn({ handler: name, id: message.id }, 'handler queue full, message dropped');
      return Promise.resolve({ outcome: 'dropped' });
    }
    const threadId = message.thread_id ?? message.id;
    const epoch = this.#epoch;
    const previous = this.#tails.get(threadId) ?? Promise.resolve();
    const run = previous.then(() => this.#limitedTurn(message, threadId, epoch)).catch((err: unknown) => this.#failed('internal', err));
    const tail = run.then(() => undefined);
    this.#tails.set(threadId, tail);
    this.#runs.add(run);
    void tail.then(() => {
      this.#runs.delete(run);
      if (this.#tails.get(threadId) === tail) this.#tails.delete(threadId);
    });
    return run;
  }

  /** The peer closed the thread: its conversations are forgotten (§5.3). */
  onThreadClose(threadId: string): number {
    return this.#store.closeThread(threadId);
  }

  /** Aborts the turns in flight and drops the queued ones; returns how many. */
  stop(): number {
    this.#epoch++;
    for (const controller of this.#inFlight) controller.abort();
    return this.#runs.size;
  }

  async whenIdle(): Promise<void> {
    while (this.#runs.size > 0) await Promise.allSettled([...this.#runs]);
  }

  async #limitedTurn(message: HandlerMessage, threadId: string, epoch: number): Promise<LlmTurnOutcome> {
    if (epoch !== this.#epoch) return { outcome: 'stopped' };
    try {
      return await this.#limiter.run(() => (epoch === this.#epoch ? this.#turn(message, threadId) : Promise.resolve<LlmTurnOutcome>({ outcome: 'stopped' })));
    } catch (err) {
      if (!(err instanceof QueueRejectedError)) throw err;
      this.#deps.log.warn({ handler: this.#spec.name, id: message.id }, 'handler queue full, message dropped');
      return { outcome: 'dropped' };
    }
  }

  async #turn(message: HandlerMessage, threadId: string): Promise<LlmTurnOutcome> {
    const spec = this.#spec;
    const log = this.#deps.log;
    const key: ConversationKey = { threadId, sender: message.from };
    const maxTurns = effectiveMaxTurns(spec.max_turns, spec.auto_close);
    const start = this.#store.begin(key, messageText(message), maxTurns);
    if (start === undefined) {
      log.debug({ handler: spec.name, thread: threadId }, 'thread already closed, message ignored');
      return { outcome: 'ignored' };
    }
    const controller = new AbortController();
    this.#inFlight.add(controller);
    try {
      const prompt = await this.#loadPrompt(spec);
      const system = turnSystemPrompt(prompt, start.turn, maxTurns, spec.auto_close);
      const tools = shouldOfferCloseTool(spec.auto_close, start.turn, maxTurns) ? [CLOSE_THREAD_TOOL] : [];
      let completion;
      try {
        completion = await this.#deps.complete({ model: spec.model ?? '', system, messages: start.history, tools, signal: controller.signal });
      } catch (err) {
        if (controller.signal.aborted) return { outcome: 'stopped' };
        return this.#failed('provider', err);
      }
      const safe = redact(completion.text);
      if (safe.isRedacted) log.warn({ handler: spec.name, thread: threadId }, 'redacted credential pattern from LLM response');
      const isClosing = completion.closeThread || start.isLastTurn;
      this.#store.finish(key, safe.text, isClosing);
      try {
        await this.#deps.reply({ to: message.from, text: safe.text, threadId, closeThread: isClosing }, { signal: controller.signal });
      } catch (err) {
        if (controller.signal.aborted) return { outcome: 'stopped' };
        return this.#failed('reply', err);
      }
      log.info({ handler: spec.name, to: message.from, thread: threadId, turn: start.turn, closing: isClosing }, 'handler replied');
      return { outcome: 'replied', turn: start.turn, closeThread: isClosing, isRedacted: safe.isRedacted };
    } finally {
      this.#inFlight.delete(controller);
    }
  }

  #failed(stage: FailureStage, err: unknown): LlmTurnOutcome {
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'error';
    const message = redactText(err instanceof Error ? err.message : String(err));
    const status = (err as { status?: unknown })?.status;
    this.#deps.log.warn({ handler: this.#spec.name, stage, code, status, err: { message } }, stage === 'reply' ? 'reply failed' : 'LLM call failed');
    return { outcome: 'failed', stage, code, message };
  }

  async #loadPrompt(spec: HandlerSpec): Promise<string> {
    if (spec.prompt_file === undefined) return spec.prompt ?? DEFAULT_SYSTEM_PROMPT;
    const path = resolve(this.#options.cwd ?? process.cwd(), spec.prompt_file);
    try {
      return await (this.#options.readTextFile ?? ((p: string) => readFile(p, 'utf8')))(path);
    } catch (err) {
      // §5.3: an unreadable prompt file falls back to the default prompt.
      this.#deps.log.warn({ handler: spec.name, path, err: { message: (err as Error).message } }, 'prompt file unreadable, using the default prompt');
      return DEFAULT_SYSTEM_PROMPT;
    }
  }
}
