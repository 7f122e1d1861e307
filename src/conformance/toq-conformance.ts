// `toq conformance --toq <address>`: resolves the address, then runs every session-script case
// (or the chosen ones) on its own fresh connection, one after another, paced under the
// receiver's connection rate limit and bounded by one total deadline (2 minutes by default).
// It builds the report; printing and exit codes are the CLI's business.

import pino, { type Logger } from 'pino';
import { parseAddress } from '../protocol/address.js';
import { generateIdentity, type Identity } from '../protocol/ed25519.js';
import { resolveToqTarget, type TargetResolver } from '../transport/resolve-target.js';
import { phaseSignal } from '../transport/deadline.js';
import { buildReport, type CaseResult, type ConformanceReport } from './conformance-report.js';
import { ConnectionPacer } from './connection-pacer.js';
import { runScriptCase, type ToqTarget } from './script-runner.js';
import { loadSessionScripts, type ScriptCase, type SessionScripts } from './session-script.js';

/** Whole run against one endpoint (the bound). */
export const CONFORMANCE_TOTAL_MS = 120_000;
/** The handshake address the client claims unless told otherwise. */
export const DEFAULT_CONFORMANCE_ADDRESS = 'toq://127.0.0.1:9/toq-conformance';

export interface ToqConformanceOptions {
  /** The receiver under test, `toq://host[:port]/name`. */
  readonly address: string;
  /** Run only these case ids (in fixture order). @default every case */
  readonly only?: readonly string[];
  /** @default 120000 */
  readonly totalMs?: number;
  /** @default a fresh identity per run (the same for every case, so one approval covers all) */
  readonly identity?: Identity;
  /** @default DEFAULT_CONFORMANCE_ADDRESS */
  readonly selfAddress?: string;
  /** @default fixtures/toq/session-scripts.json */
  readonly scripts?: SessionScripts;
  /** @default DNS TXT for names without a port; localhost → 127.0.0.1 (spec §9, §13) */
  readonly resolveTarget?: TargetResolver;
  /** Called after each case, for progress output. */
  readonly onResult?: (result: CaseResult) => void;
  readonly log?: Logger;
  readonly signal?: AbortSignal;
}

/** The cases `only` selects, in fixture order; an unknown id is a RangeError naming it. */
export function selectCases(cases: readonly ScriptCase[], only: readonly string[] | undefined): ScriptCase[] {
  if (only === undefined || only.length === 0) return [...cases];
  const known = new Set(cases.map((c) => c.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new RangeError(`unknown case id(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  return cases.filter((c) => only.includes(c.id));
}

export async function runToqConformance(options: ToqConformanceOptions): Promise<ConformanceReport> {
  const started = Date.now();
  const scripts = options.scripts ?? loadSessionScripts();
  const cases = selectCases(scripts.cases, options.only);
  const address = parseAddress(options.address);
  const { host, port } = await (options.resolveTarget ?? resolveToqTarget)(address);
  const target: ToqTarget = { address: options.address, name: address.name, host, port };
  const identity = options.identity ?? generateIdentity();
  const totalMs = options.totalMs ?? CONFORMANCE_TOTAL_MS;
  const signal = phaseSignal('conformance run', totalMs, options.signal);
  const pacer = new ConnectionPacer();
  const log = options.log ?? pino({ level: 'silent' });

  const results: CaseResult[] = [];
  for (const script of cases) {
    let result: CaseResult;
    if (signal.aborted) {
      result = { id: script.id, required: script.required, status: 'skip', expected: script.comment, got: `not run: the total deadline of ${totalMs} ms was reached`, ms: 0 };
    } else {
      try {
        await pacer.next(signal);
        result = await runScriptCase(script, {
          target,
          identity,
          selfAddress: options.selfAddress ?? DEFAULT_CONFORMANCE_ADDRESS,
          defaultWithinMs: scripts.defaults.within_ms,
          signal,
          log,
        });
      } catch (err) {
        if (!signal.aborted) throw err;
        result = { id: script.id, required: script.required, status: 'skip', expected: script.comment, got: `not run: the total deadline of ${totalMs} ms was reached`, ms: 0 };
      }
    }
    results.push(result);
    options.onResult?.(result);
  }
  return buildReport('toq', options.address, started, results, Date.now(), {
    dialed: `${host}:${port}`,
    client_key: identity.publicKeyText,
  });
}
