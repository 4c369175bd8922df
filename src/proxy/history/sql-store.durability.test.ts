// Kills a process writing history to PostgreSQL with SIGKILL mid-write, then checks the database: everything
// reported committed is there, only whole batches are, rollups match their samples, and a restarted writer continues
// the same history. Skipped with a printed line without PostgreSQL (see ../db/testing/postgres.ts).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresForTests, type TestPostgres } from '../db/testing/postgres.ts';

const CHILD = fileURLToPath(new URL('./testing/pg-durability-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BATCH = 500;

interface Run {
  committed: number;
  done: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runChild(url: string, mode: string, killAfter?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, mode], {
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

async function inspect(
  url: string,
): Promise<{ count: number; first: number; last: number; rollups: number[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const stats = await client.query<{ count: string; first: string; last: string }>(
      'SELECT COUNT(*) AS count, MIN(t) AS first, MAX(t) AS last FROM samples',
    );
    const rollups = await client.query<{ n: string }>(
      'SELECT SUM(n) AS n FROM rollups GROUP BY period ORDER BY period',
    );
    const row = stats.rows[0];
    return {
      count: Number(row?.count ?? 0),
      first: Number(row?.first ?? 0),
      last: Number(row?.last ?? 0),
      rollups: rollups.rows.map((r) => Number(r.n)),
    };
  } finally {
    await client.end();
  }
}

let server: TestPostgres | null = null;
beforeAll(async () => {
  server = await postgresForTests('history durability on PostgreSQL');
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('durability on PostgreSQL', () => {
  it('SIGKILL in the middle of writes loses at most the batch being written', async (ctx) => {
    if (!server) return ctx.skip();
    const url = await server.createDatabase('durability');
    const killed = await runChild(url, 'forever', 5 * BATCH);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.committed).toBeGreaterThanOrEqual(5 * BATCH);

    const after = await inspect(url);
    // Everything reported committed is there; only whole batches are; samples are contiguous (one per second).
    expect(after.count).toBeGreaterThanOrEqual(killed.committed);
    expect(after.count % BATCH).toBe(0);
    expect(after.last - after.first).toBe((after.count - 1) * 1000);
    // Rollups were committed in the same transactions as their samples.
    expect(after.rollups).toEqual([after.count, after.count, after.count]);

    const restarted = await runChild(url, '1234');
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.done).toBe(true);
    const final = await inspect(url);
    expect(final.count).toBe(after.count + 1234);
    expect(final.first).toBe(after.first);
    expect(final.last - final.first).toBe((final.count - 1) * 1000);
    expect(final.rollups).toEqual([final.count, final.count, final.count]);
  }, 120_000);
});
