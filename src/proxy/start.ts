// Composition of the running proxy: config or demo, logger with redaction, nonces, hub, accounts and server.
// The CLI wraps this with argument parsing, the build step and signals; tests call it directly.
import { dirname, join } from 'node:path';
import { AccountManager } from './accounts.ts';
import { configSecrets, loadConfig, type MarginWatchConfig } from './config.ts';
import { startDemo, type Demo } from './demo.ts';
import { loadExchangeCatalog, type ExchangeCatalog } from './exchanges.ts';
import { StreamHub } from './hub.ts';
import { createLogger, Redactor, type ProxyLogger } from './log.ts';
import { FileNonceSource } from './nonce.ts';
import { createServer, type RunMode, type RunningServer, type ServerOptions } from './server.ts';

export interface StartOptions {
  /** A config file: live mode. Absent: demo mode. */
  configPath?: string;
  env: NodeJS.ProcessEnv;
  /** Override the config's (or the default) listen address. */
  host?: string;
  port?: number;
  /** Demo: simulator seed (default Date.now()). */
  seed?: number;
  /** Demo: simulator i listens on base + i (0: ephemeral). */
  simulatorPortBase?: number;
  /** Demo: simulator time scale (tests). */
  timeScale?: number;
  /** The built dashboard directory, or null for API only. */
  distDir: string | null;
  /** Trusted origins beyond the config (the Vite dev server). */
  extraOrigins?: readonly string[];
  catalog?: ExchangeCatalog;
  /** Further routes (history, alerts), registered before listening and before the accounts start. */
  extraRoutes?: ServerOptions['extraRoutes'];
  /** Log sink (default stderr) and format. */
  logWrite?: (line: string) => void;
  prettyLogs?: boolean;
}

export interface MarginWatch {
  mode: RunMode;
  url: string;
  config: MarginWatchConfig;
  server: RunningServer;
  accounts: AccountManager;
  hub: StreamHub;
  log: ProxyLogger;
  catalog: ExchangeCatalog;
  /** Demo mode only: the simulators. */
  demo?: Demo;
  /** Stops accounts, stream, server and simulators. */
  stop(): Promise<void>;
}

/** Secret values of every demo account (fake, but treated exactly like real ones). */
function demoSecrets(catalog: ExchangeCatalog): string[] {
  return [...catalog.values()].flatMap((e) =>
    e.server.secretFields.flatMap((field) => {
      const value = e.server.demoAccount.credentials[field];
      return value ? [value] : [];
    }),
  );
}

/** Starts Margin Watch in live mode (configPath) or demo mode. Throws ConfigError for a bad config. */
export async function startMarginWatch(options: StartOptions): Promise<MarginWatch> {
  const catalog = options.catalog ?? (await loadExchangeCatalog());
  const redactor = new Redactor();
  const log = createLogger({
    redactor,
    ...(options.logWrite ? { write: options.logWrite } : {}),
    ...(options.prettyLogs !== undefined ? { pretty: options.prettyLogs } : {}),
  });

  let demo: Demo | undefined;
  let config: MarginWatchConfig;
  if (options.configPath) {
    config = loadConfig(options.configPath, { env: options.env, catalog });
  } else {
    redactor.add(demoSecrets(catalog));
    demo = await startDemo({
      catalog,
      seed: options.seed ?? Date.now(),
      log,
      ...(options.simulatorPortBase !== undefined ? { simulatorPortBase: options.simulatorPortBase } : {}),
      ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    });
    config = demo.config;
  }
  redactor.add(configSecrets(config, catalog));
  const mode: RunMode = demo ? 'demo' : 'live';

  const hub = new StreamHub({ redactor });
  const nonces = new FileNonceSource({ file: join(dirname(config.history.path), 'nonces.json'), log });
  const accounts = new AccountManager({ accounts: config.accounts, catalog, hub, log, nonces });
  let server: RunningServer;
  try {
    server = await createServer({
      host: options.host ?? config.server.host,
      port: options.port ?? config.server.port,
      allowedOrigins: config.server.allowedOrigins,
      ...(options.extraOrigins ? { extraOrigins: options.extraOrigins } : {}),
      ...(config.server.accessToken ? { accessToken: config.server.accessToken } : {}),
      mode,
      accounts,
      hub,
      catalog,
      nonces,
      log,
      distDir: options.distDir,
      ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
    });
  } catch (err) {
    hub.close();
    await demo?.close();
    throw err;
  }
  accounts.start();
  log.info('margin watch started', { mode, url: server.url, accounts: config.accounts.length });

  let stopping: Promise<void> | undefined;
  return {
    mode,
    url: server.url,
    config,
    server,
    accounts,
    hub,
    log,
    catalog,
    ...(demo ? { demo } : {}),
    stop: () => {
      stopping ??= (async () => {
        hub.close();
        await server.close();
        await accounts.stop();
        await demo?.close();
        log.info('margin watch stopped');
      })();
      return stopping;
    },
  };
}
