// A toq message.send for a hosted A2A upstream agent → the A2A `Message` sent upstream (DESIGN
// §4, §5.3): parts from the body (`parts` in v1.0 ProtoJSON win, else `text`, else the whole body
// as one data part), `contextId`/`taskId` of the thread's upstream conversation when known, and
// `metadata.toq` = {from, publicKey, envelopeId, threadId, verified, envelope} so the upstream can
// see (and re-verify) who spoke. Pure: the caller supplies the envelope's wire JSON.

import { Part, Role, type Message } from '@a2a-js/sdk';
import type { JsonValue } from '../../protocol/json-value.js';
import { textPart, toPlainJson } from './plain-values.js';

export interface ToqProvenance {
  /** The sender's toq address (the envelope's `from`). */
  readonly from: string;
  /** The sender's key as proven in the handshake (`ed25519:...`). */
  readonly publicKey: string;
  readonly envelopeId: string;
  readonly threadId?: string;
  /** The signed envelope as plain JSON (its wire text parsed). */
  readonly envelope: unknown;
}

export interface UpstreamRequestIds {
  /** The A2A messageId: the envelope id, so a resend after a restart is the same message. */
  readonly messageId: string;
  /** The upstream context of the thread; absent on a thread's first message. */
  readonly contextId?: string;
  /** The paused (input-required / auth-required) upstream task this message answers. */
  readonly taskId?: string;
}

export function toA2aUpstreamMessage(body: JsonValue | undefined, ids: UpstreamRequestIds, provenance: ToqProvenance): Message {
  return {
    messageId: ids.messageId,
    contextId: ids.contextId ?? '',
    taskId: ids.taskId ?? '',
    role: Role.ROLE_USER,
    parts: toA2aParts(body),
    metadata: {
      toq: {
        from: provenance.from,
        publicKey: provenance.publicKey,
        envelopeId: provenance.envelopeId,
        ...(provenance.threadId !== undefined && { threadId: provenance.threadId }),
        // The session checked the signature against the handshake key before delivering it.
        verified: true,
        envelope: structuredClone(provenance.envelope),
      },
    },
    extensions: [],
    referenceTaskIds: [],
  };
}

/**
 * Lossless profile (DESIGN §5.1): the caller's own message, as the near gateway carried it, toward
 * our upstream: its messageId, parts, extensions and referenceTaskIds kept; its task and context
 * ids replaced by the upstream's own (the near side's mean nothing here); `metadata.toq` added.
 */
export function toA2aUpstreamBridgedMessage(message: Message, ids: Omit<UpstreamRequestIds, 'messageId'>, provenance: ToqProvenance): Message {
  const upstream = toA2aUpstreamMessage(undefined, { messageId: message.messageId, ...ids }, provenance);
  return { ...structuredClone(message), role: Role.ROLE_USER, contextId: upstream.contextId, taskId: upstream.taskId, metadata: { ...structuredClone(message.metadata ?? {}), ...upstream.metadata } };
}

/** The parts a toq body stands for. An absent body is one empty text part (A2A needs a part). */
export function toA2aParts(body: JsonValue | undefined): Part[] {
  const plain = body === undefined ? undefined : toPlainJson(body);
  if (typeof plain === 'string') return [textPart(plain)];
  if (typeof plain === 'object' && plain !== null && !Array.isArray(plain)) {
    const object = plain as Record<string, unknown>;
    const rawParts = object['parts'];
    if (Array.isArray(rawParts)) {
      const parts: Part[] = [];
      for (const raw of rawParts) {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
        const part = Part.fromJSON(raw);
        if (part.content !== undefined) parts.push(part);
      }
      if (parts.length > 0) return parts;
    }
    if (typeof object['text'] === 'string') return [textPart(object['text'])];
  }
  if (plain === undefined || plain === null) return [textPart('')];
  return [{ content: { $case: 'data', value: plain }, mediaType: 'application/json', filename: '', metadata: undefined }];
}


