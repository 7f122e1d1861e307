// OpenAI provider (local-API spec §5.3): POST /v1/chat/completions with a bearer key from
// OPENAI_API_KEY. Translation and one HTTP call; no state, no logging.

import { CLOSE_THREAD_TOOL, LLM_CALL_TIMEOUT_MS, ProviderError, nestedErrorMessage, postJson, type CompleteFn, type ProviderHttpOptions } from '../provider.js';
import { fromChatCompletionsResponse, toChatCompletionsBody } from './openai-format.js';

export const OPENAI_BASE_URL = 'https://api.openai.com';
export const OPENAI_API_KEY_ENV = 'OPENAI_API_KEY';

export interface OpenAiProviderOptions extends ProviderHttpOptions {
  /** Where OPENAI_API_KEY is read, at each call (the daemon's environment). */
  env: Readonly<Record<string, string | undefined>>;
}

export function createOpenAiProvider(options: OpenAiProviderOptions): CompleteFn {
  const base = trimSlashes(options.baseUrl ?? OPENAI_BASE_URL);
  return async (request) => {
    const apiKey = options.env[OPENAI_API_KEY_ENV];
    if (!apiKey) throw new ProviderError('openai', 'provider_config', `${OPENAI_API_KEY_ENV} not set`);
    const body = await postJson({
      provider: 'openai',
      url: `${base}/v1/chat/completions`,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(toChatCompletionsBody(request)),
      timeoutMs: options.timeoutMs ?? LLM_CALL_TIMEOUT_MS,
      fetch: options.fetch ?? fetch,
      signal: request.signal,
      errorMessage: nestedErrorMessage,
    });
    return fromChatCompletionsResponse(body, CLOSE_THREAD_TOOL.name);
  };
}

export function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}
