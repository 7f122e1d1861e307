// Raw bytes limits on the parts of an A2A request toward a plain toq agent (DESIGN §5.2: "raw
// bytes obey accept_files and min(max_file_size, what fits in a 1 MiB frame)"): which limits an
// agent states (a toq card's accept_files / max_file_size), and the check of a message against
// them, which throws the A2A error the caller gets. Pure: the limits come in; it must not look
// anything up. Only `raw` parts carry bytes: `url` parts are links and pass like text.

import type { Message } from '@a2a-js/sdk';
import { ContentTypeNotSupportedError, RequestMalformedError } from '@a2a-js/sdk/errors';
import { MAX_FRAME_BYTES } from '../../protocol/constants.js';

/**
 * Room kept in a frame for everything but the raw parts' base64: the envelope's header members
 * and signature, the A2A ids, the text. A body that is bigger for other reasons still fails at
 * the outbox (message_too_large).
 */
export const FRAME_RESERVE_BYTES = 16_384;

/** The most raw bytes one message can carry in one toq frame: their base64 fills what the reserve leaves. */
export const MAX_RAW_BYTES_IN_FRAME = Math.floor((MAX_FRAME_BYTES - FRAME_RESERVE_BYTES) / 4) * 3;

export interface FileLimits {
  /** `accept_files`: whether the agent takes raw file parts at all. */
  readonly acceptFiles: boolean;
  /** `max_file_size` in bytes; absent: only the frame limit. */
  readonly maxFileBytes?: number;
}

/** What the agent states about files in its toq card (wire spec §6.2). */
export interface FileLimitsCard {
  readonly accept_files: boolean;
  readonly max_file_size?: number;
}

/** No stated limit: only what fits in a frame (an agent whose card we do not have, a lossless-profile peer). */
export const FRAME_ONLY_FILE_LIMITS: FileLimits = Object.freeze({ acceptFiles: true });

/** A toq card's file limits; no card → the frame only. */
export function toFileLimits(card: FileLimitsCard | undefined): FileLimits {
  if (card === undefined) return FRAME_ONLY_FILE_LIMITS;
  return card.max_file_size === undefined ? { acceptFiles: card.accept_files } : { acceptFiles: card.accept_files, maxFileBytes: card.max_file_size };
}

/**
 * Refuses a message whose raw parts the agent would not take: any raw part when files are not
 * accepted (ContentTypeNotSupportedError, -32005: this content is not taken, whatever its size),
 * a raw part over min(max_file_size, MAX_RAW_BYTES_IN_FRAME) or raw parts that together exceed
 * what fits in one frame (RequestMalformedError, -32602 invalid params: a limit, with the numbers).
 */
export function checkA2aFileParts(message: Message, limits: FileLimits): void {
  const isMaxFileSize = limits.maxFileBytes !== undefined && limits.maxFileBytes <= MAX_RAW_BYTES_IN_FRAME;
  const perFile = isMaxFileSize ? limits.maxFileBytes! : MAX_RAW_BYTES_IN_FRAME;
  let total = 0;
  message.parts.forEach((part, index) => {
    if (part.content?.$case !== 'raw') return;
    const where = `parts[${index}]${part.filename === '' ? '' : ` (${JSON.stringify(part.filename)})`}`;
    if (!limits.acceptFiles) throw new ContentTypeNotSupportedError(`${where} is a file (raw bytes), and this agent does not accept files (accept_files = false)`);
    const bytes = part.content.value.byteLength;
    if (bytes > perFile) {
      const why = isMaxFileSize ? 'max_file_size' : 'what fits in one 1 MiB toq frame';
      throw new RequestMalformedError(`${where} is ${bytes} bytes; this agent takes files of at most ${perFile} bytes (${why})`);
    }
    total += bytes;
  });
  if (total > MAX_RAW_BYTES_IN_FRAME) {
    throw new RequestMalformedError(`the raw parts are ${total} bytes together; at most ${MAX_RAW_BYTES_IN_FRAME} fit in one 1 MiB toq frame`);
  }
}
