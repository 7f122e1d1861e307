// Workspace commands (local-API spec §10): init, setup, whoami, config show/set/unset and
// a2a enable/disable/status. They work on the files in the config dir; config changes reach a
// running daemon through PATCH /v1/config (config-edits.ts).

import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configToJson } from '../../config/config-json.js';
import { CONFIG_KEYS } from '../../config/config-schema.js';
import { ConfigError } from '../../config/config-error.js';
import { formatTomlKey, formatTomlValue } from '../../config/edit-config.js';
import { loadConfigFile } from '../../config/load-config.js';
import { isValidAgentName } from '../../protocol/address.js';
import { formatTxtRecord } from '../../protocol/dns-txt.js';
import { identityFromSeed, seedFromKeyFileText } from '../../protocol/ed25519.js';
import { CONNECTION_MODES } from '../../protocol/policy.js';
import { writeFileAtomicSync } from '../../workspace/atomic-write.js';
import { formatHandlersToml } from '../../workspace/handlers-file.js';
import { loadOrCreateIdentity, loadOrCreateTlsCredentials } from '../../workspace/identity-files.js';
import { EMPTY_PERMISSIONS, formatPermissionsToml } from '../../workspace/permissions-file.js';
import { initConfigText, WORKSPACE_GITIGNORE } from '../../workspace/workspace-init.js';
import { TOQ_CONFIG_DIR_ENV, TOQ_DIR_NAME, workspacePaths } from '../../workspace/workspace-paths.js';
import type { CliContext } from '../cli-context.js';
import type { Command } from '../command.js';
import { applyConfigEdit, configKeySpec, parseConfigValue } from '../config-edits.js';
import { CliError, UsageError } from '../exit-codes.js';
import { integerOption, parseCommand } from '../parse-command.js';
import { ask } from '../prompt.js';
import { findRunningDaemon } from '../running-daemon.js';

const SETUP_ADAPTERS = ['http', 'stdin', 'unix'] as const;

export const initCommand: Command = {
  name: 'init',
  summary: 'create a workspace (./.toq) with a minimal config',
  usage: 'toq init [--name agent] [--host localhost] [--port auto|N] [--config-dir DIR]',
  async run(input) {
    const { values, ctx, isHelp } = parseCommand(input, { name: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } });
    if (isHelp) return help(ctx, this);
    // init makes ./.toq (not $HOME/.toq) unless a directory is named explicitly.
    const explicit = ctx.configDirFlag ?? ctx.io.env[TOQ_CONFIG_DIR_ENV];
    const dir = explicit ? resolve(ctx.io.cwd, explicit) : join(ctx.io.cwd, TOQ_DIR_NAME);
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new CliError('workspace_exists', `workspace already initialized (${dir} exists)`);
    const port = values.port === undefined || values.port === 'auto' ? 'auto' : integerOption('port', values.port, { max: 65_535 });
    let text: string;
    try {
      text = initConfigText({ ...(values.name !== undefined && { name: values.name }), ...(values.host !== undefined && { host: values.host }), ...(port !== undefined && { port }) });
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError('invalid_config', err.message, 1, { cause: err });
      throw err;
    }
    // The same files as the workspace module's initWorkspace(), at any directory.
    const paths = workspacePaths(dir);
    writeFileAtomicSync(paths.config, text);
    writeFileAtomicSync(paths.gitignore, WORKSPACE_GITIGNORE);
    writeFileAtomicSync(paths.handlers, formatHandlersToml([]));
    writeFileAtomicSync(paths.permissions, formatPermissionsToml(EMPTY_PERMISSIONS));
    mkdirSync(paths.logsDir, { recursive: true });
    if (ctx.isJson) ctx.json({ config_dir: dir, agent_name: values.name ?? 'agent' });
    else ctx.out(`Initialized toq workspace in ${dir}\nagent: ${values.name ?? 'agent'}\nNext: toq up`);
  },
};

export const setupCommand: Command = {
  name: 'setup',
  summary: 'generate keys and a full config.toml in the config dir',
  usage:
    'toq setup [--non-interactive] [--agent-name NAME] [--host HOST] [--port N] [--connection-mode open|allowlist|approval|dns-verified]\n' +
    '          [--adapter http|stdin|unix] [--framework NAME] [--force]',
  async run(input) {
    const { values, ctx, isHelp } = parseCommand(input, {
      'non-interactive': { type: 'boolean' },
      'agent-name': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'connection-mode': { type: 'string' },
      adapter: { type: 'string' },
      framework: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (isHelp) return help(ctx, this);
    if (existsSync(ctx.paths.config) && !values.force) {
      throw new CliError('workspace_exists', `${ctx.paths.config} exists; pass --force to replace it (keys are kept)`);
    }
    // Prompts only on a terminal; a script gets the flags and the defaults.
    const isInteractive = ctx.isInteractive && !values['non-interactive'];
    let name = values['agent-name'] ?? 'agent';
    let host = values.host ?? (await outboundIp());
    let mode = values['connection-mode'] ?? 'approval';
    let adapter = values.adapter ?? 'http';
    if (isInteractive) {
      name = await ask(ctx, 'Agent name', name);
      host = await ask(ctx, 'Host (name or IP others use to reach you)', host);
      mode = await ask(ctx, `Connection mode (${CONNECTION_MODES.join(', ')})`, mode);
      adapter = await ask(ctx, `Adapter (${SETUP_ADAPTERS.join(', ')})`, adapter);
    }
    const port = integerOption('port', values.port, { max: 65_535 }) ?? 9009;
    if (!isValidAgentName(name)) throw new CliError('invalid_config', `agent_name must be lowercase letters, digits and inner hyphens, got "${name}"`);
    if (!(CONNECTION_MODES as readonly string[]).includes(mode)) throw new CliError('invalid_config', `connection_mode must be one of ${CONNECTION_MODES.join(', ')}, got "${mode}"`);
    if (!(SETUP_ADAPTERS as readonly string[]).includes(adapter)) throw new CliError('invalid_config', `adapter must be one of ${SETUP_ADAPTERS.join(', ')}, got "${adapter}"`);

    const identity = loadOrCreateIdentity(ctx.configDir);
    loadOrCreateTlsCredentials(ctx.configDir);
    const chosen: Record<string, string | number> = { agent_name: name, host, port, connection_mode: mode, adapter };
    // Every key of the reference with its default, as its setup writes them (spec §7).
    const lines = ['# toq configuration written by `toq setup`', ''];
    for (const spec of CONFIG_KEYS) {
      if (spec.origin !== 'reference') continue;
      const value = chosen[spec.key] ?? spec.default;
      if (value !== undefined) lines.push(`${formatTomlKey(spec.key)} = ${formatTomlValue(value)}`);
    }
    writeFileAtomicSync(ctx.paths.config, `${lines.join('\n')}\n`);
    for (const [path, text] of [
      [ctx.paths.handlers, formatHandlersToml([])],
      [ctx.paths.permissions, formatPermissionsToml(EMPTY_PERMISSIONS)],
    ] as const) {
      if (!existsSync(path)) writeFileAtomicSync(path, text);
    }
    const address = `toq://${host}/${name}`;
    if (ctx.isJson) {
      ctx.json({ config_dir: ctx.configDir, address, public_key: identity.publicKeyText, connection_mode: mode, adapter, ...(values.framework !== undefined && { framework: values.framework }) });
      return;
    }
    ctx.out(`Set up ${address} in ${ctx.configDir}`);
    ctx.out(`public key: ${identity.publicKeyText}`);
    ctx.out(`mode: ${mode}`);
    if (isValidAgentName(name) && /[a-z]/i.test(host) && host !== 'localhost') {
      ctx.out(`\nTo be found by name, publish this DNS TXT record:\n  _toq._tcp.${host}  TXT  "${formatTxtRecord({ agent: name, key: identity.publicKey, port })}"`);
    }
    ctx.out('\nNext: toq up');
  },
};

export const whoamiCommand: Command = {
  name: 'whoami',
  summary: 'show this agent: address, public key, mode, port',
  usage: 'toq whoami [--json]',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const config = loadConfigOrFail(ctx);
    const daemon = findRunningDaemon(ctx.paths);
    const key = readPublicKey(ctx);
    const port = daemon?.port ?? config.port;
    const info = {
      agent_name: config.agentName,
      // The reference never shows the port here (spec §10); `port` says it.
      address: `toq://${config.host}/${config.agentName}`,
      public_key: key ?? null,
      connection_mode: config.connectionModeText,
      host: config.host,
      port,
      running: daemon !== undefined,
      ...(daemon?.address !== undefined && { live_address: daemon.address }),
    };
    if (ctx.isJson) return void ctx.json(info);
    ctx.out(`agent:   ${info.agent_name}`);
    ctx.out(`address: ${info.address}${daemon?.address !== undefined ? `  (reachable as ${daemon.address})` : ''}`);
    ctx.out(`key:     ${key ?? '(none yet: created by the first `toq up`)'}`);
    ctx.out(`mode:    ${info.connection_mode}`);
    ctx.out(`port:    ${port === 0 ? 'auto' : port}`);
  },
};

export const configCommand: Command = {
  name: 'config',
  summary: 'show or change config.toml (show | set <key> <value> | unset <key>)',
  usage: 'toq config show [--json]\ntoq config set <key> <value>\ntoq config unset <key>',
  async run(input) {
    const { positionals, ctx, isHelp } = parseCommand(input, {}, [0, 3]);
    const [sub, key, value] = positionals;
    if (isHelp || sub === undefined) return help(ctx, this, isHelp ? 0 : 2);
    switch (sub) {
      case 'show': {
        if (key !== undefined) throw new UsageError('config show takes no arguments');
        if (ctx.isJson) return void ctx.json({ config: configToJson(loadConfigOrFail(ctx)) });
        if (!existsSync(ctx.paths.config)) return void ctx.out(`# ${ctx.paths.config} does not exist: every key has its default (toq config show --json lists them)`);
        ctx.io.stdout.write(readFileSync(ctx.paths.config, 'utf8'));
        return;
      }
      case 'set': {
        if (key === undefined || value === undefined) throw new UsageError('usage: toq config set <key> <value>');
        const spec = configKeySpec(key);
        let parsed: string | boolean | bigint;
        try {
          parsed = parseConfigValue(spec, value);
        } catch (err) {
          if (err instanceof ConfigError) throw new CliError('invalid_config', err.message, 1, { cause: err });
          throw err;
        }
        const result = await applyConfigEdit(ctx, { [key]: parsed });
        reportEdit(ctx, result, `${key} = ${formatTomlValue(parsed)}`);
        return;
      }
      case 'unset': {
        if (key === undefined || value !== undefined) throw new UsageError('usage: toq config unset <key>');
        configKeySpec(key);
        const result = await applyConfigEdit(ctx, { [key]: null });
        reportEdit(ctx, result, `${key} unset (default applies)`);
        return;
      }
      default:
        throw new UsageError(`unknown config subcommand "${sub}" (show, set, unset)`);
    }
  },
};

export const a2aCommand: Command = {
  name: 'a2a',
  summary: 'A2A bridge settings (enable [--key TOKEN] | disable | status)',
  usage: 'toq a2a enable [--key TOKEN]\ntoq a2a disable\ntoq a2a status [--json]',
  async run(input) {
    const { values, positionals, ctx, isHelp } = parseCommand(input, { key: { type: 'string' } }, [0, 1]);
    const [sub] = positionals;
    if (isHelp || sub === undefined) return help(ctx, this, isHelp ? 0 : 2);
    if (sub !== 'enable' && values.key !== undefined) throw new UsageError('--key goes with `toq a2a enable`');
    switch (sub) {
      case 'enable': {
        const result = await applyConfigEdit(ctx, { a2a_enabled: true, ...(values.key !== undefined && { a2a_api_key: values.key }) });
        reportEdit(ctx, result, `A2A enabled${values.key !== undefined ? ' with a bearer token' : ' (no token: any A2A client is accepted)'}`);
        return;
      }
      case 'disable': {
        const result = await applyConfigEdit(ctx, { a2a_enabled: false });
        reportEdit(ctx, result, 'A2A disabled');
        return;
      }
      case 'status': {
        const config = loadConfigOrFail(ctx);
        const publicUrl = config.a2aPublicUrl ?? `http://${config.host}:${config.port}/a2a`;
        const info = { enabled: config.a2aEnabled, api_key_set: config.a2aApiKey !== undefined && config.a2aApiKey !== '', public_url: publicUrl };
        if (ctx.isJson) return void ctx.json(info);
        ctx.out(`A2A: ${info.enabled ? 'enabled' : 'disabled'}`);
        ctx.out(`token: ${info.api_key_set ? 'set' : 'not set (no authentication)'}`);
        ctx.out(`card URL: ${publicUrl}`);
        return;
      }
      default:
        throw new UsageError(`unknown a2a subcommand "${sub}" (enable, disable, status)`);
    }
  },
};

function reportEdit(ctx: CliContext, result: Awaited<ReturnType<typeof applyConfigEdit>>, what: string): void {
  const restart = result.isSentToDaemon && result.restartKeys.length > 0;
  if (ctx.isJson) {
    ctx.json({ config: configToJson(result.config), applied_live: result.isSentToDaemon, restart_needed: restart ? result.restartKeys : [] });
    return;
  }
  ctx.out(what);
  if (restart) ctx.note(`note: ${result.restartKeys.join(', ')} take${result.restartKeys.length === 1 ? 's' : ''} effect at the next start (toq down && toq up)`);
}

export function loadConfigOrFail(ctx: CliContext): ReturnType<typeof loadConfigFile> {
  try {
    return loadConfigFile(ctx.paths.config);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError('invalid_config', `${ctx.paths.config}: ${err.message}`, 1, { cause: err });
    throw err;
  }
}

/** The public key from keys/identity.key, or undefined before the first start. */
export function readPublicKey(ctx: CliContext): string | undefined {
  if (!existsSync(ctx.paths.identityKey)) return undefined;
  try {
    return identityFromSeed(seedFromKeyFileText(readFileSync(ctx.paths.identityKey, 'utf8'))).publicKeyText;
  } catch (err) {
    throw new CliError('invalid_key', `${ctx.paths.identityKey} is not a valid identity key: ${(err as Error).message}`, 1, { cause: err });
  }
}

export function help(ctx: CliContext, command: Command, code = 0): number {
  (code === 0 ? ctx.out : ctx.note)(`usage: ${command.usage.replace(/\n/g, '\n       ')}`);
  return code;
}

/** The local IP used for outbound traffic (a UDP "connect" sends nothing), else localhost. */
function outboundIp(): Promise<string> {
  return new Promise((resolveIp) => {
    const socket = createSocket('udp4');
    const done = (ip: string): void => {
      socket.close();
      resolveIp(ip);
    };
    socket.once('error', () => done('localhost'));
    try {
      socket.connect(53, '8.8.8.8', () => {
        const ip = socket.address().address;
        done(ip && ip !== '0.0.0.0' ? ip : 'localhost');
      });
    } catch {
      // No route at all (offline machine): localhost, as the reference falls back.
      done('localhost');
    }
  });
}

