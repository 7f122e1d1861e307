// Peers and permissions (local-API spec §10): peers, ping, discover, approvals, approve, deny,
// revoke, block, unblock, permissions. With the daemon running, changes go through the local
// API (they take effect at once); without it, permissions.toml is edited (offline-permissions.ts).

import { Resolver } from 'node:dns/promises';
import { tryParseAddress } from '../../protocol/address.js';
import { dnsTxtName, parseTxtRecord } from '../../protocol/dns-txt.js';
import { decodePublicKeyText } from '../../protocol/ed25519.js';
import { addressRule, keyRule, type PolicyRule } from '../../protocol/policy.js';
import { readPeersFile } from '../../workspace/peers-file.js';
import type { CliContext } from '../cli-context.js';
import type { Command } from '../command.js';
import { CliError, EXIT_NOT_REACHABLE, UsageError } from '../exit-codes.js';
import { columns } from '../format.js';
import { editPermissionsFile, readPermissionsAsApi } from '../offline-permissions.js';
import { parseCommand } from '../parse-command.js';
import { ask } from '../prompt.js';
import { findRunningDaemon, requireRunningDaemon, type RunningDaemon } from '../running-daemon.js';
import { help } from './workspace-commands.js';

interface PeerJson {
  readonly public_key: string;
  readonly address: string;
  readonly status: string;
  readonly last_seen: string;
}

interface ApprovalJson {
  readonly id: string;
  readonly public_key: string;
  readonly address: string;
  readonly requested_at: string;
}

interface RuleJson {
  readonly type: string;
  readonly value: string;
}

export const peersCommand: Command = {
  name: 'peers',
  summary: 'agents that have connected to this one',
  usage: 'toq peers [--json]',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const peers = await listPeers(ctx, findRunningDaemon(ctx.paths));
    if (ctx.isJson) return void ctx.json({ peers });
    if (peers.length === 0) return void ctx.out('no peers yet');
    ctx.out(columns([['ADDRESS', 'STATUS', 'LAST SEEN', 'KEY'], ...peers.map((p) => [p.address, p.status, p.last_seen, p.public_key])]));
  },
};

async function listPeers(ctx: CliContext, daemon: RunningDaemon | undefined): Promise<PeerJson[]> {
  if (daemon !== undefined) return (await daemon.api.get<{ peers: PeerJson[] }>('/v1/peers')).peers;
  return [...readPeersFile(ctx.paths.peers)].map(([key, record]) => ({ public_key: key, address: record.address, status: 'seen', last_seen: record.lastSeen }));
}

export const pingCommand: Command = {
  name: 'ping',
  summary: 'check that an agent answers (exit code 4 when not)',
  usage: 'toq ping <address> [--json]',
  async run(input) {
    const { positionals, ctx, isHelp } = parseCommand(input, {}, [1, 1]);
    if (isHelp) return help(ctx, this);
    const [address] = positionals as [string];
    const daemon = requireRunningDaemon(ctx.paths);
    const result = await daemon.api.post('/v1/ping', { address }, { timeoutMs: 30_000 });
    const isReachable = result['reachable'] === true;
    if (ctx.isJson) ctx.json(result);
    else if (isReachable) ctx.out(`${address} is reachable: agent ${String(result['agent_name'])}, key ${String(result['public_key'])}`);
    else ctx.out(`${address} is not reachable: ${String(result['error'] ?? 'unknown error')}`);
    return isReachable ? 0 : EXIT_NOT_REACHABLE;
  },
};

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'list the agents a domain publishes in DNS (_toq._tcp TXT records)',
  usage: 'toq discover <domain> [--json]',
  async run(input) {
    const { positionals, ctx, isHelp } = parseCommand(input, {}, [1, 1]);
    if (isHelp) return help(ctx, this);
    const [domain] = positionals as [string];
    const resolver = new Resolver({ timeout: 3_000, tries: 2 });
    let records: string[][] = [];
    let failure: string | undefined;
    try {
      records = await resolver.resolveTxt(dnsTxtName(domain));
    } catch (err) {
      failure = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
    const agents = records.flatMap((strings) => {
      const record = parseTxtRecord(strings);
      return record ? [{ name: record.agent, address: `toq://${domain}/${record.agent}`, port: record.port, public_key: record.key }] : [];
    });
    if (ctx.isJson) return void ctx.json({ agents });
    if (agents.length === 0) return void ctx.out(`no agents found at ${dnsTxtName(domain)}${failure ? ` (${failure})` : ''}`);
    ctx.out(columns([['NAME', 'ADDRESS', 'PORT'], ...agents.map((a) => [a.name, a.address, String(a.port)])]));
  },
};

export const approvalsCommand: Command = {
  name: 'approvals',
  summary: 'pending connection requests (approval mode)',
  usage: 'toq approvals [--json]',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const approvals = await listApprovals(ctx, findRunningDaemon(ctx.paths));
    if (ctx.isJson) return void ctx.json({ approvals });
    if (approvals.length === 0) return void ctx.out('no pending approvals');
    ctx.out(columns(approvals.map((a, i) => [`${i + 1}.`, a.address, a.public_key, a.requested_at])));
  },
};

/** Pending requests, oldest first (the API's order is a hash map's): `approve 2` must be stable. */
async function listApprovals(ctx: CliContext, daemon: RunningDaemon | undefined): Promise<ApprovalJson[]> {
  const list = daemon !== undefined ? (await daemon.api.get<{ approvals: ApprovalJson[] }>('/v1/approvals')).approvals : readPermissionsAsApi(ctx.paths.permissions).approvals;
  return [...list].sort((a, b) => (a.requested_at < b.requested_at ? -1 : a.requested_at > b.requested_at ? 1 : a.public_key < b.public_key ? -1 : 1));
}

/** `<id>`: a key, a 1-based index into `toq approvals`, or an agent name (address suffix `/<name>`). */
async function resolveApproval(ctx: CliContext, daemon: RunningDaemon | undefined, id: string | undefined): Promise<ApprovalJson | { public_key: string; address?: undefined }> {
  if (id !== undefined && id.startsWith('ed25519:')) return { public_key: checkedKey(id) };
  const approvals = await listApprovals(ctx, daemon);
  if (id === undefined) {
    if (!ctx.isInteractive) throw new UsageError('name the request: a key, its number in `toq approvals`, or the agent name');
    if (approvals.length === 0) throw new CliError('not_found', 'no pending approvals');
    approvals.forEach((a, i) => ctx.note(`${i + 1}. ${a.address}  ${a.public_key}`));
    return pick(approvals, await ask(ctx, 'Number'));
  }
  return pick(approvals, id);
}

function pick(approvals: ApprovalJson[], id: string): ApprovalJson {
  if (/^[0-9]+$/.test(id)) {
    const found = approvals[Number(id) - 1];
    if (found === undefined) throw new CliError('not_found', `no pending approval number ${id} (there ${approvals.length === 1 ? 'is 1' : `are ${approvals.length}`})`);
    return found;
  }
  const matches = approvals.filter((a) => a.address === id || a.address.endsWith(`/${id}`));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError('not_found', `no pending approval matches "${id}"`);
  throw new CliError('ambiguous', `"${id}" matches ${matches.length} pending requests; use the key or the number`);
}

export const approveCommand: Command = {
  name: 'approve',
  summary: 'approve a pending request, a key, or an address pattern',
  usage: 'toq approve [<key|number|name>] [--from PATTERN] [--key KEY]',
  async run(input) {
    const { values, positionals, ctx, isHelp } = parseCommand(input, { from: { type: 'string' }, key: { type: 'string' } }, [0, 1]);
    if (isHelp) return help(ctx, this);
    const daemon = findRunningDaemon(ctx.paths);
    const rule = ruleFromFlags(values);
    if (rule !== undefined) {
      if (positionals.length > 0) throw new UsageError('give either an id or --from/--key');
      if (daemon) await daemon.api.post('/v1/approve', ruleBody(rule));
      else editPermissionsFile(ctx.paths.permissions, (p) => p.approve(rule));
      return done(ctx, { approved: rule }, `approved ${describeRule(rule)}`);
    }
    const target = await resolveApproval(ctx, daemon, positionals[0]);
    if (daemon) await daemon.api.post(`/v1/approvals/${encodeURIComponent(target.public_key)}`, { decision: 'approve' });
    else editPermissionsFile(ctx.paths.permissions, (p) => p.approvePending(target.public_key));
    return done(ctx, { approved: { type: 'key', value: target.public_key } }, `approved ${target.address ?? target.public_key}`);
  },
};

export const denyCommand: Command = {
  name: 'deny',
  summary: 'drop a pending request (the agent may ask again)',
  usage: 'toq deny <key|number|name>',
  async run(input) {
    const { positionals, ctx, isHelp } = parseCommand(input, {}, [0, 1]);
    if (isHelp) return help(ctx, this);
    const daemon = findRunningDaemon(ctx.paths);
    const target = await resolveApproval(ctx, daemon, positionals[0]);
    if (daemon) await daemon.api.post(`/v1/approvals/${encodeURIComponent(target.public_key)}`, { decision: 'deny' });
    else editPermissionsFile(ctx.paths.permissions, (p) => void p.deny(target.public_key));
    return done(ctx, { denied: target.public_key }, `denied ${target.address ?? target.public_key}`);
  },
};

export const revokeCommand: Command = {
  name: 'revoke',
  summary: 'remove an approval (key, agent, or --from/--key rule)',
  usage: 'toq revoke [<key|agent>] [--from PATTERN] [--key KEY]',
  async run(input) {
    return changeRule(input, this, 'revoke');
  },
};

export const blockCommand: Command = {
  name: 'block',
  summary: 'block a key, an agent or an address pattern',
  usage: 'toq block [<key|agent|pattern>] [--from PATTERN] [--key KEY]',
  async run(input) {
    return changeRule(input, this, 'block');
  },
};

export const unblockCommand: Command = {
  name: 'unblock',
  summary: 'remove a block rule',
  usage: 'toq unblock [<key|agent|pattern>] [--from PATTERN] [--key KEY]',
  async run(input) {
    return changeRule(input, this, 'unblock');
  },
};

async function changeRule(input: Parameters<Command['run']>[0], command: Command, action: 'block' | 'unblock' | 'revoke'): Promise<number | void> {
  const { values, positionals, ctx, isHelp } = parseCommand(input, { from: { type: 'string' }, key: { type: 'string' } }, [0, 1]);
  if (isHelp) return help(ctx, command);
  const daemon = findRunningDaemon(ctx.paths);
  const fromFlags = ruleFromFlags(values);
  if (fromFlags !== undefined && positionals.length > 0) throw new UsageError('give either an agent or --from/--key');
  const target = positionals[0];
  if (fromFlags === undefined && target === undefined) throw new UsageError(`usage: ${command.usage}`);
  const rule = fromFlags ?? (await ruleFromTarget(ctx, daemon, target!));
  if (daemon) {
    if (action === 'block') await daemon.api.post('/v1/block', ruleBody(rule));
    else if (action === 'unblock') await daemon.api.delete('/v1/block', ruleBody(rule));
    else await daemon.api.post('/v1/revoke', ruleBody(rule));
  } else {
    editPermissionsFile(ctx.paths.permissions, (p) => {
      if (action === 'block') p.block(rule);
      else if (action === 'unblock') p.unblock(rule);
      else p.revoke(rule);
    });
  }
  const past = action === 'block' ? 'blocked' : action === 'unblock' ? 'unblocked' : 'revoked';
  return done(ctx, { [past]: rule, applied_live: daemon !== undefined }, `${past} ${describeRule(rule)}`);
}

/**
 * The reference's order (spec §10): a key; else an agent found by address in the peers list
 * (exact, or its name as the address's last segment); else an address pattern. A bare name
 * that matches no peer becomes the pattern `toq://*\/<name>`.
 */
async function ruleFromTarget(ctx: CliContext, daemon: RunningDaemon | undefined, target: string): Promise<PolicyRule> {
  if (target.startsWith('ed25519:')) return keyRule(checkedKey(target));
  const peers = await listPeers(ctx, daemon);
  const matches = peers.filter((p) => p.address === target || p.address.endsWith(`/${target}`));
  const keys = [...new Set(matches.map((p) => p.public_key))];
  if (keys.length === 1) return keyRule(keys[0]!);
  if (keys.length > 1) throw new CliError('ambiguous', `"${target}" matches ${keys.length} peers; use the key (toq peers)`);
  if (target.startsWith('toq://')) return addressRule(target);
  if (/^[a-z0-9-]+$/.test(target)) return addressRule(`toq://*/${target}`);
  throw new CliError('invalid_request', `"${target}" is not a key, a known peer or a toq:// address pattern`);
}

function ruleFromFlags(values: { from?: string | undefined; key?: string | undefined }): PolicyRule | undefined {
  // As in the API, --from wins when both are given.
  if (values.from !== undefined) {
    if (!values.from.startsWith('toq://') && !tryParseAddress(values.from).ok) throw new CliError('invalid_request', `--from must be a toq:// address or pattern, got "${values.from}"`);
    return addressRule(values.from);
  }
  if (values.key !== undefined) return keyRule(checkedKey(values.key));
  return undefined;
}

function checkedKey(text: string): string {
  try {
    decodePublicKeyText(text);
  } catch {
    throw new CliError('invalid_request', `Invalid public key: ${text}`);
  }
  return text;
}

function ruleBody(rule: PolicyRule): { key: string } | { from: string } {
  return rule.type === 'key' ? { key: rule.value } : { from: rule.value };
}

function describeRule(rule: PolicyRule): string {
  return rule.type === 'key' ? `key ${rule.value}` : `address ${rule.value}`;
}

function done(ctx: CliContext, json: Record<string, unknown>, text: string): void {
  if (ctx.isJson) ctx.json(json);
  else ctx.out(text);
}

export const permissionsCommand: Command = {
  name: 'permissions',
  summary: 'approve and block rules',
  usage: 'toq permissions [--json]',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const daemon = findRunningDaemon(ctx.paths);
    const { approved, blocked } = daemon !== undefined ? await daemon.api.get<{ approved: RuleJson[]; blocked: RuleJson[] }>('/v1/permissions') : readPermissionsAsApi(ctx.paths.permissions);
    if (ctx.isJson) return void ctx.json({ approved, blocked });
    const section = (title: string, rules: RuleJson[]): string => `${title}:\n${rules.length === 0 ? '  (none)' : rules.map((r) => `  ${r.type.padEnd(7)} ${r.value}`).join('\n')}`;
    ctx.out(`${section('approved', approved)}\n${section('blocked', blocked)}`);
  },
};
