// A toq stream piece → an A2A artifact update (DESIGN §5.2): `message.stream.chunk` and
// `message.stream.end` carry `{"stream_id", "data"?}` (wire spec §7; the local API's `data` is
// `{"text": ...}`). Each chunk becomes a TaskArtifactUpdateEvent on one artifact per stream: the
// first with `append: false`, later ones `append: true`, the end `lastChunk: true`. Pure: ids
// come in; the caller counts chunks.

import type { Artifact, Part } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutionEvent } from '@a2a-js/sdk/server';
import { wireJson } from '../../protocol/canonical-json.js';
import { isJsonObject, type JsonValue } from '../../protocol/json-value.js';
import { toA2aReply } from './a2a-reply.js';
import { textPart } from './plain-values.js';

export interface ToqStreamPiece {
  /** The sender's stream id; undefined when the body names none. */
  readonly streamId?: string;
  /** What the piece carries; empty for an end without `data`. */
  readonly parts: Part[];
}

export interface StreamChunkIds {
  readonly taskId: string;
  readonly contextId: string;
  readonly artifactId: string;
}

/**
 * Reads a chunk or end body. `data` as text → a text part; an object with `text` or `parts` →
 * those (as a reply body reads); any other JSON → one data part.
 */
export function toA2aStreamPiece(body: JsonValue | undefined): ToqStreamPiece {
  if (!isJsonObject(body)) return { parts: [] };
  const rawId = body['stream_id'];
  const streamId = typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
  const data = body['data'];
  const parts = data === undefined || data === null ? [] : toParts(data);
  return streamId === undefined ? { parts } : { streamId, parts };
}

/** The artifact id of one stream of a task (stable, so appends land on the same artifact). */
export function streamArtifactId(taskId: string, streamId: string | undefined): string {
  return streamId === undefined ? `${taskId}-stream` : `${taskId}-stream-${streamId}`;
}

/** One artifact update: `append` once the artifact exists, `lastChunk` for the stream's end. */
export function toA2aChunkEvent(piece: ToqStreamPiece, ids: StreamChunkIds, flags: { readonly append: boolean; readonly lastChunk: boolean }): AgentExecutionEvent {
  const artifact: Artifact = { artifactId: ids.artifactId, name: 'stream', description: '', parts: piece.parts.map((p) => structuredClone(p)), metadata: undefined, extensions: [] };
  return AgentEvent.artifactUpdate({ taskId: ids.taskId, contextId: ids.contextId, artifact, append: flags.append, lastChunk: flags.lastChunk, metadata: undefined });
}

function toParts(data: JsonValue): Part[] {
  if (typeof data === 'string') return [textPart(data)];
  if (isJsonObject(data) && (typeof data['text'] === 'string' || Array.isArray(data['parts']))) return toA2aReply(data).parts;
  // Plain JS values for the SDK (a number's lexeme becomes the nearest double).
  const value: unknown = JSON.parse(wireJson(data));
  return [{ content: { $case: 'data', value }, mediaType: 'application/json', filename: '', metadata: undefined }];
}
