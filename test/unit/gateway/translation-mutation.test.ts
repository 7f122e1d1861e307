// Issue #5: "a mutation of any translation rule makes a fixture test fail". This file compiles a
// copy of the translators (and the src/protocol modules they import) to JavaScript under
// node_modules/.cache (ignored by git), flips one rule at a time by a textual edit of one
// translator's source, imports the mutated copy and runs every translation fixture case against it
// (both shapes, the same runner as translation-fixtures.test.ts). The unmutated copy must pass
// every case (the control); each mutant must fail the cases named in `mustCatch` (v1 and v03), which
// shows the fixtures pin that rule for us and for anyone implementing DESIGN §5 from them.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, SOURCE_TRANSLATORS, importTranslators, isReferenceRun, translationRuns, type TranslationRun, type Translators } from '../../helpers/translation-fixtures.js';

interface Mutation {
  /** The rule, as DESIGN §5 / the translate README states it. */
  readonly rule: string;
  /** The translator file under src/gateway/translate. */
  readonly file: keyof Translators;
  /** The source text replaced; it must occur exactly once (else the mutation is stale). */
  readonly from: string;
  readonly to: string;
  /** Case ids that must fail under this mutation, in every shape they have. */
  readonly mustCatch: readonly string[];
}

const MUTATIONS: readonly Mutation[] = [
  {
    rule: 'text parts are concatenated with no separator (A2A → toq)',
    file: 'a2a-message',
    from: 'text += part.content.value;',
    to: "text += (text === '' ? '' : ' ') + part.content.value;",
    mustCatch: ['send-text-parts-no-separator'],
  },
  {
    rule: 'text parts are concatenated with no separator (toq reply from an upstream answer)',
    file: 'upstream-reply',
    from: 'text += part.content.value;',
    to: "text += (text === '' ? '' : ' ') + part.content.value;",
    mustCatch: ['direct-message', 'completed-task-artifacts'],
  },
  {
    rule: "the client's messageId travels under a2a.messageId",
    file: 'a2a-message',
    from: 'a2a: { messageId: message.messageId,',
    to: 'a2a: {',
    mustCatch: ['send-message-id-kept', 'send-text'],
  },
  {
    rule: 'the generation is part of the thread hash',
    file: 'thread-id',
    from: 'key.contextId, key.generation]',
    to: 'key.contextId]',
    mustCatch: ['thread-id-generation-1', 'thread-close-completes'],
  },
  {
    rule: 'thread ids are UUID version 8',
    file: 'thread-id',
    from: '(digest[6]! & 0x0f) | 0x80',
    to: '(digest[6]! & 0x0f) | 0x40',
    mustCatch: ['thread-id-generation-0', 'send-text'],
  },
  {
    rule: 'a reply without a2a.state completes the task by default',
    file: 'a2a-reply',
    from: 'defaultState: TaskState = TaskState.TASK_STATE_COMPLETED',
    to: 'defaultState: TaskState = TaskState.TASK_STATE_INPUT_REQUIRED',
    mustCatch: ['reply-text-completed'],
  },
  {
    rule: "the agent's reply_state applies when a reply names no state",
    file: 'a2a-reply',
    from: "if (typeof stateText !== 'string') return { state: defaultState, parts };",
    to: "if (typeof stateText !== 'string') return { state: TaskState.TASK_STATE_COMPLETED, parts };",
    mustCatch: ['reply-default-input-required'],
  },
  {
    rule: 'only a completed reply becomes an artifact',
    file: 'a2a-reply',
    from: 'if (reply.state === TaskState.TASK_STATE_COMPLETED) {',
    to: 'if (true) {',
    mustCatch: ['reply-state-input-required'],
  },
  {
    rule: 'a2a.state accepts the v1.0 enum and snake spellings',
    file: 'task-state',
    from: ".replace(/_/g, '-')",
    to: '',
    mustCatch: ['reply-state-enum-spelling', 'reply-state-snake-spelling'],
  },
  {
    rule: 'the first stream chunk is append: false',
    file: 'stream-chunk',
    from: 'append: flags.append,',
    to: 'append: true,',
    mustCatch: ['stream-chunks-then-end'],
  },
  {
    rule: 'message.stream.end is the last chunk (lastChunk: true)',
    file: 'stream-chunk',
    from: 'lastChunk: flags.lastChunk,',
    to: 'lastChunk: false,',
    mustCatch: ['stream-chunks-then-end', 'stream-end-with-data'],
  },
  {
    rule: 'one artifact per stream id',
    file: 'stream-chunk',
    from: '`${taskId}-stream-${streamId}`',
    to: '`${taskId}-stream`',
    mustCatch: ['stream-chunks-then-end'],
  },
  {
    rule: 'CancelTask sends message.cancel with cancel_id',
    file: 'cancel-message',
    from: 'body: { cancel_id: canceledId }',
    to: 'body: { cancelId: canceledId }',
    mustCatch: ['cancel-task'],
  },
  {
    rule: 'an expired delivery says unreachable, a refusal says refused',
    file: 'delivery-failure',
    from: "failure.status === 'undeliverable' ?",
    to: "failure.status === 'failed' ?",
    mustCatch: ['delivery-undeliverable', 'delivery-refused'],
  },
  {
    rule: 'a system.error after the ack fails the task with its code and message',
    file: 'delivery-failure',
    from: 'then reported an error (${detailOf(error)})',
    to: 'then reported an error (${error.code})',
    mustCatch: ['system-error-fails-task', 'system-error-after-ack-unknown-code'],
  },
  {
    rule: 'duplicate_message after the ack counts as delivered',
    file: 'delivery-failure',
    from: "if (error.code === 'duplicate_message') return undefined;",
    to: '',
    mustCatch: ['system-error-after-ack-duplicate'],
  },
  {
    rule: 'accept_files = false refuses raw parts',
    file: 'file-limits',
    from: 'if (!limits.acceptFiles) throw',
    to: 'if (limits.acceptFiles === undefined) throw',
    mustCatch: ['file-refused-accept-files-false', 'file-refused-no-filename'],
  },
  {
    rule: 'files not accepted are -32005 content type not supported',
    file: 'file-limits',
    from: 'throw new ContentTypeNotSupportedError(',
    to: 'throw new RequestMalformedError(',
    mustCatch: ['file-refused-accept-files-false'],
  },
  {
    rule: 'url parts carry no bytes (only raw parts are files)',
    file: 'file-limits',
    from: "if (part.content?.$case !== 'raw') return;",
    to: "if (part.content?.$case === 'text' || part.content?.$case === 'data') return;",
    mustCatch: ['file-url-passes-accept-files-false'],
  },
  {
    rule: 'a raw part over max_file_size is refused',
    file: 'file-limits',
    from: 'if (bytes > perFile) {',
    to: 'if (bytes > perFile + 1) {',
    mustCatch: ['file-over-max-file-size', 'file-over-frame'],
  },
  {
    rule: 'the per-file limit is min(max_file_size, what fits in a frame)',
    file: 'file-limits',
    from: 'limits.maxFileBytes <= MAX_RAW_BYTES_IN_FRAME;',
    to: 'limits.maxFileBytes >= 0;',
    mustCatch: ['file-over-frame'],
  },
  {
    rule: 'a frame keeps 16 KiB for everything but the raw bytes',
    file: 'file-limits',
    from: 'FRAME_RESERVE_BYTES = 16_384;',
    to: 'FRAME_RESERVE_BYTES = 8_192;',
    mustCatch: ['file-over-frame'],
  },
  {
    rule: 'raw parts together must fit in one frame',
    file: 'file-limits',
    from: 'if (total > MAX_RAW_BYTES_IN_FRAME) {',
    to: 'if (total > 2 * MAX_RAW_BYTES_IN_FRAME) {',
    mustCatch: ['files-together-over-frame'],
  },
  {
    rule: "a toq card's accept_files and max_file_size are the limits; no card, the frame only",
    file: 'file-limits',
    from: 'if (card === undefined) return FRAME_ONLY_FILE_LIMITS;',
    to: 'if (card === undefined) return { acceptFiles: false };',
    mustCatch: ['file-limits-no-card'],
  },
  {
    rule: 'metadata.toq carries the provenance upstream',
    file: 'upstream-request',
    from: 'toq: {',
    to: 'toq_: {',
    mustCatch: ['first-send-no-context'],
  },
  {
    rule: 'the paused upstream task id is sent with the next message',
    file: 'upstream-request',
    from: "taskId: ids.taskId ?? '',",
    to: "taskId: '',",
    mustCatch: ['next-send-paused-task'],
  },
  {
    rule: 'body parts win over text toward an upstream',
    file: 'upstream-request',
    from: 'if (parts.length > 0) return parts;',
    to: '',
    mustCatch: ['parts-win', 'parts-every-kind'],
  },
  {
    rule: 'a completed task answers with its artifacts',
    file: 'upstream-reply',
    from: 'if (artifactParts.length > 0) return { state, parts: artifactParts };',
    to: '',
    mustCatch: ['completed-task-artifacts'],
  },
  {
    rule: 'a reply that is not completed says its state in a2a.state, v0.3 spelling',
    file: 'upstream-reply',
    from: "[TaskState.TASK_STATE_INPUT_REQUIRED, 'input-required'],",
    to: "[TaskState.TASK_STATE_INPUT_REQUIRED, 'TASK_STATE_INPUT_REQUIRED'],",
    mustCatch: ['input-required', 'chunks-then-input-required'],
  },
  {
    rule: 'message.stream.end repeats the whole text',
    file: 'upstream-reply',
    from: 'return { stream_id: streamId, data: { text: wholeText } };',
    to: 'return { stream_id: streamId };',
    mustCatch: ['end-repeats-text', 'chunks-then-input-required'],
  },
  // §5.1, the lossless profile between two gateways (translation-bridge.json)
  {
    rule: 'lossless: the request body carries the text of the text parts',
    file: 'a2a-bridge',
    from: 'text: toToqText(message.parts)',
    to: "text: ''",
    mustCatch: ['request-text', 'request-whole-message'],
  },
  {
    rule: 'lossless: the request body names the messageId',
    file: 'a2a-bridge',
    from: 'messageId: message.messageId, taskId',
    to: 'taskId',
    mustCatch: ['request-text'],
  },
  {
    rule: 'lossless: referenceTaskIds travel in a2a.message',
    file: 'a2a-bridge',
    from: 'Message.toJSON(message)',
    to: 'Message.toJSON({ ...message, referenceTaskIds: [] })',
    mustCatch: ['request-whole-message'],
  },
  {
    rule: "lossless: the far side keeps the caller's referenceTaskIds toward its upstream",
    file: 'upstream-request',
    from: '{ ...structuredClone(message),',
    to: '{ ...structuredClone(message), referenceTaskIds: [],',
    mustCatch: ['upstream-first-send', 'upstream-same-context', 'upstream-paused-task'],
  },
  {
    rule: "lossless: the far side keeps the caller's messageId toward its upstream",
    file: 'upstream-request',
    from: '{ ...structuredClone(message),',
    to: '{ ...structuredClone(message), messageId: provenance.envelopeId,',
    mustCatch: ['upstream-first-send'],
  },
  {
    rule: 'lossless: the near taskId never goes to the far upstream (its own paused task does)',
    file: 'upstream-request',
    from: 'contextId: upstream.contextId, taskId: upstream.taskId',
    to: 'contextId: upstream.contextId, taskId: message.taskId',
    mustCatch: ['upstream-first-send', 'upstream-paused-task'],
  },
  {
    rule: 'lossless: the near contextId never goes to the far upstream',
    file: 'upstream-request',
    from: 'contextId: upstream.contextId, taskId: upstream.taskId',
    to: 'contextId: message.contextId, taskId: upstream.taskId',
    mustCatch: ['upstream-first-send', 'upstream-same-context'],
  },
  {
    rule: "lossless: the caller's metadata is kept toward the far upstream",
    file: 'upstream-request',
    from: 'metadata: { ...structuredClone(message.metadata ?? {}), ...upstream.metadata }',
    to: 'metadata: upstream.metadata',
    mustCatch: ['upstream-first-send', 'upstream-metadata-toq-replaced'],
  },
  {
    rule: "lossless: metadata.toq is the far gateway's, not the caller's",
    file: 'upstream-request',
    from: 'metadata: { ...structuredClone(message.metadata ?? {}), ...upstream.metadata }',
    to: 'metadata: { ...upstream.metadata, ...structuredClone(message.metadata ?? {}) }',
    mustCatch: ['upstream-metadata-toq-replaced'],
  },
  {
    rule: 'lossless: the capability is a2a-bridge/1',
    file: 'a2a-bridge',
    from: "= 'a2a-bridge/1'",
    to: "= 'a2a-bridge/v1'",
    mustCatch: ['capability-name', 'capability-only', 'capability-among-others'],
  },
  {
    rule: 'lossless: the capability is compared exactly',
    file: 'a2a-bridge',
    from: 'capabilities?.includes(A2A_BRIDGE_CAPABILITY) === true',
    to: "capabilities?.some((c) => c.toLowerCase().startsWith('a2a-bridge')) === true",
    mustCatch: ['capability-other-version', 'capability-no-version', 'capability-case'],
  },
  {
    rule: 'lossless: an event body carries the text of its parts',
    file: 'a2a-bridge',
    from: 'text: toToqText(partsOf(event))',
    to: "text: ''",
    mustCatch: ['event-direct-message', 'event-artifact-chunks', 'failure-event'],
  },
  {
    rule: "lossless: a task event's text is its artifacts', else its status message's",
    file: 'a2a-bridge',
    from: 'return artifactParts.length > 0 ? artifactParts : (payload.value.status?.message?.parts ?? []);',
    to: 'return payload.value.status?.message?.parts ?? artifactParts;',
    mustCatch: ['event-task-snapshot'],
  },
  {
    rule: 'lossless: a direct Message keeps an empty taskId at the near side',
    file: 'a2a-bridge',
    from: "payload.value.taskId === ''",
    to: 'false',
    mustCatch: ['event-direct-message'],
  },
  {
    rule: 'lossless: the far gateway\'s metadata.toq provenance does not come back to the caller',
    file: 'a2a-bridge',
    from: "if (metadata === undefined || !('toq' in metadata)) return metadata;",
    to: 'return metadata;',
    mustCatch: ['event-task-history-provenance'],
  },
  {
    rule: "lossless: a message's contextId becomes the near one",
    file: 'a2a-bridge',
    from: "taskId: isDirect ? '' : ids.taskId, contextId: ids.contextId, metadata",
    to: "taskId: isDirect ? '' : ids.taskId, metadata",
    mustCatch: ['event-direct-message', 'event-message-with-task'],
  },
  {
    rule: "lossless: a task's history messages get the near ids",
    file: 'a2a-bridge',
    from: 'history: task.history.map((m) => rewriteMessage(m, ids, false))',
    to: 'history: task.history',
    mustCatch: ['event-task-snapshot'],
  },
  {
    rule: "lossless: a task's status message gets the near ids",
    file: 'a2a-bridge',
    from: 'message: task.status.message && rewriteMessage(task.status.message, ids, false)',
    to: 'message: task.status.message',
    mustCatch: ['event-task-snapshot', 'event-task-paused'],
  },
  {
    rule: 'lossless: a status update gets the near task and context ids',
    file: 'a2a-bridge',
    from: 'taskId: ids.taskId, contextId: ids.contextId, status }',
    to: 'status }',
    mustCatch: ['event-status-update', 'event-status-no-message'],
  },
  {
    rule: "lossless: a status update's message gets the near ids",
    file: 'a2a-bridge',
    from: 'message: update.status.message && rewriteMessage(update.status.message, ids, false)',
    to: 'message: update.status.message',
    mustCatch: ['event-status-update', 'failure-event'],
  },
  {
    rule: 'lossless: an artifact update gets the near ids (its artifact is kept)',
    file: 'a2a-bridge',
    from: '{ ...payload.value, taskId: ids.taskId, contextId: ids.contextId }',
    to: '{ ...payload.value }',
    mustCatch: ['event-artifact-chunks', 'event-artifact-every-part'],
  },
  {
    rule: 'lossless: the failure event is a failed status',
    file: 'a2a-bridge',
    from: 'state: TaskState.TASK_STATE_FAILED',
    to: 'state: TaskState.TASK_STATE_COMPLETED',
    mustCatch: ['failure-event'],
  },
  {
    rule: 'lossless: a2a.message.parts must be a list',
    file: 'a2a-bridge',
    from: "if (!Array.isArray(raw['parts']))",
    to: 'if (false)',
    mustCatch: ['malformed-message-no-parts', 'malformed-message-parts-object'],
  },
  {
    rule: 'lossless: an empty messageId is refused',
    file: 'a2a-bridge',
    from: "raw['messageId'] === ''",
    to: 'false',
    mustCatch: ['malformed-message-empty-id'],
  },
  {
    rule: 'lossless: a2a.event must be an object',
    file: 'a2a-bridge',
    from: "if (!isPlainObject(raw)) throw new RangeError('a2a.event",
    to: "if (false) throw new RangeError('a2a.event",
    mustCatch: ['malformed-event-string'],
  },
  {
    rule: 'lossless: an a2a.event with no payload is refused',
    file: 'a2a-bridge',
    from: 'if (event.payload === undefined) throw',
    to: 'if (false) throw',
    mustCatch: ['malformed-event-empty', 'malformed-event-unknown-payload'],
  },
];

/**
 * The source files the translators need: the modules the runner imports and, transitively, every
 * relative import of theirs (so unrelated work in progress elsewhere in src/ is never compiled).
 */
function neededSources(): string[] {
  const entries = [...Object.keys(SOURCE_TRANSLATORS).filter((n) => n !== 'json-parse').map((n) => `src/gateway/translate/${n}.ts`), 'src/protocol/json-parse.ts'];
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const match of source.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)\.js'/g)) queue.push(join(dirname(file), `${match[1]!}.ts`));
  }
  return [...seen].sort();
}

function compile(source: string, fileName: string): string {
  const out = ts.transpileModule(source, { fileName, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true }, reportDiagnostics: true });
  if (out.diagnostics !== undefined && out.diagnostics.length > 0) throw new Error(`${fileName}: ${ts.flattenDiagnosticMessageText(out.diagnostics[0]!.messageText, '\n')}`);
  return out.outputText;
}

interface Outcome {
  readonly failed: ReadonlyArray<{ readonly id: string; readonly shape: string; readonly error: string }>;
  readonly total: number;
}

async function runAll(t: Translators, runs: readonly TranslationRun[]): Promise<Outcome> {
  const failed: Array<{ id: string; shape: string; error: string }> = [];
  for (const run of runs) {
    try {
      await run.run(t);
    } catch (err) {
      failed.push({ id: run.id, shape: run.shape, error: err instanceof Error ? err.message.split('\n', 1)[0]! : String(err) });
    }
  }
  return { failed, total: runs.length };
}

describe('translation rules pinned by the fixtures (issue #5 mutation test)', () => {
  const runs = translationRuns().filter((r) => !isReferenceRun(r));
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache', 'toq-translation-mutants');
  let work = '';

  beforeAll(() => {
    mkdirSync(cacheDir, { recursive: true });
    work = mkdtempSync(join(cacheDir, 'run-'));
    const control = join(work, 'control');
    for (const file of neededSources()) {
      mkdirSync(join(control, dirname(file)), { recursive: true });
      writeFileSync(join(control, file.replace(/\.ts$/, '.js')), compile(readFileSync(join(REPO_ROOT, file), 'utf8'), file));
    }
    // The compiled copy is ESM and finds @a2a-js/sdk in the repository's node_modules.
    writeFileSync(join(control, 'package.json'), '{"type":"module"}\n');
  });

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('control: the unmutated copy passes every case', async () => {
    const outcome = await runAll(await importTranslators(join(work, 'control')), runs);
    expect(outcome.failed).toEqual([]);
    expect(outcome.total).toBeGreaterThan(100);
  });

  MUTATIONS.forEach((m, index) => {
    it(`mutation is detected: ${m.rule} (${m.file}.ts)`, async () => {
      const source = readFileSync(join(REPO_ROOT, 'src/gateway/translate', `${m.file}.ts`), 'utf8');
      expect(source.split(m.from).length - 1, `"${m.from}" must occur once in ${m.file}.ts`).toBe(1);
      const dir = join(work, `mutant-${index}`);
      cpSync(join(work, 'control'), dir, { recursive: true });
      writeFileSync(join(dir, 'src/gateway/translate', `${m.file}.js`), compile(source.replace(m.from, m.to), `${m.file}.ts`));
      const outcome = await runAll(await importTranslators(dir), runs);
      expect(outcome.failed.length).toBeGreaterThan(0);
      // Each named case must fail in every shape it has: the v0.3 path pins the rule too.
      const failed = new Set(outcome.failed.map((f) => `${f.id} (${f.shape})`));
      for (const id of m.mustCatch) {
        const shapes = runs.filter((r) => r.id === id).map((r) => `${id} (${r.shape})`);
        expect(shapes.length, `no case ${id}`).toBeGreaterThan(0);
        for (const name of shapes) expect(failed.has(name), `${name} should fail under this mutation; failed: ${[...failed].join(', ')}`).toBe(true);
      }
    });
  });
});
