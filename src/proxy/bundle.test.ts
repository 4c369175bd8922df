// The built dashboard must not contain any credential: no demo secret, key or token. Needs `vite build` first
// (CI builds before the unit tests); without dist/ the check is skipped with a note.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli.ts';
import { exchangeCatalog } from './exchanges.ts';

const dist = join(ROOT, 'dist');
const built = existsSync(join(dist, 'index.html'));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

if (!built)
  console.warn('bundle.test.ts: dist/ is absent, so the bundle check is skipped. Run `npm run build` first.');

describe.skipIf(!built)('the built bundle (dist/)', () => {
  it('contains no demo credential of any exchange', async () => {
    const catalog = exchangeCatalog();
    const credentials = [...catalog.values()].flatMap((e) =>
      Object.values(e.server.demoAccount.credentials).filter((v) => v.length >= 8),
    );
    expect(credentials.length).toBeGreaterThanOrEqual(4);
    const all = files(dist);
    expect(all.some((f) => f.endsWith('.js'))).toBe(true);
    for (const file of all) {
      const text = readFileSync(file, 'latin1');
      const found = credentials.filter((c) => text.includes(c));
      expect(found, `${file.slice(ROOT.length + 1)} contains a demo credential`).toEqual([]);
    }
  });
});
