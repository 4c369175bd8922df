// Demo mode: every exchange's built-in simulator on loopback, and one demo account per exchange pointing at it.
// The accounts go through the same validation as a config file, so a module's demo spec cannot drift from it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { RunningSimulator, SimScenario } from '../exchanges/server-types.ts';
import { ConfigError, parseConfig, type MarginWatchConfig } from './config.ts';
import type { ExchangeCatalog } from './exchanges.ts';
import type { ProxyLogger } from './log.ts';

export interface DemoOptions {
  catalog: ExchangeCatalog;
  seed: number;
  /** Simulator i listens on base + i; 0 or undefined: ephemeral ports. */
  simulatorPortBase?: number;
  /** Multiplies the simulators' keep-alive and push intervals (tests use < 1). */
  timeScale?: number;
  log: ProxyLogger;
  /**
   * Settings from a config file for demo mode (`--demo --config F`): its server, history and alerts sections
   * apply to the demo accounts. The file must not list accounts.
   */
  settings?: { source: string; raw: unknown; env: NodeJS.ProcessEnv };
}

export interface DemoSimulator {
  exchange: string;
  simulator: RunningSimulator;
  /** `POST` fault-injection commands here (see SimControl). */
  controlUrl: string;
}

export interface Demo {
  /** The demo accounts as a validated config (server defaults; history in a temporary directory). */
  config: MarginWatchConfig;
  simulators: DemoSimulator[];
  /** Temporary directory for history and nonces; removed by close(). */
  dataDir: string;
  /** Stops every simulator and removes the temporary directory. */
  close(): Promise<void>;
}

/**
 * The demo desk: one account (chosen by the seed) slowly approaches its margin-call line and recovers, every
 * other one drifts calmly. `index` is the account's place among `count` demo accounts.
 */
export function demoScenario(seed: number, index: number, count: number): SimScenario {
  return index === seed % count ? 'approach' : 'drift';
}

/** Starts every simulator (the demo desk, see demoScenario) and builds the demo accounts. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const dataDir = mkdtempSync(join(tmpdir(), 'margin-watch-demo-'));
  const entries = [...options.catalog.values()];
  const started: DemoSimulator[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.simulator.close()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const base = options.simulatorPortBase ?? 0;
    const results = await Promise.allSettled(
      entries.map(async (entry, index) => {
        const { demoAccount } = entry.server;
        const simulator = await entry.server.startSimulator({
          host: '127.0.0.1',
          port: base > 0 ? base + index : 0,
          seed: options.seed + index,
          scenario: demoScenario(options.seed, index, entries.length),
          account: {
            credentials: demoAccount.credentials,
            ...(demoAccount.options ? { options: demoAccount.options } : {}),
          },
          ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
        });
        started.push({ exchange: entry.id, simulator, controlUrl: `${simulator.url}/__sim/control` });
        return simulator;
      }),
    );
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected'
        ? [`${entries[i]?.id ?? '?'}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`]
        : [],
    );
    if (failures.length > 0) throw new Error(`demo simulators failed to start: ${failures.join('; ')}`);
    started.sort(
      (a, b) => entries.findIndex((e) => e.id === a.exchange) - entries.findIndex((e) => e.id === b.exchange),
    );

    const accounts = started.map(({ exchange, simulator }) => {
      const spec = options.catalog.get(exchange)?.server.demoAccount;
      if (!spec) throw new Error(`exchange ${exchange} has no demo account`);
      return {
        id: spec.id,
        exchange,
        label: spec.label,
        credentials: spec.credentials,
        ...(spec.thresholds ? { thresholds: spec.thresholds } : {}),
        ...(spec.pollSeconds !== undefined ? { pollSeconds: spec.pollSeconds } : {}),
        endpoints: simulator.endpoints,
        ...spec.options,
      };
    });
    const settings = demoSettings(options.settings);
    const config = parseConfig(
      { ...settings, history: settings.history ?? { path: join(dataDir, 'history.sqlite') }, accounts },
      {
        source: options.settings?.source ?? 'demo accounts',
        env: options.settings?.env ?? {},
        catalog: options.catalog,
        baseDir: options.settings ? dirname(resolve(options.settings.source)) : dataDir,
      },
    );
    for (const s of started) {
      options.log.info('simulator ready', {
        exchange: s.exchange,
        url: s.simulator.url,
        control: `POST ${s.controlUrl}`,
      });
    }
    return { config, simulators: started, dataDir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The settings sections of a demo-mode config file; listing accounts there is an error. */
function demoSettings(settings: DemoOptions['settings']): Record<string, unknown> {
  if (!settings) return {};
  const { raw, source } = settings;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, [{ path: '', message: 'must be a JSON object' }]);
  }
  if ('accounts' in raw) {
    throw new ConfigError(source, [
      { path: 'accounts', message: 'not allowed with --demo: demo mode runs its own simulated accounts' },
    ]);
  }
  return raw as Record<string, unknown>;
}
