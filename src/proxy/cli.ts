// Command line: `node --import tsx src/proxy/cli.ts [--config F] [--port N] [--host H] [--seed N]
// [--simulator-port-base N] [--dev] [--no-build]`. Builds the dashboard when needed, starts the proxy (demo mode
// without a config), prints where it is ready, and stops cleanly on SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, isWildcardHost, resolveConfigPath } from './config.ts';
import { startDevServer, type DevServer } from './dev-server.ts';
import { startMarginWatch, type MarginWatch } from './start.ts';

/** The repository root (where package.json, index.html and dist/ live). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const USAGE = `Usage: node --import tsx src/proxy/cli.ts [options]   (npm start -- [options])

  --config FILE              live mode with this config (or MARGIN_WATCH_CONFIG); without one: demo mode
  --host HOST                listen address (or HOST; default 127.0.0.1)
  --port N                   listen port (or PORT; default 5178; 0 picks a free port)
  --seed N                   demo: simulator seed (default: the current time)
  --simulator-port-base N    demo: simulators listen on N, N+1, … (default: free ports)
  --demo                     demo accounts even with --config: the file then gives only server, history and
                             alerts settings (it must not list accounts)
  --dev                      also start Vite's dev server with HMR, proxying /api here
  --no-build                 do not build the dashboard, even when dist/ is missing or stale
  --help                     this text
`;

export interface CliOptions {
  configPath?: string;
  host?: string;
  port?: number;
  seed?: number;
  simulatorPortBase?: number;
  dev: boolean;
  /** Demo accounts even with a config file (the file gives settings only). */
  demo: boolean;
  build: boolean;
  help: boolean;
}

function integer(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ConfigError('command line', [
      { path: name, message: `must be an integer from ${min} to ${max}` },
    ]);
  }
  return Number(text);
}

/** Parses arguments and the PORT / HOST / MARGIN_WATCH_CONFIG environment. Throws ConfigError on bad input. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        seed: { type: 'string' },
        'simulator-port-base': { type: 'string' },
        dev: { type: 'boolean', default: false },
        demo: { type: 'boolean', default: false },
        'no-build': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new ConfigError('command line', [
      { path: '', message: err instanceof Error ? err.message : String(err) },
    ]);
  }
  const configPath = resolveConfigPath(values.config, env);
  const host = values.host ?? (env.HOST?.trim() || undefined);
  const port = integer(values.port !== undefined ? '--port' : 'PORT', values.port ?? env.PORT, 0, 65_535);
  const seed = integer('--seed', values.seed, 0, Number.MAX_SAFE_INTEGER);
  const base = integer('--simulator-port-base', values['simulator-port-base'], 0, 65_000);
  return {
    ...(configPath ? { configPath } : {}),
    ...(host ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(base !== undefined ? { simulatorPortBase: base } : {}),
    dev: values.dev,
    demo: values.demo,
    build: !values['no-build'],
    help: values.help,
  };
}

/** Newest modification time (ms) of the files under `path`, skipping what `skip` says. */
function newestMtime(path: string, skip: (path: string) => boolean): number {
  if (!existsSync(path) || skip(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name), skip));
  return newest;
}

/** Why the dashboard must be (re)built, or null when dist/ is newer than every source of the bundle. */
export function buildReason(root: string): string | null {
  const built = join(root, 'dist', 'index.html');
  if (!existsSync(built)) return 'dist/ is missing';
  const skip = (p: string): boolean =>
    p.startsWith(join(root, 'src', 'proxy')) ||
    /\.test\.tsx?$/.test(p) ||
    p.includes(`${join(root, 'node_modules')}`);
  const sources = ['index.html', 'vite.config.ts', 'package.json', 'public', 'src'].map((p) => join(root, p));
  const newest = Math.max(...sources.map((p) => newestMtime(p, skip)));
  return newest > statSync(built).mtimeMs ? 'sources changed since the last build' : null;
}

/** Runs `vite build` with the local vite, its output on stderr. */
function viteBuild(root: string): Promise<void> {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  return new Promise((resolvePromise, reject) => {
    if (!existsSync(vite)) return reject(new Error('vite is not installed: run npm install'));
    const child = spawn(process.execPath, [vite, 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`vite build failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

function describeMode(mw: MarginWatch): string {
  const n = mw.config.accounts.length;
  return mw.mode === 'demo'
    ? `demo mode: ${n} simulated account${n === 1 ? '' : 's'}`
    : `live mode: ${n} account${n === 1 ? '' : 's'}`;
}

/** Runs the CLI; resolves with the exit code once stopped (or at once on a startup error). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv, env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const distDir = join(ROOT, 'dist');
  if (options.build && !options.dev) {
    const reason = buildReason(ROOT);
    if (reason && !existsSync(join(ROOT, 'index.html'))) {
      process.stderr.write(
        `Margin Watch: ${reason}, and there is no index.html to build from; serving the API only.\n`,
      );
    } else if (reason) {
      process.stderr.write(`Margin Watch: building the dashboard (${reason}) …\n`);
      try {
        await viteBuild(ROOT);
      } catch (err) {
        process.stderr.write(`Margin Watch: ${(err as Error).message}\n`);
        return 1;
      }
    }
  }

  let mw: MarginWatch;
  try {
    mw = await startMarginWatch({
      env,
      distDir: options.dev ? null : distDir,
      ...(options.configPath ? { configPath: options.configPath } : {}),
      demo: options.demo,
      ...(options.host ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.simulatorPortBase !== undefined ? { simulatorPortBase: options.simulatorPortBase } : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else if (code === 'EADDRINUSE') {
      process.stderr.write(
        `Margin Watch: the port is in use (${(err as Error).message}); choose another with --port or PORT.\n`,
      );
    } else
      process.stderr.write(
        `Margin Watch could not start: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    return 1;
  }

  let vite: DevServer | undefined;
  if (options.dev) {
    try {
      vite = await startDevServer({ root: ROOT, apiUrl: mw.url });
      mw.server.addOrigins(vite.origins);
    } catch (err) {
      process.stderr.write(`Margin Watch: the Vite dev server could not start: ${(err as Error).message}\n`);
      await mw.stop();
      return 1;
    }
  }

  for (const s of mw.demo?.simulators ?? []) {
    process.stdout.write(
      `  ${s.exchange} simulator: ${s.simulator.url}  (fault injection: POST ${s.controlUrl})\n`,
    );
  }
  if (vite) {
    process.stdout.write(
      `Margin Watch ready at ${vite.url.replace(/\/$/, '')} (${describeMode(mw)}; Vite with HMR, API at ${mw.url})\n`,
    );
  } else {
    process.stdout.write(`Margin Watch ready at ${mw.url} (${describeMode(mw)})\n`);
  }
  if (isWildcardHost(options.host ?? mw.config.server.host)) {
    const origins = mw.config.server.allowedOrigins;
    const port = new URL(mw.url).port;
    process.stdout.write(
      origins.length > 0
        ? `  from other machines: ${origins.join(', ')}\n`
        : `  listening on all interfaces, but other machines are refused until server.allowedOrigins lists the ` +
            `address they open (e.g. http://<this machine's name>:${port})\n`,
    );
  }
  if (mw.config.server.accessToken) {
    process.stdout.write(`  access token required: open ${mw.url}/?token=<your token> once in the browser\n`);
  }

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`Margin Watch: ${signal} again, exiting now\n`);
        resolveExit(1);
        return;
      }
      stopping = true;
      process.stderr.write(`Margin Watch: ${signal}, stopping …\n`);
      const deadline = setTimeout(() => {
        process.stderr.write('Margin Watch: did not stop within 10 s, exiting\n');
        resolveExit(1);
      }, 10_000);
      deadline.unref();
      Promise.all([vite?.close(), mw.stop()])
        .then(() => resolveExit(0))
        .catch((err: unknown) => {
          process.stderr.write(`Margin Watch: error while stopping: ${(err as Error).message}\n`);
          resolveExit(1);
        });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(
        `Margin Watch: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
