// Composition of the running proxy: config or demo, logger with redaction, nonces, hub, accounts and server.
// The CLI wraps this with argument parsing, the build step and signals; tests call it directly.
import { dirname, join } from 'node:path';
import { AccountManager } from './accounts.ts';
import { registerAlertRoutes } from './alerts/routes.ts';
import type { ProxyAlertService } from './alerts/service.ts';
import { configSecrets, loadConfig, readConfigFile, type MarginWatchConfig } from './config.ts';
import { startDemo, type Demo } from './demo.ts';
import { exchangeCatalog, type ExchangeCatalog } from './exchanges.ts';
import { StreamHub } from './hub.ts';
import { createLogger, Redactor, type ProxyLogger } from './log.ts';
import { HistoryOpenError, openHistory, type HistoryDb } from './db/open.ts';
import { intervalsFor, type HistoryRecorder } from './history/recorder.ts';
import { registerHistoryRoutes } from './history/routes.ts';
import { PriceBook } from './risk/prices.ts';
import { registerRiskRoutes } from './risk/routes.ts';
import { createRiskService, levelsFromHistory, TREND_WINDOW_MS, type RiskService } from './risk/service.ts';
import { createMetrics, type ProxyMetrics } from './metrics.ts';
import { FileNonceSource } from './nonce.ts';
import { createServer, type RunMode, type RunningServer, type ServerOptions } from './server.ts';
import { PostgresOpenError } from './db/sql.ts';
import { openPostgresStorage, sqliteStorage, type ProxyStorage } from './storage.ts';

export interface StartOptions {
  /** A config file: live mode. Absent: demo mode. */
  configPath?: string;
  /** Demo accounts even with configPath: the file then gives only server, history and alerts settings. */
  demo?: boolean;
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
  /** Shortest time between two ticker polls of one pair (tests; default 15 s). */
  priceIntervalMs?: number;
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
  /** Where history and alerts are kept: the SQLite file or PostgreSQL (`history.url`). */
  storage: ProxyStorage;
  /** The SQLite file, when it is the store (absent with `history.url`). */
  history?: HistoryDb;
  recorder: HistoryRecorder;
  alerts: ProxyAlertService;
  /** What `GET /metrics` reports. */
  metrics: ProxyMetrics;
  /** Price-move estimates: public tickers and the reports of GET /api/risk. */
  risk: RiskService;
  /** Demo mode only: the simulators. */
  demo?: Demo;
  /**
   * Stops stream, server, accounts, alerts, history and simulators; every step runs even when an earlier one
   * fails (the first failure is rethrown once all have run).
   */
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

/** Runs `steps` in order, each even when an earlier one failed; logs each failure and rethrows the first. */
async function runAll(
  log: ProxyLogger,
  what: string,
  steps: readonly [string, () => unknown][],
): Promise<void> {
  let failure: { error: unknown } | undefined;
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      log.error(`${what}: ${name} failed`, { error: err });
      failure ??= { error: err };
    }
  }
  if (failure) throw failure.error;
}

/** Opens the configured history database; an unusable path is reported naming the config file and history.path. */
function openConfiguredHistory(config: MarginWatchConfig): HistoryDb {
  try {
    return openHistory(config.history.path);
  } catch (err) {
    throw err instanceof HistoryOpenError ? err.from(config.source) : err;
  }
}

/**
 * The configured store: PostgreSQL with `history.url` (the configured accounts claimed on it), else the SQLite
 * file at `history.path`.
 */
async function openConfiguredStorage(
  config: MarginWatchConfig,
  log: ProxyLogger,
  redactor: Redactor,
): Promise<ProxyStorage> {
  if (config.history.url === undefined) return sqliteStorage(openConfiguredHistory(config));
  let storage: ProxyStorage;
  try {
    storage = await openPostgresStorage({
      url: config.history.url,
      accountIds: config.accounts.map((a) => a.id),
      log: log.child({ component: 'history' }),
    });
  } catch (err) {
    // Said as the SQLite file's problems are: naming the config file and the setting to change. The message goes
    // to the terminal, not through the log: every known secret is scrubbed from it here.
    if (!(err instanceof PostgresOpenError)) throw err;
    const named = err.from(config.source);
    named.message = redactor.text(named.message);
    throw named;
  }
  log.info('history and alerts in PostgreSQL', {
    where: storage.where,
    accounts: config.accounts.length,
    nonces: dirname(config.history.path),
  });
  return storage;
}

/** Starts Margin Watch in live mode (configPath) or demo mode. Throws ConfigError for a bad config. */
export async function startMarginWatch(options: StartOptions): Promise<MarginWatch> {
  const catalog = options.catalog ?? exchangeCatalog();
  const redactor = new Redactor();
  const log = createLogger({
    redactor,
    ...(options.logWrite ? { write: options.logWrite } : {}),
    ...(options.prettyLogs !== undefined ? { pretty: options.prettyLogs } : {}),
  });

  let demo: Demo | undefined;
  let config: MarginWatchConfig;
  if (options.configPath && !options.demo) {
    config = loadConfig(options.configPath, { env: options.env, catalog });
  } else {
    redactor.add(demoSecrets(catalog));
    demo = await startDemo({
      catalog,
      seed: options.seed ?? Date.now(),
      log,
      ...(options.simulatorPortBase !== undefined ? { simulatorPortBase: options.simulatorPortBase } : {}),
      ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
      ...(options.configPath
        ? {
            settings: {
              source: options.configPath,
              raw: readConfigFile(options.configPath),
              env: options.env,
            },
          }
        : {}),
    });
    config = demo.config;
  }
  redactor.add(configSecrets(config, catalog));
  const mode: RunMode = demo ? 'demo' : 'live';

  // What is running so far, closed in reverse order if a later step fails.
  const simulators = demo;
  const opened: [string, () => unknown][] = simulators ? [['demo simulators', () => simulators.close()]] : [];
  try {
    // The history's folder holds the nonce file too: it must be usable before anything else starts. With
    // PostgreSQL, the configured accounts are claimed here: a second proxy recording one of them is refused.
    const storage = await openConfiguredStorage(config, log, redactor);
    opened.push(['history database', () => storage.close()]);
    const hub = new StreamHub({ redactor });
    opened.push(['stream', () => hub.close()]);
    const nonces = new FileNonceSource({ file: join(dirname(config.history.path), 'nonces.json'), log });
    const accounts = new AccountManager({ accounts: config.accounts, catalog, hub, log, nonces });

    // Price-move estimates: public tickers for the pairs the accounts hold, and the level's recorded trend.
    const prices = new PriceBook({
      catalog,
      log: log.child({ component: 'prices' }),
      ...(options.priceIntervalMs !== undefined ? { minIntervalMs: options.priceIntervalMs } : {}),
    });
    const risk = createRiskService({
      accounts,
      catalog,
      prices,
      recentLevels: levelsFromHistory({ query: (request) => storage.queryHistory(request) }, TREND_WINDOW_MS),
      log: log.child({ component: 'risk' }),
    });
    opened.push(['prices', () => risk.stop()]);
    // History and alerts see every wire message, with or without a browser open.
    const recorder = await storage.createRecorder({
      intervalFor: intervalsFor(config.accounts),
      retentionDays: config.history.retentionDays,
      rawDays: config.history.rawDays,
      log: log.child({ component: 'history' }),
    });
    opened.push(['history recorder', () => recorder.close()]);
    const alerts = await storage.createAlerts({
      config,
      moveToLiquidation: (accountId) => risk.nearestLiquidationMove(accountId),
      priceMoves: (exchange) => catalog.get(exchange)?.server.priceMoves?.kind === 'assets-over-liabilities',
      log: log.child({ component: 'alerts' }),
    });
    opened.push(['alerts', () => alerts.close()]);
    // The estimates have a hook of their own: nothing they do can keep a message from history and alerts.
    accounts.onMessage((message) => risk.onMessage(message));
    accounts.onMessage((message) => {
      recorder.record(message);
      alerts.onMessage(message);
    });
    accounts.onStatus((accountId, state, detail) => alerts.onStatus(accountId, state, detail));
    alerts.subscribe((alert) => hub.alert(alert));
    // Subscribed after the history: it reads the write queue once each message is recorded.
    const metrics = createMetrics({ accounts, hub, catalog, alerts, history: recorder });
    opened.push(['metrics', () => metrics.close()]);

    const server = await createServer({
      host: options.host ?? config.server.host,
      port: options.port ?? config.server.port,
      allowedOrigins: config.server.allowedOrigins,
      ...(options.extraOrigins ? { extraOrigins: options.extraOrigins } : {}),
      ...(config.server.accessToken ? { accessToken: config.server.accessToken } : {}),
      ...(config.server.metricsToken ? { metricsToken: config.server.metricsToken } : {}),
      metrics,
      mode,
      accounts,
      hub,
      catalog,
      nonces,
      log,
      distDir: options.distDir,
      extraRoutes: async (app) => {
        registerHistoryRoutes(app, {
          query: (request) => storage.queryHistory(request),
          hasAccount: (id) => accounts.get(id) !== undefined,
          recorder,
        });
        registerRiskRoutes(app, risk);
        registerAlertRoutes(app, alerts);
        await options.extraRoutes?.(app);
      },
    });
    opened.push(['server', () => server.close()]);
    alerts.start();
    risk.start();
    accounts.start();
    log.info('margin watch started', { mode, url: server.url, accounts: config.accounts.length });

    // Stopping runs every step even when one fails: the stream first (browsers are told), then what feeds it.
    const stopSteps: [string, () => unknown][] = [
      ['stream', () => hub.close()],
      ['server', () => server.close()],
      ['accounts', () => accounts.stop()],
      ['metrics', () => metrics.close()],
      ['prices', () => risk.stop()],
      ['alerts', () => alerts.close()],
      ['history recorder', () => recorder.close()],
      ['history database', () => storage.close()],
      ...(simulators ? ([['demo simulators', () => simulators.close()]] as [string, () => unknown][]) : []),
    ];
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
      storage,
      ...(storage.sqlite ? { history: storage.sqlite } : {}),
      recorder,
      alerts,
      risk,
      metrics,
      ...(demo ? { demo } : {}),
      stop: () => {
        stopping ??= runAll(log, 'stopping', stopSteps).finally(() => log.info('margin watch stopped'));
        return stopping;
      },
    };
  } catch (err) {
    await runAll(log, 'cleaning up after a failed start', opened.reverse()).catch(() => undefined);
    throw err;
  }
}
