// Starts a benchmark peer in its own process (so sender and receiver do not share a core's
// event loop) and reads the one JSON line it prints when ready.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface BenchChild<T> {
  readonly info: T;
  /** The child's CPU time so far (user + system, µs); the child must call answerCpuQueries(). */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

export async function startChild<T>(script: string, args: readonly string[] = []): Promise<BenchChild<T>> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  // BENCH_CHILD_NODE_ARGS adds node flags to the child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
  const extra = (process.env['BENCH_CHILD_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...extra, '--import', 'tsx', path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<T>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as T));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
  return {
    info,
    cpuMicros: async () => {
      const answer = new Promise<string>((resolve) => lines.once('line', resolve));
      child.stdin!.write('cpu\n');
      return (JSON.parse(await answer) as { cpuMicros: number }).cpuMicros;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}
