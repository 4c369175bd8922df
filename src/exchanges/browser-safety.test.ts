// The browser bundle must never reach signing, upstream sessions, simulators, the exchange kit, the proxy or Node
// built-ins; and since the proxy is the only reader of exchange messages (the browser renders its snapshots), the
// app reaches no exchange's wire schemas or parser either.
// This walks the real import graph from the app's entry and from every browser-safe exchange file.
// Beyond the bundle, every file of src/ imports only its own layer and the layers layers.json allows it (the
// direction of ARCHITECTURE §2, the table eslint.config.js enforces too), and no files import each other in a
// cycle, type imports included (the lint rule import-x/no-cycle does not follow type imports).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import layerTable from '../../layers.json' with { type: 'json' };

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

interface Layer {
  name: string;
  paths: string[];
  mayImport: string[];
}

const LAYERS: readonly Layer[] = layerTable.layers;

/** A layers.json path as a regular expression: `**` spans folders, `*` stays within one. */
function globPattern(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((text) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${body}$`);
}

const LAYER_PATTERNS = LAYERS.map((layer) => ({ layer, patterns: layer.paths.map(globPattern) }));

/** The layer of a file (path relative to the project): the first whose paths match it. */
function layerOf(rel: string): Layer | undefined {
  return LAYER_PATTERNS.find(({ patterns }) => patterns.some((p) => p.test(rel)))?.layer;
}

const TEST_FILE = /\.test\.tsx?$|(?:^|\/)testing\//;

/** Every .ts/.tsx file under src/, relative to the project. */
function sourceFiles(dir = join(root, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [relative(root, path)] : [];
  });
}

/** The project files each file imports (type imports and re-exports included). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const rel of files) {
    const file = join(root, rel);
    const targets = new Set<string>();
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const target = spec?.startsWith('.') ? resolveLocal(file, spec) : undefined;
      if (target) targets.add(relative(root, target));
    }
    graph.set(rel, [...targets]);
  }
  return graph;
}

/** Imports that break the direction: product files only (tests may cross layers on purpose). */
function directionProblems(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    if (TEST_FILE.test(from)) continue;
    const layer = layerOf(from);
    for (const to of targets) {
      if (TEST_FILE.test(to)) {
        problems.push(`${from} imports test support ${to}`);
        continue;
      }
      const target = layerOf(to);
      if (layer === undefined || target === undefined || target === layer) continue;
      if (!layer.mayImport.includes(target.name)) {
        problems.push(`${from} (${layer.name}) imports ${to} (${target.name})`);
      }
    }
  }
  return problems;
}

/** The groups of files that import each other in a cycle (strongly connected components), each sorted. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  function visit(node: string): void {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    const selfImport = graph.get(node)?.includes(node) ?? false;
    if (group.length > 1 || selfImport) found.push(group.sort());
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('import direction and cycles (layers.json)', () => {
  const files = sourceFiles();
  const graph = importGraph(files);

  it('every product file imports only its own layer and the layers it may import', () => {
    expect(directionProblems(graph)).toEqual([]);
  });

  it('no files import each other in a cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('every product file under src/ belongs to a layer (the test setup aside)', () => {
    const unplaced = files.filter((rel) => !TEST_FILE.test(rel) && layerOf(rel) === undefined);
    expect(unplaced).toEqual(['src/test-setup.ts']);
  });

  it('classifies by first match, and notices a wrong direction and a cycle (self-check)', () => {
    expect(layerOf('src/exchanges/server-types.ts')?.name).toBe('exchange-types');
    expect(layerOf('src/exchanges/kit/backoff.ts')?.name).toBe('exchange-kit');
    expect(layerOf('src/exchanges/valr/wire.ts')?.name).toBe('exchanges');
    expect(layerOf('src/main.tsx')?.name).toBe('app');
    const bad = new Map([
      ['src/domain/model.ts', ['src/proxy/db/open.ts']],
      ['src/exchanges/valr/upstream.ts', ['src/proxy/log.ts']],
      ['src/stores/a.ts', ['src/hooks/b.ts']],
      ['src/proxy/db/open.ts', ['src/proxy/history/testing/samples.ts']],
      ['src/proxy/a.ts', ['src/proxy/b.ts']],
      ['src/proxy/b.ts', ['src/proxy/c.ts']],
      ['src/proxy/c.ts', ['src/proxy/a.ts']],
    ]);
    expect(directionProblems(bad)).toEqual([
      'src/domain/model.ts (domain) imports src/proxy/db/open.ts (proxy)',
      'src/exchanges/valr/upstream.ts (exchanges) imports src/proxy/log.ts (proxy)',
      'src/stores/a.ts (stores) imports src/hooks/b.ts (hooks)',
      'src/proxy/db/open.ts imports test support src/proxy/history/testing/samples.ts',
    ]);
    expect(cycles(bad)).toEqual([['src/proxy/a.ts', 'src/proxy/b.ts', 'src/proxy/c.ts']]);
  });
});
