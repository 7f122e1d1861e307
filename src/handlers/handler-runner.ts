// The handler component the daemon owns (local-API spec §5): holds the handler list, sends each
// incoming message to the matching shell or LLM handlers, stops them, lists them with their
// `active` counts and swaps the list on reload. It decides and delegates; process and HTTP work
// is in shell-handler.ts and llm/.

import type { Logger } from 'pino';

import { matchingHandlers, THREAD_CLOSE_TYPE } from './dispatch.js';
import type { HandlerMessage } from './handler-message.js';
import { isLlmHandler, isLlmProvider, type HandlerSpec, type LlmProvider } from './handler-spec.js';
import { LlmHandler, type LlmHandlerOptions } from './llm/llm-handler.js';
import { createLocalApiReplier, type ReplyFn } from './llm/local-api-replier.js';
import type { CompleteFn } from './llm/provider.js';
import { createProvider } from './llm/provider-registry.js';
import { redactText } from './llm/redact.js';
import { ShellHandler, type ShellHandlerOptions } from './shell-handler.js';

export interface HandlerRunnerOptions {
  /** `<config dir>/logs/handlers` */
  logDir: string;
  /** `http://127.0.0.1:<port>`: TOQ_URL for scripts and where LLM replies are POSTed. */
  toqUrl: string;
  /** The daemon's environment: inherited by scripts, read for provider keys. */
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory of scripts and base of relative prompt files. @default the daemon's */
  cwd?: string | undefined;
  /** Shell handler limits (concurrency, queue, run timeout, kill grace, line cap). */
  shell?: Omit<ShellHandlerOptions, 'logDir' | 'toqUrl' | 'env' | 'cwd'> | undefined;
  /** LLM handler limits, plus the provider call timeout and base URLs. */
  llm?:
    | (Omit<LlmHandlerOptions, 'cwd'> & {
        /** @default LLM_CALL_TIMEOUT_MS (120000) */
        timeoutMs?: number | undefined;
        baseUrls?: Partial<Record<LlmProvider, string>> | undefined;
      })
    | undefined;
}

export interface HandlerRunnerDeps {
  log: Logger;
  /** Sends LLM replies. @default createLocalApiReplier(toqUrl) */
  reply?: ReplyFn | undefined;
  /** Provider adapter per name. @default createProvider(name, { env, timeoutMs, baseUrls }) */
  createProvider?: ((provider: LlmProvider) => CompleteFn) | undefined;
}

/** One row of GET /v1/handlers (§3.8); absent command/provider/model are "" as in the reference. */
export interface HandlerStatus {
  name: string;
  command: string;
  provider: string;
  model: string;
  enabled: boolean;
  /** Shell: processes running; LLM: turns in flight (always 0 in the reference). */
  active: number;
  filter_from: string[];
  filter_key: string[];
  filter_type: string[];
}

type Instance = { readonly kind: 'shell'; readonly handler: ShellHandler } | { readonly kind: 'llm'; readonly provider: string; readonly handler: LlmHandler };

export class HandlerRunner {
  readonly #options: HandlerRunnerOptions;
  readonly #log: Logger;
  readonly #reply: ReplyFn;
  readonly #createProvider: (provider: LlmProvider) => CompleteFn;
  #specs: readonly HandlerSpec[] = [];
  readonly #instances = new Map<string, Instance>();
  /** Handlers removed by a reload whose work is still finishing. */
  readonly #retired = new Set<Instance>();
  readonly #work = new Set<Promise<unknown>>();

  constructor(specs: readonly HandlerSpec[], options: HandlerRunnerOptions, deps: HandlerRunnerDeps) {
    this.#options = options;
    this.#log = deps.log;
    this.#reply = deps.reply ?? createLocalApiReplier(options.toqUrl);
    this.#createProvider =
      deps.createProvider ?? ((provider) => createProvider(provider, { env: options.env, timeoutMs: options.llm?.timeoutMs, baseUrls: options.llm?.baseUrls }));
    this.reload(specs);
  }

  /** The current handler list, in file order. */
  get specs(): readonly HandlerSpec[] {
    return this.#specs;
  }

  /**
   * Starts every matching handler for one message and returns their names. A `thread.close` only
   * clears LLM conversations of its thread (§5.1).
   */
  dispatch(message: HandlerMessage): string[] {
    if (message.type === THREAD_CLOSE_TYPE) {
      if (message.thread_id !== undefined) this.onThreadClose(message.thread_id);
      return [];
    }
    const started: string[] = [];
    for (const spec of matchingHandlers(this.#specs, message)) {
      const instance = this.#instances.get(spec.name);
      if (instance === undefined) continue; // no usable command/provider: reported at reload
      started.push(spec.name);
      this.#log.debug({ handler: spec.name, id: message.id, type: message.type }, 'dispatching to handler');
      const work: Promise<unknown> = instance.kind === 'shell' ? instance.handler.run(message) : instance.handler.handle(message);
      this.#track(spec.name, work);
    }
    return started;
  }

  /** Forgets the LLM conversations of a thread the peer closed. */
  onThreadClose(threadId: string): void {
    for (const instance of this.#instances.values()) if (instance.kind === 'llm') instance.handler.onThreadClose(threadId);
  }

  /**
   * POST /v1/handlers/stop: stops a handler's processes (all, or the one with `pid`) and drops its
   * queue; for an LLM handler, aborts its calls. Returns the number stopped.
   */
  stop(name: string, pid?: number): number {
    const instance = this.#instances.get(name);
    if (instance === undefined) return 0;
    if (instance.kind === 'shell') return instance.handler.stop(pid);
    return pid === undefined ? instance.handler.stop() : 0;
  }

  /** GET /v1/handlers rows. */
  list(): HandlerStatus[] {
    return this.#specs.map((spec) => ({
      name: spec.name,
      command: spec.command ?? '',
      provider: spec.provider ?? '',
      model: spec.model ?? '',
      enabled: spec.enabled,
      active: this.#instances.get(spec.name)?.handler.active ?? 0,
      filter_from: [...spec.filter_from],
      filter_key: [...spec.filter_key],
      filter_type: [...spec.filter_type],
    }));
  }

  /** The pids of a shell handler's running processes. */
  pids(name: string): number[] {
    const instance = this.#instances.get(name);
    return instance?.kind === 'shell' ? instance.handler.pids : [];
  }

  /**
   * Replaces the handler list. Handlers that keep their name and kind keep their running work and
   * LLM conversations; removed ones finish what they are doing (as in the reference) but get
   * nothing new.
   */
  reload(specs: readonly HandlerSpec[]): void {
    // A hand-edited file may repeat a name (the API refuses that): the later entry wins.
    const byName = new Map<string, HandlerSpec>();
    for (const spec of specs) {
      if (byName.has(spec.name)) this.#log.warn({ handler: spec.name }, 'duplicate handler name; the later entry wins');
      byName.set(spec.name, spec);
    }
    this.#specs = Object.freeze(specs.filter((spec) => byName.get(spec.name) === spec));
    for (const spec of this.#specs) this.#place(spec);
    for (const [name, instance] of this.#instances) {
      if (!byName.has(name)) this.#retire(name, instance);
    }
  }

  /** Resolves when all dispatched work has finished. */
  async whenIdle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** Daemon shutdown: stops every process and call, waits for them, closes the logs. */
  async close(): Promise<void> {
    const all = [...this.#instances.values(), ...this.#retired];
    this.#instances.clear();
    this.#retired.clear();
    this.#specs = [];
    await Promise.all(
      all.map(async (instance) => {
        if (instance.kind === 'shell') await instance.handler.close();
        else {
          instance.handler.stop();
          await instance.handler.whenIdle();
        }
      }),
    );
    await this.whenIdle();
  }

  #place(spec: HandlerSpec): void {
    const existing = this.#instances.get(spec.name);
    if (isLlmHandler(spec)) {
      const provider = spec.provider as string;
      if (!isLlmProvider(provider)) {
        this.#log.warn({ handler: spec.name, provider }, 'unknown LLM provider; handler will not run');
        if (existing !== undefined) this.#retire(spec.name, existing);
        return;
      }
      if (existing?.kind === 'llm' && existing.provider === provider) {
        existing.handler.spec = spec;
        return;
      }
      if (existing !== undefined) this.#retire(spec.name, existing);
      const handler = new LlmHandler(
        spec,
        { ...this.#options.llm, cwd: this.#options.cwd },
        { complete: this.#createProvider(provider), reply: this.#reply, log: this.#log },
      );
      this.#instances.set(spec.name, { kind: 'llm', provider, handler });
      return;
    }
    if (spec.command === undefined || spec.command === '') {
      this.#log.warn({ handler: spec.name }, 'handler has neither command nor provider; it will not run');
      if (existing !== undefined) this.#retire(spec.name, existing);
      return;
    }
    if (existing?.kind === 'shell') {
      existing.handler.command = spec.command;
      return;
    }
    if (existing !== undefined) this.#retire(spec.name, existing);
    const o = this.#options;
    const handler = new ShellHandler(spec.name, spec.command, { ...o.shell, logDir: o.logDir, toqUrl: o.toqUrl, env: o.env, cwd: o.cwd }, { log: this.#log });
    this.#instances.set(spec.name, { kind: 'shell', handler });
  }

  #retire(name: string, instance: Instance): void {
    if (this.#instances.get(name) === instance) this.#instances.delete(name);
    this.#retired.add(instance);
    void instance.handler.whenIdle().then(async () => {
      if (instance.kind === 'shell') await instance.handler.close();
      this.#retired.delete(instance);
    });
  }

  #track(name: string, work: Promise<unknown>): void {
    const tracked = work.catch((err: unknown) => {
      this.#log.error({ handler: name, err: { message: redactText(err instanceof Error ? err.message : String(err)) } }, 'handler run failed unexpectedly');
    });
    this.#work.add(tracked);
    void tracked.finally(() => this.#work.delete(tracked));
  }
}
