// The agent behind both TCK servers (the SDK reference stack and ours): an AgentExecutor that
// does what the A2A TCK expects of its system under test, chosen by the messageId prefix the TCK
// sends. v1.0 TCK ids start with "tck-<scenario>-" (the TCK's scenarios/*.feature); the v0.3 TCK
// sends other ids and expects a task that walks submitted -> working -> artifact -> completed
// with short pauses and can be canceled midway; "test-resubscribe-message-id*" keeps the task
// working for 4 s so a resubscribe can attach. With TCK_V03_AGENT=a2a-js the v0.3 default agent
// behaves like @a2a-js/sdk's own TCK agent instead (working, 3 s, then input-required, so the task
// can be continued and canceled). Test tooling only: not part of the gateway.

import { randomUUID } from 'node:crypto';
import { Role, TaskState, type Artifact, type Message, type Part, type Task } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext } from '@a2a-js/sdk/server';

/** The one skill every TCK SUT's card declares for this agent (the same card on every stack). */
export const TCK_SKILL = { id: 'tck', name: 'TCK Conformance', description: 'Handles TCK conformance test messages', tags: ['tck'] } as const;

/** How long a "test-resubscribe-message-id" task stays working (the TCK's 2 x streaming timeout). */
export const RESUBSCRIBE_HOLD_MS = 4_000;

/** The v0.3 default agent's pauses between states (the v0.3 TCK's SUT waits 0.5 s, 0.5 s, 0.2 s). */
const LEGACY_STEP_MS = [500, 500, 200] as const;

/** How long the a2a-js style agent works before it asks for input (its TCK agent waits 3 s). */
const A2A_JS_WORK_MS = 3_000;

/**
 * Which v0.3 default agent answers the v0.3 TCK: `python` is the TCK's own SUT
 * (python-sut/tck_core_agent: submitted, working, artifact, completed), `a2a-js` the agent
 * @a2a-js/sdk runs the v0.3 TCK against in its CI (working, then input-required after 3 s).
 */
export type LegacyAgentStyle = 'python' | 'a2a-js';

/** The style named by `TCK_V03_AGENT` (default `python`); run-tck.sh passes it through. */
export function legacyAgentStyleFromEnv(env: NodeJS.ProcessEnv = process.env): LegacyAgentStyle {
  const value = env.TCK_V03_AGENT ?? 'python';
  if (value !== 'python' && value !== 'a2a-js') throw new RangeError(`TCK_V03_AGENT must be "python" or "a2a-js", got "${value}"`);
  return value;
}

type Step = (out: TaskOutput) => Promise<void> | void;

/** The v1.0 TCK scenarios, longest prefix first where one prefix extends another. */
const SCENARIOS: ReadonlyArray<readonly [prefix: string, step: Step]> = [
  ['tck-stream-artifact-chunked', (o) => { o.working(); const id = randomUUID(); o.artifact([text('chunk-1 ')], { artifactId: id, append: false, lastChunk: false }); o.artifact([text('chunk-2')], { artifactId: id, append: true, lastChunk: true }); o.completed(); }],
  ['tck-stream-artifact-text', (o) => { o.working(); o.artifact([text('Streamed text content')]); o.completed(); }],
  ['tck-stream-artifact-file', (o) => { o.working(); o.artifact([rawFile()]); o.completed(); }],
  ['tck-stream-ordering-001', (o) => { o.working(); o.artifact([text('Ordered output')]); o.completed(); }],
  ['tck-stream-001', (o) => { o.working(); o.artifact([text('Stream hello from TCK')]); o.completed(); }],
  ['tck-stream-002', (o) => o.completed()],
  ['tck-stream-003', (o) => { o.working(); o.artifact([text('Stream task lifecycle')]); o.completed(); }],
  ['tck-artifact-file-url', (o) => { o.artifact([{ content: { $case: 'url', value: 'https://example.com/output.txt' }, metadata: undefined, filename: 'output.txt', mediaType: 'text/plain' }]); o.completed(); }],
  ['tck-artifact-text', (o) => { o.artifact([text('Generated text content')]); o.completed(); }],
  ['tck-artifact-file', (o) => { o.artifact([rawFile()]); o.completed(); }],
  ['tck-artifact-data', (o) => { o.artifact([{ content: { $case: 'data', value: { key: 'value', count: 42 } }, metadata: undefined, filename: '', mediaType: '' }]); o.completed(); }],
  ['tck-input-required', (o) => o.status(TaskState.TASK_STATE_INPUT_REQUIRED)],
  ['tck-complete-task', (o) => o.completed('Hello from TCK')],
  ['tck-reject-task', () => { throw new Error('rejected'); }],
];

export function createTckExecutor(options: { legacyAgent?: LegacyAgentStyle } = {}): AgentExecutor {
  const legacy = options.legacyAgent === 'a2a-js' ? a2aJsAgent : legacyAgent;
  /** taskId -> contextId of every task seen (cancelTask gets only the id). */
  const contexts = new Map<string, string>();
  /** Tasks whose execute has not returned, and those of them canceled meanwhile. */
  const running = new Set<string>();
  const canceled = new Set<string>();

  return {
    execute: async (ctx: RequestContext, bus: ExecutionEventBus) => {
      const messageId = ctx.userMessage.messageId;
      // The SDK wants a Task or a Message first on every turn, follow-ups included.
      if (messageId.startsWith('tck-message-response')) {
        bus.publish(AgentEvent.message(agentMessage('Direct message response', ctx.contextId, undefined)));
        bus.finished();
        return;
      }
      bus.publish(AgentEvent.task(ctx.task ?? newTask(ctx)));
      const out = new TaskOutput(ctx.taskId, ctx.contextId, bus, () => canceled.has(ctx.taskId));
      contexts.set(ctx.taskId, ctx.contextId);
      running.add(ctx.taskId);
      try {
        if (messageId.startsWith('test-resubscribe-message-id')) {
          out.working();
          await sleep(RESUBSCRIBE_HOLD_MS);
          out.completed();
        } else if (messageId.startsWith('tck-')) {
          const scenario = SCENARIOS.find(([prefix]) => messageId.startsWith(prefix));
          if (scenario === undefined) out.completed(`Unhandled messageId prefix: ${messageId}`);
          else await scenario[1](out);
        } else {
          await legacy(out, textOf(ctx.userMessage));
        }
      } finally {
        running.delete(ctx.taskId);
        canceled.delete(ctx.taskId);
        bus.finished();
      }
    },
    cancelTask: (taskId: string, bus: ExecutionEventBus) => {
      // Like the TCK's SUT: always answer with CANCELED, also for a task whose execute has returned
      // but whose bus the SDK keeps (input-required); the handler waits for that event.
      if (running.has(taskId)) canceled.add(taskId);
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId: contexts.get(taskId) ?? '', status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined }));
      return Promise.resolve();
    },
  };
}

/** The v0.3 TCK's default agent: states with pauses, a "response" artifact, a completed status with the answer. */
async function legacyAgent(out: TaskOutput, query: string): Promise<void> {
  const answer = query.trim() === '' ? 'Hello! Please provide a message for me to respond to.' : `Hello World! You said: '${query}'. Thanks for your message!`;
  out.status(TaskState.TASK_STATE_SUBMITTED);
  await sleep(LEGACY_STEP_MS[0]);
  if (out.isCanceled()) return;
  out.working();
  await sleep(LEGACY_STEP_MS[1]);
  if (out.isCanceled()) return;
  await sleep(LEGACY_STEP_MS[2]);
  if (out.isCanceled()) return;
  out.artifact([text(answer)], { name: 'response', description: 'Agent response to user message.', lastChunk: true });
  out.completed(answer);
}

/** The a2a-js TCK agent's behaviour: working with a note, a pause, then input-required with the answer. */
async function a2aJsAgent(out: TaskOutput, query: string): Promise<void> {
  out.status(TaskState.TASK_STATE_WORKING, out.message('Working on it'));
  await sleep(A2A_JS_WORK_MS);
  if (out.isCanceled()) return;
  const answer = query.trim() === '' ? 'Hello! Please provide a message for me to respond to.' : `You said: '${query.trim()}'. Send another message to go on.`;
  out.status(TaskState.TASK_STATE_INPUT_REQUIRED, out.message(answer));
}

/** Publishes one task's events (the TaskUpdater of the TCK's Python SUT, in small). */
class TaskOutput {
  constructor(
    private readonly taskId: string,
    private readonly contextId: string,
    private readonly bus: ExecutionEventBus,
    readonly isCanceled: () => boolean,
  ) {}

  status(state: TaskState, message?: Message): void {
    if (this.isCanceled()) return;
    this.bus.publish(AgentEvent.statusUpdate({ taskId: this.taskId, contextId: this.contextId, status: { state, message, timestamp: new Date().toISOString() }, metadata: undefined }));
  }

  working(): void {
    this.status(TaskState.TASK_STATE_WORKING);
  }

  completed(reply?: string): void {
    this.status(TaskState.TASK_STATE_COMPLETED, reply === undefined ? undefined : this.message(reply));
  }

  message(value: string): Message {
    return agentMessage(value, this.contextId, this.taskId);
  }

  artifact(parts: Part[], o: { artifactId?: string; name?: string; description?: string; append?: boolean; lastChunk?: boolean } = {}): void {
    if (this.isCanceled()) return;
    const artifact: Artifact = { artifactId: o.artifactId ?? randomUUID(), name: o.name ?? '', description: o.description ?? '', parts, metadata: undefined, extensions: [] };
    this.bus.publish(AgentEvent.artifactUpdate({ taskId: this.taskId, contextId: this.contextId, artifact, append: o.append ?? false, lastChunk: o.lastChunk ?? false, metadata: undefined }));
  }
}

function newTask(ctx: RequestContext): Task {
  return { id: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [ctx.userMessage], metadata: undefined };
}

function agentMessage(value: string, contextId: string, taskId: string | undefined): Message {
  return { messageId: randomUUID(), contextId, taskId: taskId ?? '', role: Role.ROLE_AGENT, parts: [text(value)], metadata: undefined, extensions: [], referenceTaskIds: [] };
}

function text(value: string): Part {
  return { content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: '' };
}

function rawFile(): Part {
  return { content: { $case: 'raw', value: Buffer.from('tck') }, metadata: undefined, filename: 'output.txt', mediaType: 'text/plain' };
}

function textOf(message: Message): string {
  return message.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
