// Small helpers shared by the benchmarks: percentiles, timing an operation (one at a time or
// with N in flight), and table printing.

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index]!;
}

export function summarize(samplesMs: number[]): { p50: number; p99: number; n: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
}

export function printTable(title: string, rows: Array<Record<string, string | number>>): void {
  console.log(`\n${title}`);
  console.table(rows);
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

/** Throughput (operations per second) and latency percentiles (ms) of one measured run. */
export interface Timing {
  rate: number;
  p50: number;
  p99: number;
}

/** Runs `op` n times, one after the other. */
export async function timeSequential(n: number, op: () => Promise<unknown>): Promise<Timing> {
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await op();
    samples.push(performance.now() - s);
  }
  return { rate: n / ((performance.now() - t0) / 1000), ...summarize(samples) };
}

/** Runs `op` n times with `lanes` of them in flight at once. */
export async function timeConcurrent(n: number, lanes: number, op: () => Promise<unknown>): Promise<Timing> {
  const samples: number[] = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (started < n) {
        started++;
        const s = performance.now();
        await op();
        samples.push(performance.now() - s);
      }
    }),
  );
  return { rate: samples.length / ((performance.now() - t0) / 1000), ...summarize(samples) };
}
