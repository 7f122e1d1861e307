// The chat-completions request and response format that OpenAI and Ollama share (local-API spec
// §5.3): system prompt as the first message, tools in function format, the reply in
// choices[0].message. Pure translation; the HTTP call is the provider's.

import { emptyToolSchema, field, type Completion, type CompletionRequest } from '../provider.js';

/** The request body (model, messages with the system prompt first, tools only when offered). */
export function toChatCompletionsBody(request: CompletionRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    messages: [{ role: 'system', content: request.system }, ...request.messages.map((m) => ({ role: m.role, content: m.content }))],
  };
  if (request.tools.length > 0) {
    body['tools'] = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: emptyToolSchema() },
    }));
  }
  return body;
}

/** `choices[0].message.content` (or ""), and whether a tool call named close_thread is present. */
export function fromChatCompletionsResponse(body: unknown, closeToolName: string): Completion {
  const choices = field(body, 'choices');
  const message = field(Array.isArray(choices) ? choices[0] : undefined, 'message');
  const content = field(message, 'content');
  const toolCalls = field(message, 'tool_calls');
  const closeThread = Array.isArray(toolCalls) && toolCalls.some((call) => field(field(call, 'function'), 'name') === closeToolName);
  return { text: typeof content === 'string' ? content : '', closeThread };
}
