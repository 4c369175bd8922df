import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildReason, parseCli } from './cli.ts';
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
