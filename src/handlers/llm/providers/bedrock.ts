// AWS Bedrock provider (local-API spec §5.3): the Converse API at
// bedrock-runtime.<region>.amazonaws.com/model/<encoded model>/converse, signed with SigV4
// (service `bedrock`) from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN and
// AWS_REGION. Translation, signing and one HTTP call; no state, no logging.

import { CLOSE_THREAD_TOOL, LLM_CALL_TIMEOUT_MS, ProviderError, emptyToolSchema, field, postJson, type CompleteFn, type ProviderHttpOptions } from '../provider.js';
import { signSigV4, uriEncode } from '../sigv4.js';
import { trimSlashes } from './openai.js';

export const BEDROCK_DEFAULT_REGION = 'us-east-1';
export const BEDROCK_SERVICE = 'bedrock';
export const BEDROCK_MAX_TOKENS = 4096;

export interface BedrockProviderOptions extends ProviderHttpOptions {
  /** Where the AWS_* variables are read, at each call. */
  env: Readonly<Record<string, string | undefined>>;
  /** Signing clock, ms since the epoch. @default Date.now */
  now?: (() => number) | undefined;
}

/** `https://bedrock-runtime.<region>.amazonaws.com` */
export function bedrockBaseUrl(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

export function createBedrockProvider(options: BedrockProviderOptions): CompleteFn {
  const now = options.now ?? Date.now;
  return async (request) => {
    const env = options.env;
    const accessKeyId = env['AWS_ACCESS_KEY_ID'];
    const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
    if (!accessKeyId) throw new ProviderError('bedrock', 'provider_config', 'AWS_ACCESS_KEY_ID not set');
    if (!secretAccessKey) throw new ProviderError('bedrock', 'provider_config', 'AWS_SECRET_ACCESS_KEY not set');
    const sessionToken = env['AWS_SESSION_TOKEN'] || undefined;
    const region = env['AWS_REGION'] || BEDROCK_DEFAULT_REGION;

    const payload: Record<string, unknown> = {
      modelId: request.model,
      system: [{ text: request.system }],
      messages: request.messages.map((m) => ({ role: m.role, content: [{ text: m.content }] })),
      inferenceConfig: { maxTokens: BEDROCK_MAX_TOKENS },
    };
    if (request.tools.length > 0) {
      payload['toolConfig'] = {
        tools: request.tools.map((tool) => ({ toolSpec: { name: tool.name, description: tool.description, inputSchema: { json: emptyToolSchema() } } })),
      };
    }
    const bodyText = JSON.stringify(payload);
    // The model id is encoded into one path segment (`:` becomes %3A); SigV4 encodes it again.
    const url = `${trimSlashes(options.baseUrl ?? bedrockBaseUrl(region))}/model/${uriEncode(request.model)}/converse`;
    const signed = signSigV4(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: bodyText },
      { accessKeyId, secretAccessKey, sessionToken },
      { region, service: BEDROCK_SERVICE, now: now() },
    );
    const headers: Record<string, string> = {
      authorization: signed.authorization,
      'x-amz-date': signed.amzDate,
      'x-amz-content-sha256': signed.payloadHash,
      'content-type': 'application/json',
    };
    if (sessionToken !== undefined) headers['x-amz-security-token'] = sessionToken;

    const body = await postJson({
      provider: 'bedrock',
      url,
      headers,
      body: bodyText,
      timeoutMs: options.timeoutMs ?? LLM_CALL_TIMEOUT_MS,
      fetch: options.fetch ?? fetch,
      signal: request.signal,
      errorMessage: (errorBody) => {
        const message = field(errorBody, 'message') ?? field(errorBody, 'Message');
        return typeof message === 'string' ? message : undefined;
      },
    });
    let text = '';
    let closeThread = false;
    const content = field(field(field(body, 'output'), 'message'), 'content');
    for (const block of Array.isArray(content) ? content : []) {
      const blockText = field(block, 'text');
      if (typeof blockText === 'string') text += blockText;
      if (field(field(block, 'toolUse'), 'name') === CLOSE_THREAD_TOOL.name) closeThread = true;
    }
    return { text, closeThread };
  };
}
