// The result of a conformance run and its three renderings: an aligned table for a terminal,
// one plain line per case otherwise, and a JSON document for machines. Pure string work: it
// neither runs cases nor prints (the CLI decides where the text goes).

export type CaseStatus = 'pass' | 'fail' | 'skip';

/** One case (client mode) or one check (serve mode). */
export interface CaseResult {
  /** The fixture id (`fixtures/toq/session-scripts.json`) or the serve check id. */
  readonly id: string;
  /** false = advisory: reported, but never decides the exit code. */
  readonly required: boolean;
  readonly status: CaseStatus;
  /** What the case looks for, in words (from the fixture's comment or the failed step). */
  readonly expected: string;
  /** What came back; for a pass, a short summary. */
  readonly got: string;
  /** Wall time of the case, including its connection setup. */
  readonly ms: number;
  /** Index of the step that failed (client mode), when one did. */
  readonly step?: number;
}

export interface ReportSummary {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly requiredFailed: number;
  readonly advisoryFailed: number;
}

/** Results for one run against one endpoint, or for one inbound connection in serve mode. */
export interface ConformanceReport {
  readonly mode: 'toq' | 'toq-serve';
  /** The address under test (client mode) or the connecting peer (serve mode). */
  readonly target: string;
  readonly startedAt: string;
  readonly ms: number;
  /** Every required result passed (a skipped required case is not a pass). */
  readonly ok: boolean;
  readonly summary: ReportSummary;
  readonly results: readonly CaseResult[];
  /** Facts about the connection(s): peer key, TLS version, serve connection number. */
  readonly info?: Readonly<Record<string, string | number>>;
}

export function summarize(results: readonly CaseResult[]): ReportSummary {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let requiredFailed = 0;
  let advisoryFailed = 0;
  for (const r of results) {
    if (r.status === 'pass') passed += 1;
    else if (r.status === 'skip') skipped += 1;
    else {
      failed += 1;
      if (r.required) requiredFailed += 1;
      else advisoryFailed += 1;
    }
  }
  return { total: results.length, passed, failed, skipped, requiredFailed, advisoryFailed };
}

/**
 * Exit-code rule of the issue: only a run whose every required case passed is ok. Serve mode
 * passes `allowSkips`: there a check is skipped when the peer never sent what it looks at (a
 * ping stops after the handshake), which is not a failure of what it did send.
 */
export function isConforming(results: readonly CaseResult[], allowSkips = false): boolean {
  return results.every((r) => !r.required || r.status === 'pass' || (allowSkips && r.status === 'skip'));
}

export function buildReport(
  mode: ConformanceReport['mode'],
  target: string,
  startedAtMs: number,
  results: readonly CaseResult[],
  endedAtMs: number,
  info?: Readonly<Record<string, string | number>>,
): ConformanceReport {
  return {
    mode,
    target,
    startedAt: new Date(startedAtMs).toISOString(),
    ms: Math.round(endedAtMs - startedAtMs),
    ok: isConforming(results, mode === 'toq-serve'),
    summary: summarize(results),
    results,
    ...(info !== undefined && { info }),
  };
}

const STATUS_TEXT: Readonly<Record<CaseStatus, string>> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

function kindOf(r: CaseResult): string {
  return r.required ? 'required' : 'advisory';
}

function detailOf(r: CaseResult): string {
  if (r.status === 'pass') return r.got;
  const at = r.step !== undefined ? `step ${r.step}: ` : '';
  return `${at}expected ${r.expected}; got ${r.got}`;
}

function headline(report: ConformanceReport): string {
  const s = report.summary;
  const verdict = report.ok ? 'OK: every required case passed' : `NOT CONFORMING: ${s.requiredFailed} required case(s) failed${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}`;
  return `${verdict} (${s.passed} passed, ${s.failed} failed [${s.advisoryFailed} advisory], ${s.skipped} skipped; ${report.ms} ms)`;
}

function infoLines(report: ConformanceReport): string[] {
  const entries = Object.entries(report.info ?? {});
  return entries.length === 0 ? [] : [entries.map(([k, v]) => `${k}=${v}`).join(' ')];
}

/** For a terminal: aligned columns, details wrapped under failing rows. */
export function formatReportTable(report: ConformanceReport): string {
  const rows = report.results.map((r) => [STATUS_TEXT[r.status], kindOf(r), r.id, `${r.ms} ms`]);
  const header = ['STATUS', 'KIND', 'CASE', 'TIME'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 1 || i === 2 ? c.padEnd(widths[i]!) : i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [`toq conformance (${report.mode}) ${report.target}`, ...infoLines(report), '', line(header)];
  report.results.forEach((r, i) => {
    out.push(line(rows[i]!));
    if (r.status !== 'pass') out.push(`      ${detailOf(r)}`);
  });
  out.push('', headline(report));
  return out.join('\n');
}

/** For pipes and logs: one self-contained line per case. */
export function formatReportLines(report: ConformanceReport): string {
  const out = [`toq conformance (${report.mode}) ${report.target}`, ...infoLines(report)];
  for (const r of report.results) out.push(`${STATUS_TEXT[r.status]} ${kindOf(r)} ${r.id} ${r.ms}ms: ${detailOf(r)}`);
  out.push(headline(report));
  return out.join('\n');
}
