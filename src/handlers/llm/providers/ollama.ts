// Ollama provider (local-API spec §5.3): the OpenAI-compatible /v1/chat/completions endpoint of
// OLLAMA_HOST, no key. Translation and one HTTP call; no state, no logging.

import { CLOSE_THREAD_TOOL, LLM_CALL_TIMEOUT_MS, nestedErrorMessage, postJson, type CompleteFn, type ProviderHttpOptions } from '../provider.js';
import { fromChatCompletionsResponse, toChatCompletionsBody } from './openai-format.js';
import { trimSlashes } from './openai.js';

export const OLLAMA_DEFAULT_HOST = 'http://localhost:11434';
export const OLLAMA_HOST_ENV = 'OLLAMA_HOST';

export interface OllamaProviderOptions extends ProviderHttpOptions {
  /** Where OLLAMA_HOST is read, at each call. `baseUrl` wins over it. */
  env: Readonly<Record<string, string | undefined>>;
}

export function createOllamaProvider(options: OllamaProviderOptions): CompleteFn {
  return async (request) => {
    const body = await postJson({
      provider: 'ollama',
      url: `${ollamaBase(options)}/v1/chat/completions`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(toChatCompletionsBody(request)),
      timeoutMs: options.timeoutMs ?? LLM_CALL_TIMEOUT_MS,
      fetch: options.fetch ?? fetch,
      signal: request.signal,
      errorMessage: nestedErrorMessage,
    });
    return fromChatCompletionsResponse(body, CLOSE_THREAD_TOOL.name);
  };
}

function ollamaBase(options: OllamaProviderOptions): string {
  const host = options.baseUrl ?? (options.env[OLLAMA_HOST_ENV] || OLLAMA_DEFAULT_HOST);
  // Ollama itself accepts OLLAMA_HOST without a scheme (`0.0.0.0:11434`); the reference would
  // build an unusable URL from that, so assume http.
  return trimSlashes(/^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `http://${host}`);
}
