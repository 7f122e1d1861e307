// The child side of BenchChild.cpuMicros(): a line "cpu" on stdin is answered with one line
// {"cpuMicros": user + system CPU time of this process so far} on stdout, so that the benchmark
// can tell what each process of a case spent per message.

export function answerCpuQueries(): void {
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (line !== 'cpu') continue;
      const usage = process.cpuUsage();
      process.stdout.write(JSON.stringify({ cpuMicros: usage.user + usage.system }) + '\n');
    }
  });
}
