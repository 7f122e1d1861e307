// A2A CancelTask → the toq `message.cancel` for the message that carried the task's current
// turn (DESIGN §5.2; wire spec §7: body `{"cancel_id": "<uuid>"}`, not acked). It rides on the
// task's thread so a receiver can find what it cancels. Pure.

import type { JsonObject } from '../../protocol/json-value.js';

export interface ToqCancelFields {
  readonly type: 'message.cancel';
  readonly thread_id: string;
  readonly body: JsonObject;
}

export function toToqCancel(canceledId: string, threadId: string): ToqCancelFields {
  if (canceledId === '') throw new RangeError('the canceled message id must not be empty');
  return { type: 'message.cancel', thread_id: threadId, body: { cancel_id: canceledId } };
}
