// Test support: a throwaway PostgreSQL server for the PostgreSQL suites. It finds the server binaries (Debian's
// /usr/lib/postgresql/<version>/bin, or PATH), runs initdb in a temporary directory (as the `postgres` user when
// the tests run as root, which PostgreSQL refuses to run as), starts the server on a free loopback port with its
// socket in that directory, and stops and removes it at the end. Without PostgreSQL the suites are skipped with a
// printed line saying so; under CI (CI=true) a missing PostgreSQL is an error, never a silent skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  /** e.g. postgres://postgres@127.0.0.1:54321/postgres */
  url: string;
  port: number;
  /** Creates a fresh database and returns its URL (one per test file or suite keeps them apart). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export type PostgresOutcome = { ok: true; server: TestPostgres } | { ok: false; reason: string };

/** The directory holding initdb and postgres: the newest Debian version, else whatever PATH finds. */
export function findPostgresBin(): string | null {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    const newest = versions[0];
    if (newest !== undefined) return join(debian, newest, 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const path = which.status === 0 ? which.stdout.trim() : '';
  if (path) return path.replace(/\/initdb$/, '');
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Runs a PostgreSQL binary as the user the server must run as (postgres when we are root). */
function command(bin: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function waitReady(bin: string, dir: string, port: number, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`PostgreSQL exited (${child.exitCode}): ${log()}`);
    const [cmd, args] = command(join(bin, 'pg_isready'), ['-h', dir, '-p', String(port), '-q']);
    if (spawnSync(cmd, args).status === 0) return;
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not start within 30 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a throwaway server, or says why it cannot. */
export async function startTestPostgres(): Promise<PostgresOutcome> {
  const bin = findPostgresBin();
  if (bin === null) return { ok: false, reason: 'no PostgreSQL server binaries (initdb) found' };
  if (isRoot() && spawnSync('id', ['postgres']).status !== 0) {
    return { ok: false, reason: 'running as root and there is no postgres user to run the server as' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mw-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = command(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `initdb failed: ${(init.stderr || init.stdout).trim().slice(0, 400)}` };
  }
  const port = await freePort();
  const [cmd, args] = command(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-2000)));
  child.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-2000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // pg_ctl's fast shutdown, waiting until the server is gone (the child is runuser, when root, not the
      // server itself, so signalling it alone could leave the server running on a deleted folder).
      const [stopCmd, stopArgs] = command(join(bin, 'pg_ctl'), [
        '-D',
        data,
        '-m',
        'fast',
        '-w',
        '-t',
        '20',
        'stop',
      ]);
      const stopped = spawnSync(stopCmd, stopArgs, { encoding: 'utf8' });
      if (stopped.status !== 0) child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(bin, dir, port, child, () => output);
  } catch (err) {
    await stop();
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    ok: true,
    server: {
      url,
      port,
      async createDatabase(name) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
        const [c, a] = command(join(bin, 'createdb'), [
          '-h',
          dir,
          '-p',
          String(port),
          '-U',
          'postgres',
          name,
        ]);
        const made = spawnSync(c, a, { encoding: 'utf8' });
        if (made.status !== 0) throw new Error(`createdb ${name} failed: ${made.stderr.trim()}`);
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      stop,
    },
  };
}

/**
 * For a suite's beforeAll: the server, or null after printing why the PostgreSQL tests are skipped. Under CI a
 * missing PostgreSQL throws instead: CI installs it, so its absence is a broken setup.
 */
export async function postgresForTests(suite: string): Promise<TestPostgres | null> {
  const outcome = await startTestPostgres();
  if (outcome.ok) return outcome.server;
  const line = `PostgreSQL tests skipped (${suite}): ${outcome.reason}. Install PostgreSQL (Debian: apt-get install postgresql) to run them.`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${line} CI requires them.`);
  console.warn(line);
  return null;
}
