// `toq conformance --a2a <url>` (issue #5, A2A half): discovers the agent card from a base URL or
// an origin, then runs the checks of fixtures/a2a/checks.json one after another under one total
// deadline and builds the report. Required = A2A v1.0 MUSTs; advisory = v0.3, SHOULDs. Printing
// and exit codes are the CLI's business.

import { isConforming, summarize, type CaseResult, type ConformanceReport } from '../conformance-report.js';
import { loadA2aChecks, type A2aCheck, type A2aChecks } from './a2a-checks.js';
import { runA2aCheck } from './a2a-check-runner.js';
import { CardNotFoundError, discoverAgentCard, pickInterface } from './card-discovery.js';

/** Whole run against one server. */
export const A2A_CONFORMANCE_TOTAL_MS = 120_000;

/** The result id reported when no card could be found (no check can run then). */
export const CARD_DISCOVERY_ID = 'card-discovery';

export interface A2aConformanceOptions {
  /** The agent's base URL or its origin (`https://host/path`). */
  readonly url: string;
  /** Run only these check ids (in fixture order). @default every check */
  readonly only?: readonly string[];
  /** @default 120000 */
  readonly totalMs?: number;
  /** `Authorization` header value for every call but the card and the no-credentials checks. */
  readonly authorization?: string;
  /** @default fixtures/a2a/checks.json */
  readonly checks?: A2aChecks;
  readonly onResult?: (result: CaseResult) => void;
  readonly signal?: AbortSignal;
}

/** The report of an A2A run: the toq report with its own mode. */
export type A2aConformanceReport = Omit<ConformanceReport, 'mode'> & { readonly mode: 'a2a' };

/** The checks `only` selects, in fixture order; an unknown id is a RangeError naming it. */
export function selectA2aChecks(checks: readonly A2aCheck[], only: readonly string[] | undefined): A2aCheck[] {
  if (only === undefined || only.length === 0) return [...checks];
  const known = new Set(checks.map((c) => c.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new RangeError(`unknown check id(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  return checks.filter((c) => only.includes(c.id));
}

export async function runA2aConformance(options: A2aConformanceOptions): Promise<A2aConformanceReport> {
  const fixture = options.checks ?? loadA2aChecks();
  const selected = selectA2aChecks(fixture.checks, options.only);
  const totalMs = options.totalMs ?? A2A_CONFORMANCE_TOTAL_MS;
  const signal = options.signal === undefined ? AbortSignal.timeout(totalMs) : AbortSignal.any([AbortSignal.timeout(totalMs), options.signal]);
  const startedAt = Date.now();
  const results: CaseResult[] = [];
  const push = (r: CaseResult): void => {
    results.push(r);
    options.onResult?.(r);
  };

  let discovered;
  try {
    discovered = await discoverAgentCard(options.url, { signal, a2aVersion: fixture.defaults.a2a_version });
  } catch (err) {
    const got = err instanceof CardNotFoundError ? err.message : `card discovery failed: ${(err as Error).message}`;
    push({ id: CARD_DISCOVERY_ID, required: true, status: 'fail', expected: `an agent card at <url>/.well-known/agent-card.json or <origin>/.well-known/agent-card.json`, got, ms: Date.now() - startedAt });
    for (const check of selected) push({ id: check.id, required: check.required, status: 'skip', expected: check.comment, got: 'no agent card', ms: 0 });
    return report(options.url, startedAt, results, { card: 'not found' });
  }

  let rpcId = 0;
  const target = { cardUrl: discovered.cardUrl, card: discovered.card, ...(options.authorization !== undefined && { authorization: options.authorization }) };
  for (const check of selected) {
    if (signal.aborted) {
      push({ id: check.id, required: check.required, status: 'fail', expected: check.comment, got: `not run: the ${totalMs / 1000} s total deadline passed`, ms: 0 });
      continue;
    }
    push(await runA2aCheck(check, fixture, target, { signal, nextRpcId: () => ++rpcId }));
  }
  const info: Record<string, string> = { card: discovered.cardUrl };
  const jsonRpc = pickInterface(discovered.card, 'JSONRPC', '1.0');
  const rest = pickInterface(discovered.card, 'HTTP+JSON', '1.0');
  if (jsonRpc !== undefined) info['jsonrpc'] = jsonRpc.url;
  if (rest !== undefined) info['rest'] = rest.url;
  return report(options.url, startedAt, results, info);
}

function report(target: string, startedAt: number, results: readonly CaseResult[], info: Record<string, string>): A2aConformanceReport {
  const endedAt = Date.now();
  return {
    mode: 'a2a',
    target,
    startedAt: new Date(startedAt).toISOString(),
    ms: endedAt - startedAt,
    // A skip means the server lacks what the check needs (no streaming, no security, a reply
    // without a task), which is its right; a required check that ran must pass.
    ok: isConforming(results, true),
    summary: summarize(results),
    results,
    info,
  };
}

/**
 * The report in the type the shared renderers take. Their `mode` union does not list 'a2a' yet
 * (conformance-report.ts is not this module's); they only print the mode.
 */
export function asPrintableReport(report: A2aConformanceReport): ConformanceReport {
  return report as unknown as ConformanceReport;
}
