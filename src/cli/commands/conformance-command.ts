// `toq conformance`: runs the toq conformance kit (src/conformance/) against another endpoint
// (`--toq <address>`: we connect and play the session scripts) or lets an implementation connect
// to us (`--serve`: we check what it sends), or runs the A2A checks against an A2A server
// (`--a2a <url>`: fixtures/a2a/checks.json over JSON-RPC and REST). Prints a table on a terminal, one line per case
// otherwise, or a JSON document with --json. Exit 0 only when every required case passed, 1
// otherwise, 2 for a bad command line. Unlike the other commands it needs no daemon: it talks toq
// itself, which is the point of a conformance tool.

import { tryParseAddress } from '../../protocol/address.js';
import { formatReportLines, formatReportTable, type ConformanceReport } from '../../conformance/conformance-report.js';
import { loadA2aChecks } from '../../conformance/a2a/a2a-checks.js';
import { A2A_CONFORMANCE_TOTAL_MS, asPrintableReport, runA2aConformance } from '../../conformance/a2a/a2a-conformance.js';
import { startConformanceServer } from '../../conformance/conformance-server.js';
import { SERVE_CHECKS } from '../../conformance/serve-checks.js';
import { loadSessionScripts } from '../../conformance/session-script.js';
import { CONFORMANCE_TOTAL_MS, runToqConformance } from '../../conformance/toq-conformance.js';
import type { CliContext } from '../cli-context.js';
import type { Command } from '../command.js';
import { EXIT_ERROR, EXIT_OK, UsageError } from '../exit-codes.js';
import { integerOption, parseCommand } from '../parse-command.js';
import { help } from './workspace-commands.js';

const OPTIONS = {
  toq: { type: 'string' },
  serve: { type: 'boolean' },
  port: { type: 'string' },
  bind: { type: 'string' },
  name: { type: 'string' },
  connections: { type: 'string' },
  only: { type: 'string' },
  timeout: { type: 'string' },
  as: { type: 'string' },
  a2a: { type: 'string' },
  auth: { type: 'string' },
} as const;

export const conformanceCommand: Command = {
  name: 'conformance',
  summary: 'check another toq implementation against the protocol fixtures',
  usage: [
    'toq conformance --toq toq://host:port/name [--only id,...] [--as toq://host:port/name] [--timeout S] [--json]',
    'toq conformance --serve [--port N] [--bind ADDR] [--name NAME] [--connections N] [--only id,...] [--timeout S] [--json]',
    'toq conformance --a2a http(s)://host[/path] [--auth "Bearer TOKEN"] [--only id,...] [--timeout S] [--json]',
    '  --toq: connect to the endpoint and run every session script of fixtures/toq/session-scripts.json,',
    '         each on a fresh connection (it must accept us: open mode, or approve our key)',
    '  --serve: listen (default 127.0.0.1, a free port) and check what connecting implementations send',
    '  --a2a: find the agent card at <url>/.well-known/agent-card.json or at the origin, then run the checks',
    '         of fixtures/a2a/checks.json (required = A2A v1.0 MUSTs; v0.3 and SHOULDs are advisory);',
    '         --auth is sent as the Authorization header when the card declares security',
    '  exit 0 only when every required case passed; advisory results are reported but do not count',
  ].join('\n'),
  async run(input) {
    const { values, ctx, isHelp } = parseCommand(input, OPTIONS);
    if (isHelp) return help(ctx, this);
    const totalMs = (integerOption('timeout', values.timeout, { min: 1, max: 3600 }) ?? CONFORMANCE_TOTAL_MS / 1000) * 1000;
    const only = values.only?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (values.a2a !== undefined) return a2a(ctx, values, only);
    if (values.auth !== undefined) throw new UsageError('--auth is for --a2a');
    if (values.serve === true) {
      if (values.toq !== undefined) throw new UsageError('--toq and --serve are two modes: give one');
      if (values.as !== undefined) throw new UsageError('--as is for --toq');
      const known = new Set(SERVE_CHECKS.map((c) => c.id));
      const unknown = (only ?? []).filter((id) => !known.has(id));
      if (unknown.length > 0) throw new UsageError(`unknown check id(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
      return serve(ctx, {
        port: integerOption('port', values.port, { max: 65_535 }) ?? 0,
        bind: values.bind ?? '127.0.0.1',
        name: values.name ?? 'conformance',
        connections: integerOption('connections', values.connections, { min: 1, max: 10_000 }) ?? 1,
        totalMs,
        ...(only !== undefined && { only }),
      });
    }
    if (values.toq === undefined) throw new UsageError('give --toq <address> (or --serve)');
    for (const flag of ['port', 'bind', 'name', 'connections'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} is for --serve`);
    }
    for (const [flag, text] of [['toq', values.toq], ['as', values.as]] as const) {
      if (text === undefined) continue;
      const parsed = tryParseAddress(text);
      if (!parsed.ok) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a toq address: ${parsed.message}`);
    }
    if (only !== undefined) {
      const known = new Set(loadSessionScripts().cases.map((c) => c.id));
      const unknown = only.filter((id) => !known.has(id));
      if (unknown.length > 0) throw new UsageError(`unknown case id(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
    }
    const report = await runToqConformance({
      address: values.toq,
      totalMs,
      ...(only !== undefined && { only }),
      ...(values.as !== undefined && { selfAddress: values.as }),
    });
    if (ctx.isJson) ctx.json(report);
    else ctx.out(render(ctx, report));
    return report.ok ? EXIT_OK : EXIT_ERROR;
  },
};

async function a2a(ctx: CliContext, values: { readonly a2a?: string; readonly toq?: string; readonly serve?: boolean; readonly as?: string; readonly port?: string; readonly bind?: string; readonly name?: string; readonly connections?: string; readonly timeout?: string; readonly auth?: string }, only: readonly string[] | undefined): Promise<number> {
  if (values.toq !== undefined || values.serve === true) throw new UsageError('--a2a, --toq and --serve are three modes: give one');
  for (const flag of ['as', 'port', 'bind', 'name', 'connections'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is not for --a2a`);
  }
  const url = values.a2a ?? '';
  if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) throw new UsageError(`--a2a ${JSON.stringify(url)} is not an http(s) URL`);
  if (only !== undefined) {
    const known = new Set(loadA2aChecks().checks.map((c) => c.id));
    const unknown = only.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new UsageError(`unknown check id(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const totalMs = (integerOption('timeout', values.timeout, { min: 1, max: 3600 }) ?? A2A_CONFORMANCE_TOTAL_MS / 1000) * 1000;
  const report = await runA2aConformance({
    url,
    totalMs,
    ...(only !== undefined && { only }),
    ...(values.auth !== undefined && { authorization: values.auth }),
  });
  if (ctx.isJson) ctx.json(report);
  else ctx.out(render(ctx, asPrintableReport(report)));
  return report.ok ? EXIT_OK : EXIT_ERROR;
}

function isTerminal(ctx: CliContext): boolean {
  return (ctx.io.stdout as { isTTY?: boolean }).isTTY === true;
}

function render(ctx: CliContext, report: ConformanceReport): string {
  return isTerminal(ctx) ? formatReportTable(report) : formatReportLines(report);
}

interface ServeOptions {
  readonly port: number;
  readonly bind: string;
  readonly name: string;
  readonly connections: number;
  readonly totalMs: number;
  readonly only?: readonly string[];
}

async function serve(ctx: CliContext, options: ServeOptions): Promise<number> {
  const server = await startConformanceServer({
    port: options.port,
    bindAddress: options.bind,
    host: options.bind === '0.0.0.0' ? 'localhost' : options.bind,
    name: options.name,
    ...(options.only !== undefined && { only: options.only }),
    onReport: (report) => {
      if (!ctx.isJson) ctx.out(`${render(ctx, report)}\n`);
    },
  });
  try {
    // The line tests and people look for: where to point the implementation under test.
    ctx.note(`listening on ${server.address} (key ${server.publicKeyText}); waiting for ${options.connections} connection(s), at most ${options.totalMs / 1000} s`);
    const reports = await server.waitForReports(options.connections, AbortSignal.timeout(options.totalMs));
    const ok = reports.length >= options.connections && reports.every((r) => r.ok);
    if (ctx.isJson) {
      ctx.json({ mode: 'toq-serve', address: server.address, public_key: server.publicKeyText, ok, connections: reports });
    } else if (reports.length === 0) {
      ctx.note(`no connection arrived within ${options.totalMs / 1000} s`);
    } else if (reports.length < options.connections) {
      ctx.note(`only ${reports.length} of ${options.connections} connection(s) arrived within ${options.totalMs / 1000} s`);
    }
    return ok ? EXIT_OK : EXIT_ERROR;
  } finally {
    await server.close();
  }
}
