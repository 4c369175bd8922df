// Kills a process that is writing history with SIGKILL, then checks the file: intact, whole batches only,
// nothing reported as committed lost, and a restarted writer continues the same history.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openHistory } from '../db/open.ts';

const CHILD = fileURLToPath(new URL('./testing/durability-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BATCH = 500;
const dir = mkdtempSync(join(tmpdir(), 'mw-durability-'));
const path = join(dir, 'history.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  committed: number;
  done: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the child; when `killAfter` is set, SIGKILLs it as soon as it reports that many committed samples. */
function runChild(mode: string, killAfter?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, mode], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { committed: 0, done: false, code: null, signal: null, stderr: '' };
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'committed') run.committed = Number(n);
        if (word === 'done') run.done = true;
        if (killAfter !== undefined && run.committed >= killAfter && child.exitCode === null)
          child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (run.stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
}

function inspect(): {
  integrity: unknown;
  count: number;
  first: number;
  last: number;
  rollupCounts: number[];
} {
  const history = openHistory(path);
  try {
    const db = history.sqlite;
    const integrity = db.pragma('integrity_check', { simple: true });
    const stats = db
      .prepare<[], { count: number; first: number; last: number }>(
        'SELECT COUNT(*) AS count, MIN(t) AS first, MAX(t) AS last FROM samples',
      )
      .get();
    const rollupCounts = db
      .prepare<[], { n: number }>('SELECT SUM(n) AS n FROM rollups GROUP BY period ORDER BY period')
      .all()
      .map((r) => r.n);
    return {
      integrity,
      count: stats?.count ?? 0,
      first: stats?.first ?? 0,
      last: stats?.last ?? 0,
      rollupCounts,
    };
  } finally {
    history.close();
  }
}

describe('durability', () => {
  it('SIGKILL in the middle of writes loses at most the batch being written and never corrupts the file', async () => {
    const killed = await runChild('forever', 5 * BATCH);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.committed).toBeGreaterThanOrEqual(5 * BATCH);

    const after = inspect();
    expect(after.integrity).toBe('ok');
    // Everything reported committed is there; only whole batches are; samples are contiguous (one per second).
    expect(after.count).toBeGreaterThanOrEqual(killed.committed);
    expect(after.count % BATCH).toBe(0);
    expect(after.last - after.first).toBe((after.count - 1) * 1000);
    // Rollups were committed in the same transactions as their samples.
    expect(after.rollupCounts).toEqual([after.count, after.count, after.count]);

    // A restart continues the same history.
    const restarted = await runChild('1234');
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.done).toBe(true);
    const final = inspect();
    expect(final.integrity).toBe('ok');
    expect(final.count).toBe(after.count + 1234);
    expect(final.first).toBe(after.first);
    expect(final.last - final.first).toBe((final.count - 1) * 1000);
    expect(final.rollupCounts).toEqual([final.count, final.count, final.count]);
  });
});
