// Builds the provider adapter for a handler's `provider` name (local-API spec §5.3). Only wiring:
// the daemon passes its environment and per-provider overrides; nothing here does I/O by itself.

import type { LlmProvider } from '../handler-spec.js';
import type { CompleteFn } from './provider.js';
import { createAnthropicProvider } from './providers/anthropic.js';
import { createBedrockProvider } from './providers/bedrock.js';
import { createOllamaProvider } from './providers/ollama.js';
import { createOpenAiProvider } from './providers/openai.js';

export interface ProviderRegistryOptions {
  /** The daemon's environment: API keys, AWS_*, OLLAMA_HOST. */
  env: Readonly<Record<string, string | undefined>>;
  /** Per-call timeout in ms. @default LLM_CALL_TIMEOUT_MS (120000) */
  timeoutMs?: number | undefined;
  /** Base URL per provider instead of its own host (tests, proxies). */
  baseUrls?: Partial<Record<LlmProvider, string>> | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
  /** Clock for SigV4. @default Date.now */
  now?: (() => number) | undefined;
}

export function createProvider(provider: LlmProvider, options: ProviderRegistryOptions): CompleteFn {
  const common = { env: options.env, timeoutMs: options.timeoutMs, baseUrl: options.baseUrls?.[provider], fetch: options.fetch };
  switch (provider) {
    case 'openai':
      return createOpenAiProvider(common);
    case 'anthropic':
      return createAnthropicProvider(common);
    case 'ollama':
      return createOllamaProvider(common);
    case 'bedrock':
      return createBedrockProvider({ ...common, now: options.now });
  }
}
