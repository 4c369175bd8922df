// `npm run bench`: runs every benchmark module in turn and prints its figures. `npm run bench -- history` runs
// only the named ones; `--name value` flags after them go to the modules (e.g. `npm run bench -- proxy --minutes
// 1`). A bench module exports `name` and `run(print, flags)`; add new ones to BENCHES.
import * as browser from './bench-browser.ts';
import * as history from './bench-history.ts';
import * as proxy from './bench-proxy.ts';

interface BenchModule {
  name: string;
  run(print: (line: string) => void, flags: ReadonlyMap<string, string>): Promise<void>;
}

const BENCHES: readonly BenchModule[] = [history, browser, proxy];

/** Bench names, and `--name value` flags (a flag without a value reads as "true"). */
function parseArgs(args: readonly string[]): { names: string[]; flags: Map<string, string> } {
  const names: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      names.push(arg);
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(arg.slice(2), next);
      i += 1;
    } else {
      flags.set(arg.slice(2), 'true');
    }
  }
  return { names, flags };
}

async function main(): Promise<void> {
  const { names: wanted, flags } = parseArgs(process.argv.slice(2));
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
      await bench.run((line) => console.log(line), flags);
    } catch (err) {
      console.error(`bench ${bench.name} failed:`, err);
      process.exitCode = 1;
    }
    console.log(`(${bench.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

await main();
