// A handler definition as handlers.toml and the local API carry it (local-API spec §3.8, §6), with
// the checks the reference CLI applies when adding one. It only describes handlers: it never runs
// them, reads files or touches the environment.

import { GatewayError } from '../protocol/errors.js';

/** The LLM providers the reference knows (spec §5.3). */
export const LLM_PROVIDERS = ['openai', 'anthropic', 'bedrock', 'ollama'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/**
 * One `[[handlers]]` entry. Field names are the file's and the API's (snake_case). Absent text
 * fields are `undefined`; the reference stores them as empty strings, and `parseHandlerSpec`
 * folds an empty string back into `undefined`.
 */
export interface HandlerSpec {
  readonly name: string;
  /** Shell command run with `sh -c` (spec §5.2). */
  readonly command?: string | undefined;
  /** LLM provider name; a handler with a provider is an LLM handler, whatever else is set. */
  readonly provider?: string | undefined;
  readonly model?: string | undefined;
  /** Inline system prompt. */
  readonly prompt?: string | undefined;
  /** Path of a system prompt file, read on every message. */
  readonly prompt_file?: string | undefined;
  /** Turn limit per conversation (usize in the reference). */
  readonly max_turns?: number | undefined;
  /** Offer the model the close_thread tool. @default false */
  readonly auto_close: boolean;
  /** @default true */
  readonly enabled: boolean;
  readonly filter_from: readonly string[];
  readonly filter_key: readonly string[];
  readonly filter_type: readonly string[];
}

/** A handler definition that cannot be used; `field` names the offending key. */
export class HandlerSpecError extends GatewayError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid_handler', message);
    this.field = field;
  }
}

/** The reference's `is_llm`: a non-empty provider makes an LLM handler (spec §5). */
export function isLlmHandler(spec: HandlerSpec): boolean {
  return spec.provider !== undefined && spec.provider !== '';
}

export function isLlmProvider(name: string): name is LlmProvider {
  return (LLM_PROVIDERS as readonly string[]).includes(name);
}

/**
 * Reads a handler from a parsed handlers.toml table or an API request body. Checks types only
 * (as serde does when the reference loads the file); `validateHandlerSpec` adds the CLI's rules.
 * Missing flags take the file's defaults: `enabled` true, `auto_close` false, empty filters.
 */
export function parseHandlerSpec(value: unknown): HandlerSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HandlerSpecError('name', 'handler must be an object');
  }
  const obj = value as Record<string, unknown>;
  const name = obj['name'];
  if (typeof name !== 'string' || name === '') throw new HandlerSpecError('name', 'missing name');
  const spec: HandlerSpec = {
    name,
    command: optionalText(obj, 'command'),
    provider: optionalText(obj, 'provider'),
    model: optionalText(obj, 'model'),
    prompt: optionalString(obj, 'prompt'),
    prompt_file: optionalString(obj, 'prompt_file'),
    max_turns: optionalCount(obj, 'max_turns'),
    auto_close: optionalBoolean(obj, 'auto_close', false),
    enabled: optionalBoolean(obj, 'enabled', true),
    filter_from: stringList(obj, 'filter_from'),
    filter_key: stringList(obj, 'filter_key'),
    filter_type: stringList(obj, 'filter_type'),
  };
  return spec;
}

/**
 * The rules `toq handler add` enforces (reference main.rs): a command or a provider but not both,
 * a known provider, and a model for every provider. The local API itself only asks for one of
 * command/provider (spec §3.8); callers that mimic it should catch the stricter errors.
 */
export function validateHandlerSpec(spec: HandlerSpec): void {
  const hasCommand = spec.command !== undefined && spec.command !== '';
  const hasProvider = isLlmHandler(spec);
  if (!hasCommand && !hasProvider) throw new HandlerSpecError('command', 'specify command or provider');
  if (hasCommand && hasProvider) throw new HandlerSpecError('provider', 'cannot use both command and provider');
  if (hasProvider) {
    if (!isLlmProvider(spec.provider as string)) {
      throw new HandlerSpecError('provider', 'provider must be openai, anthropic, bedrock, or ollama');
    }
    if (spec.model === undefined || spec.model === '') {
      throw new HandlerSpecError('model', 'model is required for LLM handlers');
    }
  }
}

function optionalString(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HandlerSpecError(key, `${key} must be a string`);
  return v;
}

// command/provider/model are plain Strings with `default` in the reference: "" means unset.
function optionalText(obj: Record<string, unknown>, key: string): string | undefined {
  const v = optionalString(obj, key);
  return v === '' ? undefined : v;
}

function optionalCount(obj: Record<string, unknown>, key: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new HandlerSpecError(key, `${key} must be a non-negative integer`);
  }
  return n;
}

function optionalBoolean(obj: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new HandlerSpecError(key, `${key} must be a boolean`);
  return v;
}

function stringList(obj: Record<string, unknown>, key: string): readonly string[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new HandlerSpecError(key, `${key} must be a list of strings`);
  }
  return Object.freeze([...(v as string[])]);
}
