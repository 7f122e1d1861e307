// Remembers which tasks have no push-notification configs. The SDK looks a task's configs up for
// every event it processes (to notify webhooks), and the SQL store answers through kysely, which
// prepares each statement anew: on the gateway's hot path that lookup cost more than the task
// save itself, while almost no task has a webhook. Only absence is cached; configs themselves are
// always read from the store. Sound because this process is the only writer of its configs and
// every write goes through this wrapper: a save or delete forgets the task, and a lookup during
// which any write happened does not remember its answer (writes are rare; simple beats clever).
// Given the tasks that had configs when the store was opened (`existing`), it also knows every
// task that may have some (those, plus every task a config was saved for since), and answers
// "none" for all others without any read: a new task costs no lookup at all.
//
// It must not change what the wrapped store stores or returns.

import { resolveUserScope, type OwnerResolver, type PushNotificationStore, type ServerCallContext, type StoredPushNotificationConfig } from '@a2a-js/sdk/server';
import type { TaskPushNotificationConfig } from '@a2a-js/sdk';

/** Tasks remembered as having no configs; past it the oldest are forgotten. */
export const PUSH_ABSENCE_CACHE_SIZE = 10_000;
/** Tasks known to maybe have configs; past it every task is looked up (absence cached as above). */
export const PUSH_KNOWN_TASKS_CAP = 100_000;

/** A task's key as the SDK's push store keys it. */
export interface PushConfigTaskKey {
  readonly tenant: string;
  readonly owner: string;
  readonly taskId: string;
}

export class PushConfigAbsenceCache implements PushNotificationStore {
  readonly #store: PushNotificationStore;
  readonly #ownerOf: OwnerResolver;
  /** Keys of tasks known to have no configs, oldest first. */
  readonly #absent = new Set<string>();
  /** Writes started so far, so a lookup can tell that one happened while it ran. */
  #writes = 0;
  /** Keys of the tasks that may have configs; undefined: not known (every task may). */
  #mayHave: Set<string> | undefined;

  /**
   * @param existing the tasks with configs in the store now (at most PUSH_KNOWN_TASKS_CAP of
   * them), or undefined when not known or too many
   */
  constructor(store: PushNotificationStore, ownerResolver: OwnerResolver = resolveUserScope, existing?: Iterable<PushConfigTaskKey>) {
    this.#store = store;
    this.#ownerOf = ownerResolver;
    if (existing !== undefined) {
      this.#mayHave = new Set();
      for (const { tenant, owner, taskId } of existing) this.#mayHaveConfigs(rawKeyOf(tenant, owner, taskId));
    }
  }

  async save(taskId: string, context: ServerCallContext, config: TaskPushNotificationConfig): Promise<void> {
    const key = this.#forget(taskId, context);
    // Known before the write starts, so no lookup from now on can skip the read.
    this.#mayHaveConfigs(key);
    try {
      await this.#store.save(taskId, context, config);
    } finally {
      this.#written(key);
    }
  }

  async delete(taskId: string, context: ServerCallContext, configId?: string): Promise<void> {
    const key = this.#forget(taskId, context);
    try {
      await this.#store.delete(taskId, context, configId);
    } finally {
      this.#written(key);
    }
  }

  load(taskId: string, context: ServerCallContext): Promise<TaskPushNotificationConfig[]> {
    return this.#lookup(taskId, context, () => this.#store.load(taskId, context));
  }

  loadWithMetadata(taskId: string, context: ServerCallContext): Promise<StoredPushNotificationConfig[]> {
    const inner = this.#store;
    if (inner.loadWithMetadata === undefined) {
      return this.#lookup(taskId, context, async () => (await inner.load(taskId, context)).map((config) => ({ config, wireVersion: context.requestedVersion ?? '0.3' })));
    }
    return this.#lookup(taskId, context, () => inner.loadWithMetadata!(taskId, context));
  }

  async #lookup<T>(taskId: string, context: ServerCallContext, read: () => Promise<T[]>): Promise<T[]> {
    const key = keyOf(context, this.#ownerOf(context), taskId);
    if (this.#absent.has(key) || (this.#mayHave !== undefined && !this.#mayHave.has(key))) return [];
    const writesBefore = this.#writes;
    const found = await read();
    if (found.length === 0 && this.#writes === writesBefore) this.#remember(key);
    return found;
  }

  #forget(taskId: string, context: ServerCallContext): string {
    const key = keyOf(context, this.#ownerOf(context), taskId);
    this.#absent.delete(key);
    this.#writes += 1;
    return key;
  }

  /** After a write: forgotten again, in case a lookup slipped in while it ran. */
  #written(key: string): void {
    this.#absent.delete(key);
    this.#writes += 1;
  }

  /** One more task that may have configs; past the cap, every task may. */
  #mayHaveConfigs(key: string): void {
    if (this.#mayHave === undefined) return;
    this.#mayHave.add(key);
    if (this.#mayHave.size > PUSH_KNOWN_TASKS_CAP) this.#mayHave = undefined;
  }

  #remember(key: string): void {
    this.#absent.add(key);
    if (this.#absent.size > PUSH_ABSENCE_CACHE_SIZE) this.#absent.delete(this.#absent.values().next().value!);
  }
}

function keyOf(context: ServerCallContext, owner: string, taskId: string): string {
  return rawKeyOf(context.tenant ?? '', owner, taskId);
}

function rawKeyOf(tenant: string, owner: string, taskId: string): string {
  // JSON keeps the parts apart whatever characters they contain.
  return JSON.stringify([tenant, owner, taskId]);
}
