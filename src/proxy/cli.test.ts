import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, buildReason, parseCli } from './cli.ts';
import { ConfigError } from './config.ts';

describe('parseCli', () => {
  it('defaults: demo mode, build on, no overrides', () => {
    expect(parseCli([], {})).toEqual({ dev: false, demo: false, build: true, help: false });
  });

  it('reads flags', () => {
    expect(
      parseCli(
        [
          '--config',
          'c.json',
          '--port',
          '0',
          '--host',
          '::1',
          '--seed',
          '42',
          '--simulator-port-base',
          '6100',
          '--dev',
          '--no-build',
        ],
        {},
      ),
    ).toEqual({
      configPath: resolve('c.json'),
      port: 0,
      host: '::1',
      seed: 42,
      simulatorPortBase: 6100,
      dev: true,
      demo: false,
      build: false,
      help: false,
    });
  });

  it('falls back to MARGIN_WATCH_CONFIG, PORT and HOST; flags win', () => {
    const env = { MARGIN_WATCH_CONFIG: '/etc/mw.json', PORT: '8080', HOST: '0.0.0.0' };
    expect(parseCli([], env)).toMatchObject({ configPath: '/etc/mw.json', port: 8080, host: '0.0.0.0' });
    expect(parseCli(['--port', '9000', '--host', '127.0.0.1'], env)).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
    });
  });

  it.each([
    [['--port', 'abc'], {}, /--port: must be an integer from 0 to 65535/],
    [['--port', '70000'], {}, /--port/],
    [[], { PORT: '-1' }, /PORT: must be an integer/],
    [['--seed', '1.5'], {}, /--seed/],
    [['--bogus'], {}, /Unknown option '--bogus'/],
    [['positional'], {}, /positional/],
  ])('rejects %j %j', (argv, env, message) => {
    expect(() => parseCli(argv, env)).toThrow(ConfigError);
    expect(() => parseCli(argv, env)).toThrow(message);
  });
});

describe('buildReason', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function project(): string {
    const root = mkdtempSync(join(tmpdir(), 'mw-build-'));
    roots.push(root);
    mkdirSync(join(root, 'src', 'app'), { recursive: true });
    mkdirSync(join(root, 'src', 'proxy'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'src', 'app', 'App.tsx'), 'export {}');
    writeFileSync(join(root, 'src', 'proxy', 'server.ts'), 'export {}');
    return root;
  }
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  it('builds when dist/ is missing', () => {
    expect(buildReason(project())).toBe('dist/ is missing');
  });

  it('builds when a bundle source is newer than dist/, not for proxy or test files', () => {
    const root = project();
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'index.html'), 'built');
    at(join(root, 'index.html'), 1000);
    at(join(root, 'src', 'app', 'App.tsx'), 1000);
    at(join(root, 'dist', 'index.html'), 2000);
    at(join(root, 'src', 'proxy', 'server.ts'), 3000);
    writeFileSync(join(root, 'src', 'app', 'App.test.tsx'), 'test');
    at(join(root, 'src', 'app', 'App.test.tsx'), 3000);
    expect(buildReason(root)).toBeNull();
    at(join(root, 'src', 'app', 'App.tsx'), 3000);
    expect(buildReason(root)).toBe('sources changed since the last build');
  });
});

describe('an unusable history.path', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI on a config whose history.path is `historyPath`, in a new folder that `prepare` fills. */
  function run(
    historyPath: string,
    prepare: (dir: string) => void = () => {},
  ): Promise<{ code: number | null; stdout: string; stderr: string; config: string; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'mw-cli-history-'));
    dirs.push(dir);
    prepare(dir);
    const config = join(dir, 'margin-watch.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        history: { path: historyPath },
        accounts: [
          {
            id: 'bitso-main',
            exchange: 'bitso',
            credentials: { apiKey: 'fake-key-for-tests', apiSecret: 'fake-secret-for-tests' },
            endpoints: { rest: 'http://127.0.0.1:9' },
          },
        ],
      }),
    );
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src', 'proxy', 'cli.ts'),
        '--config',
        config,
        '--no-build',
        '--port',
        '0',
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    return new Promise((done) =>
      child.on('close', (code) => {
        clearTimeout(killer);
        done({ code, stdout, stderr, config, dir });
      }),
    );
  }

  /** One line naming the config file, history.path and the resolved path; exit 1; nothing else printed. */
  function expectOneLine(result: Awaited<ReturnType<typeof run>>, resolved: string, reason: RegExp): void {
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).toContain(result.config);
    expect(line).toContain('history.path');
    expect(line).toContain(resolved);
    expect(line).toMatch(reason);
    expect(line).not.toMatch(/\bat .*:\d+:\d+|"stack"/);
  }

  it('is a folder', async () => {
    const result = await run('data', (dir) => mkdirSync(join(dir, 'data')));
    expectOneLine(result, join(result.dir, 'data'), /it is a folder, not a file/);
  }, 30_000);

  it('lies under a regular file', async () => {
    const result = await run('notes.txt/history.sqlite', (dir) => writeFileSync(join(dir, 'notes.txt'), 'x'));
    expectOneLine(result, join(result.dir, 'notes.txt', 'history.sqlite'), /is a file, not a folder/);
    expect(result.stderr).toContain(`${join(result.dir, 'notes.txt')} is a file, not a folder`);
  }, 30_000);

  // Tests run as root, whom file modes do not stop: /proc is a file system where nobody can create files.
  it.runIf(process.platform === 'linux')(
    'is on a file system that refuses new files',
    async () => {
      const inFolder = await run('/proc/self/history.sqlite');
      expectOneLine(inFolder, '/proc/self/history.sqlite', /cannot be created or opened .*SQLITE_CANTOPEN/);
      const newFolder = await run('/proc/margin-watch/history.sqlite');
      expectOneLine(
        newFolder,
        '/proc/margin-watch/history.sqlite',
        /cannot create the folder \/proc\/margin-watch/,
      );
    },
    60_000,
  );
});
