// The browser bundle must never reach signing, upstream sessions, simulators, the exchange kit, the proxy or Node
// built-ins; and since the proxy is the only reader of exchange messages (the browser renders its snapshots), the
// app reaches no exchange's wire schemas or parser either.
// This walks the real import graph from the app's entry and from every browser-safe exchange file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
const FORBIDDEN_FILE =
  /(?:^|\/)(?:sign|upstream|simulator|server|server-types|servers)\.ts$|^src\/proxy\/|^src\/exchanges\/kit\//;
/** What the app must not reach beyond FORBIDDEN_FILE: any exchange's wire schemas and parser, and their kit. */
const NOT_FOR_THE_APP = /^src\/exchanges\/(?:[^/]+\/(?:wire|normalize)\.ts$|wire-kit\.ts$)/;
const FORBIDDEN_PACKAGE = /^(?:node:|ws$|fastify|@fastify\/|better-sqlite3|@microsoft\/signalr|tsx)/;
const NODE_GLOBALS = /\b(?:Buffer|process\.(?:env|argv|exit)|require\()/;

function resolveLocal(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && candidate.match(/\.tsx?$/)) return candidate;
  }
  return undefined;
}

function walk(entry: string): { files: Set<string>; problems: string[] } {
  const files = new Set<string>();
  const problems: string[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const rel = relative(root, file);
    if (FORBIDDEN_FILE.test(rel)) problems.push(`${rel} is proxy-only`);
    const text = readFileSync(file, 'utf8');
    if (!rel.endsWith('.test.ts') && NODE_GLOBALS.test(text.replace(/\/\/.*$/gm, ''))) {
      problems.push(`${rel} uses a Node global`);
    }
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec) continue;
      if (spec.startsWith('.')) {
        const target = resolveLocal(file, spec);
        if (target) queue.push(target);
      } else if (FORBIDDEN_PACKAGE.test(spec)) {
        problems.push(`${rel} imports ${spec}`);
      }
    }
  }
  return { files, problems };
}

const exchangeDirs = readdirSync(join(root, 'src/exchanges'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'kit')
  .map((d) => d.name);

describe('browser safety', () => {
  it.each(
    exchangeDirs.flatMap((id) =>
      ['index.ts', 'wire.ts', 'normalize.ts'].map((f) => `src/exchanges/${id}/${f}`),
    ),
  )('%s reaches nothing proxy-only', (file) => {
    const { problems } = walk(join(root, file));
    expect(problems).toEqual([]);
  });

  it('the app entry reaches nothing proxy-only, and no exchange parser', () => {
    const entry = join(root, 'src/main.tsx');
    expect(existsSync(entry), 'src/main.tsx, the browser entry, is missing').toBe(true);
    const { files, problems } = walk(entry);
    expect(files.size).toBeGreaterThan(5);
    expect(problems).toEqual([]);
    const parsers = [...files].map((f) => relative(root, f)).filter((rel) => NOT_FOR_THE_APP.test(rel));
    expect(parsers).toEqual([]);
  });

  it('notices a forbidden import (self-check)', () => {
    const { problems } = walk(join(root, 'src/exchanges/valr/upstream.ts'));
    expect(problems.length).toBeGreaterThan(0);
    const { files } = walk(join(root, 'src/exchanges/registry.ts'));
    expect([...files].some((f) => NOT_FOR_THE_APP.test(relative(root, f)))).toBe(true);
  });
});
