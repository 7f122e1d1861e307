// argv → values for one command, with node:util parseArgs. Every command also accepts the global
// options (`--config-dir`, `--json`, `--help`) wherever they appear, so `toq status --json` and
// `toq --json status` mean the same. Parse errors become UsageError (exit 2).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createCliContext, type CliContext, type CliIo } from './cli-context.js';
import { UsageError } from './exit-codes.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS = {
  'config-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

/** What main.ts found before the command word (`toq --config-dir X status`). */
export interface GlobalValues {
  readonly 'config-dir'?: string | undefined;
  readonly json?: boolean | undefined;
}

export interface CommandInput {
  /** The arguments after the command word(s). */
  readonly args: readonly string[];
  readonly globals: GlobalValues;
  readonly io: CliIo;
}

export interface ParsedCommand<V> {
  readonly values: V;
  readonly positionals: string[];
  readonly ctx: CliContext;
  readonly isHelp: boolean;
}

type Values<O extends OptionSpecs> = {
  [K in keyof O]?: O[K] extends { type: 'boolean'; multiple: true }
    ? boolean[]
    : O[K] extends { type: 'boolean' }
      ? boolean
      : O[K] extends { multiple: true }
        ? string[]
        : string;
};

/**
 * Parses `input.args` against `options` plus the global ones, and checks the positional count.
 * `positionals` is [min, max] (max Infinity for any number).
 */
export function parseCommand<O extends OptionSpecs>(
  input: CommandInput,
  options: O,
  positionals: readonly [number, number] = [0, 0],
): ParsedCommand<Values<O>> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...input.args], options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values;
  const isHelp = values['help'] === true;
  const [min, max] = positionals;
  if (!isHelp && parsed.positionals.length < min) throw new UsageError(`expected ${min === max ? min : `at least ${min}`} argument${min === 1 ? '' : 's'}, got ${parsed.positionals.length}`);
  if (!isHelp && parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  const ctx = createCliContext(input.io, {
    configDir: (values['config-dir'] as string | undefined) ?? input.globals['config-dir'],
    isJson: (values['json'] as boolean | undefined) ?? input.globals.json ?? false,
  });
  return { values: values as Values<O>, positionals: parsed.positionals, ctx, isHelp };
}

/** A non-negative integer option, or a UsageError naming it. */
export function integerOption(name: string, text: string | undefined, range: { min?: number; max?: number } = {}): number | undefined {
  if (text === undefined) return undefined;
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return Number(text);
}
