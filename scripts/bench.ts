// `npm run bench`: runs every benchmark module in turn and prints its figures. `npm run bench -- history` runs
// only the named ones. A bench module exports `name` and `run(print)`; add new ones to BENCHES.
import * as browser from './bench-browser.ts';
import * as history from './bench-history.ts';

interface BenchModule {
  name: string;
  run(print: (line: string) => void): Promise<void>;
}

const BENCHES: readonly BenchModule[] = [history, browser];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen = wanted.length === 0 ? BENCHES : BENCHES.filter((b) => wanted.includes(b.name));
  const unknown = wanted.filter((w) => !BENCHES.some((b) => b.name === w));
  if (unknown.length > 0) {
    console.error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  console.log(`Margin Watch benchmarks — Node ${process.version}, ${process.platform}/${process.arch}`);
  for (const bench of chosen) {
    console.log(`\n== ${bench.name} ==`);
    const started = performance.now();
    try {
      await bench.run((line) => console.log(line));
    } catch (err) {
      console.error(`bench ${bench.name} failed:`, err);
      process.exitCode = 1;
    }
    console.log(`(${bench.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

await main();
