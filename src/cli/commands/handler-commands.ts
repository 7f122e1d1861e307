// `toq handler ...` (local-API spec §10, §5): add, list, remove, enable, disable, stop, logs.
// handlers.toml is edited here with the reference CLI's checks (handler-spec.ts); a running
// daemon is then asked to reload it. `stop` needs the daemon; `logs` reads the handler's file.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../config/config-error.js';
import { HandlerSpecError, parseHandlerSpec, validateHandlerSpec, type HandlerSpec } from '../../handlers/handler-spec.js';
import { readHandlersFile, writeHandlersFileSync } from '../../workspace/handlers-file.js';
import type { CliContext } from '../cli-context.js';
import type { Command } from '../command.js';
import { CliError, UsageError } from '../exit-codes.js';
import { columns } from '../format.js';
import { integerOption, parseCommand } from '../parse-command.js';
import { findRunningDaemon, requireRunningDaemon } from '../running-daemon.js';
import { help } from './workspace-commands.js';

/** Handler names become file names (logs/handlers/handler-<name>.log): no separators. */
const HANDLER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const ADD_OPTIONS = {
  command: { type: 'string' },
  provider: { type: 'string' },
  model: { type: 'string' },
  prompt: { type: 'string' },
  'prompt-file': { type: 'string' },
  'max-turns': { type: 'string' },
  'auto-close': { type: 'boolean' },
  from: { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  type: { type: 'string', multiple: true },
  pid: { type: 'string' },
} as const;

interface HandlerRow {
  readonly name: string;
  readonly command: string;
  readonly provider: string;
  readonly model: string;
  readonly enabled: boolean;
  readonly active?: number;
  readonly filter_from: readonly string[];
  readonly filter_key: readonly string[];
  readonly filter_type: readonly string[];
}

export const handlerCommand: Command = {
  name: 'handler',
  summary: 'message handlers (add | list | remove | enable | disable | stop | logs)',
  usage: [
    'toq handler add <name> --command CMD [--from PATTERN]... [--key KEY]... [--type TYPE]...',
    'toq handler add <name> --provider openai|anthropic|bedrock|ollama --model MODEL [--prompt TEXT | --prompt-file PATH] [--max-turns N] [--auto-close] [filters]',
    'toq handler list [--json]',
    'toq handler remove|enable|disable <name>',
    'toq handler stop <name> [--pid PID]',
    'toq handler logs <name>',
  ].join('\n'),
  async run(input) {
    const { values, positionals, ctx, isHelp } = parseCommand(input, ADD_OPTIONS, [0, 2]);
    const [sub, name] = positionals;
    if (isHelp || sub === undefined) return help(ctx, this, isHelp ? 0 : 2);
    if (sub === 'list') return listHandlers(ctx);
    if (name === undefined) throw new UsageError(`usage: toq handler ${sub} <name>`);
    switch (sub) {
      case 'add':
        return addHandler(ctx, name, values);
      case 'remove':
        return editHandlers(ctx, name, (specs) => specs.filter((s) => s.name !== name), `removed handler ${name}`);
      case 'enable':
      case 'disable': {
        const enabled = sub === 'enable';
        return editHandlers(ctx, name, (specs) => specs.map((s) => (s.name === name ? { ...s, enabled } : s)), `${sub}d handler ${name}`);
      }
      case 'stop': {
        const pid = integerOption('pid', values.pid, { min: 1 });
        const daemon = requireRunningDaemon(ctx.paths);
        const result = await daemon.api.post('/v1/handlers/stop', { name, ...(pid !== undefined && { pid }) });
        if (ctx.isJson) return void ctx.json(result);
        ctx.out(`stopped ${String(result['stopped'])} process${result['stopped'] === 1 ? '' : 'es'} of handler ${name}`);
        return;
      }
      case 'logs': {
        checkName(name);
        const path = join(ctx.paths.handlerLogsDir, `handler-${name}.log`);
        if (!existsSync(path)) {
          ctx.note(`no log yet for handler ${name} (${path})`);
          return;
        }
        ctx.io.stdout.write(readFileSync(path, 'utf8'));
        return;
      }
      default:
        throw new UsageError(`unknown handler subcommand "${sub}" (add, list, remove, enable, disable, stop, logs)`);
    }
  },
};

async function addHandler(ctx: CliContext, name: string, values: Record<string, unknown>): Promise<void> {
  checkName(name);
  const maxTurns = integerOption('max-turns', values['max-turns'] as string | undefined, { min: 1 });
  let spec: HandlerSpec;
  try {
    spec = parseHandlerSpec({
      name,
      command: values['command'],
      provider: values['provider'],
      model: values['model'],
      prompt: values['prompt'],
      prompt_file: values['prompt-file'],
      max_turns: maxTurns,
      auto_close: values['auto-close'] === true,
      enabled: true,
      filter_from: values['from'] ?? [],
      filter_key: values['key'] ?? [],
      filter_type: values['type'] ?? [],
    });
    validateHandlerSpec(spec);
  } catch (err) {
    if (err instanceof HandlerSpecError) throw new CliError('invalid_handler', err.message, 1, { cause: err });
    throw err;
  }
  const specs = readHandlers(ctx);
  if (specs.some((s) => s.name === name)) throw new CliError('invalid_request', `handler '${name}' already exists`);
  writeHandlersFileSync(ctx.paths.handlers, [...specs, spec]);
  const isLive = await reloadIfRunning(ctx);
  if (ctx.isJson) return void ctx.json({ status: 'added', name, reloaded: isLive });
  ctx.out(`added handler ${name}${isLive ? '' : ' (active at the next toq up)'}`);
}

async function editHandlers(ctx: CliContext, name: string, change: (specs: HandlerSpec[]) => HandlerSpec[], message: string): Promise<void> {
  const specs = readHandlers(ctx);
  if (!specs.some((s) => s.name === name)) throw new CliError('not_found', `handler '${name}' not found`);
  writeHandlersFileSync(ctx.paths.handlers, change(specs));
  const isLive = await reloadIfRunning(ctx);
  if (ctx.isJson) return void ctx.json({ status: 'updated', name, reloaded: isLive });
  ctx.out(message);
}

async function listHandlers(ctx: CliContext): Promise<void> {
  const daemon = findRunningDaemon(ctx.paths);
  const handlers: HandlerRow[] =
    daemon !== undefined
      ? (await daemon.api.get<{ handlers: HandlerRow[] }>('/v1/handlers')).handlers
      : readHandlers(ctx).map((s) => ({
          name: s.name,
          command: s.command ?? '',
          provider: s.provider ?? '',
          model: s.model ?? '',
          enabled: s.enabled,
          filter_from: s.filter_from,
          filter_key: s.filter_key,
          filter_type: s.filter_type,
        }));
  if (ctx.isJson) return void ctx.json({ handlers });
  if (handlers.length === 0) return void ctx.out('no handlers');
  ctx.out(
    columns([
      ['NAME', 'STATE', 'ACTIVE', 'RUNS', 'FILTERS'],
      ...handlers.map((h) => [
        h.name,
        h.enabled ? 'enabled' : 'disabled',
        h.active === undefined ? '-' : String(h.active),
        h.provider !== '' ? `${h.provider}/${h.model}` : h.command,
        describeFilters(h),
      ]),
    ]),
  );
}

function describeFilters(h: HandlerRow): string {
  const parts = [...h.filter_from.map((f) => `from=${f}`), ...h.filter_key.map((k) => `key=${k}`), ...h.filter_type.map((t) => `type=${t}`)];
  return parts.length === 0 ? 'all messages' : parts.join(' ');
}

function readHandlers(ctx: CliContext): HandlerSpec[] {
  try {
    return readHandlersFile(ctx.paths.handlers);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError('invalid_config', `${ctx.paths.handlers}: ${err.message}`, 1, { cause: err });
    throw err;
  }
}

async function reloadIfRunning(ctx: CliContext): Promise<boolean> {
  const daemon = findRunningDaemon(ctx.paths);
  if (daemon === undefined) return false;
  await daemon.api.post('/v1/handlers/reload');
  return true;
}

function checkName(name: string): void {
  if (!HANDLER_NAME.test(name)) throw new CliError('invalid_handler', `handler name must be letters, digits, "_", "." or "-" (not starting with "." or "-"), got "${name}"`);
}
