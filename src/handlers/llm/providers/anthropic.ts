// Anthropic provider (local-API spec §5.3): POST /v1/messages with x-api-key from
// ANTHROPIC_API_KEY, anthropic-version 2023-06-01 and max_tokens 4096. Translation and one HTTP
// call; no state, no logging.

import { CLOSE_THREAD_TOOL, LLM_CALL_TIMEOUT_MS, ProviderError, emptyToolSchema, field, nestedErrorMessage, postJson, type CompleteFn, type ProviderHttpOptions } from '../provider.js';
import { trimSlashes } from './openai.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_API_KEY_ENV = 'ANTHROPIC_API_KEY';
export const ANTHROPIC_VERSION = '2023-06-01';
export const ANTHROPIC_MAX_TOKENS = 4096;

export interface AnthropicProviderOptions extends ProviderHttpOptions {
  /** Where ANTHROPIC_API_KEY is read, at each call. */
  env: Readonly<Record<string, string | undefined>>;
}

export function createAnthropicProvider(options: AnthropicProviderOptions): CompleteFn {
  const base = trimSlashes(options.baseUrl ?? ANTHROPIC_BASE_URL);
  return async (request) => {
    const apiKey = options.env[ANTHROPIC_API_KEY_ENV];
    if (!apiKey) throw new ProviderError('anthropic', 'provider_config', `${ANTHROPIC_API_KEY_ENV} not set`);
    const payload: Record<string, unknown> = {
      model: request.model,
      max_tokens: ANTHROPIC_MAX_TOKENS,
      system: request.system,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    };
    if (request.tools.length > 0) {
      payload['tools'] = request.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: emptyToolSchema() }));
    }
    const body = await postJson({
      provider: 'anthropic',
      url: `${base}/v1/messages`,
      headers: { 'x-api-key': apiKey, 'anthropic-version': ANTHROPIC_VERSION, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      timeoutMs: options.timeoutMs ?? LLM_CALL_TIMEOUT_MS,
      fetch: options.fetch ?? fetch,
      signal: request.signal,
      errorMessage: nestedErrorMessage,
    });
    // Text blocks concatenated; a tool_use block named close_thread closes the thread.
    let text = '';
    let closeThread = false;
    const content = field(body, 'content');
    for (const block of Array.isArray(content) ? content : []) {
      const type = field(block, 'type');
      const blockText = field(block, 'text');
      if (type === 'text' && typeof blockText === 'string') text += blockText;
      else if (type === 'tool_use' && field(block, 'name') === CLOSE_THREAD_TOOL.name) closeThread = true;
    }
    return { text, closeThread };
  };
}
