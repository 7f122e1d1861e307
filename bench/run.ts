// `npm run bench -- <name...>`: runs the named benchmarks (all when none is named).
// Benchmarks print ratios against anchors measured in the same run; they never gate CI.

const SUITES: Record<string, () => Promise<void>> = {
  wire: async () => (await import('./wire.js')).runWireBench(),
  daemon: async () => (await import('./daemon.js')).runDaemonBench(),
  a2a: async () => (await import('./a2a.js')).runA2aBench(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(SUITES);
for (const name of names) {
  const suite = SUITES[name];
  if (!suite) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  await suite();
}
