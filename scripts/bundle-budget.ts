// Checks the first-load JavaScript budget of the built dashboard: every script dist/index.html loads up
// front (the entry and its modulepreloads), gzip-compressed, must total at most 250 KB. Lazy chunks (the
// history chart with recharts) are listed but not counted. Prints the figures; exits 1 over budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 250 * 1024;
const dist = join(import.meta.dirname, '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const firstLoad = [
  ...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="\/?([^"]+\.js)"/g),
]
  .map((m) => m[1])
  .filter((f): f is string => f !== undefined);
if (firstLoad.length === 0) {
  console.error('bundle budget: no script found in dist/index.html');
  process.exit(1);
}
const gz = (file: string): number => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
let total = 0;
for (const file of firstLoad) {
  const size = gz(file);
  total += size;
  console.log(`first load  ${file.padEnd(40)} ${kb(size)} gzip`);
}
console.log(`first-load JavaScript: ${kb(total)} gzip (budget ${kb(BUDGET_BYTES)})`);
if (total > BUDGET_BYTES) {
  console.error('bundle budget exceeded');
  process.exit(1);
}
