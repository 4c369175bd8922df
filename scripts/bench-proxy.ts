// Proxy benchmark: a desk of 200 simulated accounts, 10 dashboard stream clients and a /metrics scrape every 15 s,
// for 5 minutes. A simulator serves the one account whose credentials it was started with, so every account gets
// its own simulator and its own credentials (as on a real desk, each API key has its own request budget). Measures
// the proxy alone: the simulators, stream clients and scraper run in a separate load process
// (bench-proxy-load.ts). Prints CPU (process.cpuUsage), RSS, event-loop delay (perf_hooks.monitorEventLoopDelay,
// net of its 1 ms sampling interval) and the history's write rate (recorder stats); asserts nothing about time
// (machines differ).
//
// `npm run bench -- proxy` runs it; `--minutes 1` shortens the measured window, `--accounts 40` shrinks the desk
// (a multiple of the number of exchanges).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { exchangeCatalog } from '../src/proxy/exchanges.ts';
import { startMarginWatch, type MarginWatch } from '../src/proxy/start.ts';
import {
  loadReplySchema,
  type LoadCommand,
  type LoadReply,
  type LoadReport,
  type SimulatedAccount,
} from './bench-proxy-protocol.ts';

/** What the runner needs of a bench module. */
export const name = 'proxy';

type Print = (line: string) => void;

const DEFAULT_ACCOUNTS = 200;
const DEFAULT_MINUTES = 5;
const STREAM_CLIENTS = 10;
const SCRAPE_SECONDS = 15;
const SETTLE_MS = 15_000;
const LIVE_TIMEOUT_MS = 120_000;
const METRICS_TOKEN = 'fake-bench-metrics-token-0123456789abcdef';
/** Sampling interval of the event-loop delay histogram (ms); every sample includes it, so it is taken off. */
const DELAY_RESOLUTION_MS = 1;

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function mb(bytes: number): string {
  return `${fmt(bytes / 1024 / 1024, 0)} MB`;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** An event-loop delay percentile in ms, beyond the sampling interval itself. */
function delayMs(nanoseconds: number): number {
  return Math.max(0, nanoseconds / 1e6 - DELAY_RESOLUTION_MS);
}

function flagNumber(flags: ReadonlyMap<string, string>, key: string, fallback: number): number {
  const text = flags.get(key);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${key} must be a positive number`);
  return value;
}

/** The load process and a way to ask it something and wait for its answer. */
class LoadProcess {
  private readonly child: ChildProcess;
  private waiting: { resolve: (reply: LoadReply) => void; reject: (err: Error) => void } | undefined;

  constructor() {
    this.child = fork(fileURLToPath(new URL('./bench-proxy-load.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (raw: unknown) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      const parsed = loadReplySchema.safeParse(raw);
      if (!parsed.success) waiting?.reject(new Error('the load process sent an unexpected message'));
      else if (parsed.data.type === 'failed')
        waiting?.reject(new Error(`load process: ${parsed.data.error}`));
      else waiting?.resolve(parsed.data);
    });
    this.child.on('exit', (code) => {
      this.waiting?.reject(new Error(`the load process exited (${code ?? 'signal'})`));
      this.waiting = undefined;
    });
  }

  ask<T extends LoadReply['type']>(
    command: LoadCommand,
    expect: T,
  ): Promise<Extract<LoadReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting = {
        resolve: (reply) =>
          reply.type === expect
            ? resolve(reply as Extract<LoadReply, { type: T }>)
            : reject(new Error(`expected ${expect}, got ${reply.type}`)),
        reject,
      };
      this.child.send(command);
    });
  }

  async report(): Promise<LoadReport> {
    return (await this.ask({ type: 'report' }, 'report')).report;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    await this.ask({ type: 'stop' }, 'stopped').catch(() => undefined);
    this.child.kill();
  }
}

function configFor(accounts: readonly SimulatedAccount[], dir: string): string {
  const file = join(dir, 'bench.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0, metricsToken: METRICS_TOKEN },
      history: { path: join(dir, 'history.sqlite') },
      accounts: accounts.map((a) => ({
        id: a.id,
        exchange: a.exchange,
        credentials: a.credentials,
        endpoints: a.endpoints,
        ...(a.thresholds ? { thresholds: a.thresholds } : {}),
        ...(a.pollSeconds !== undefined ? { pollSeconds: a.pollSeconds } : {}),
        ...a.options,
      })),
    }),
  );
  return file;
}

async function waitUntilLive(mw: MarginWatch, print: Print): Promise<number> {
  const started = performance.now();
  const ids = mw.config.accounts.map((a) => a.id);
  for (;;) {
    const live = ids.filter((id) => mw.hub.statusOf(id)?.state === 'live').length;
    if (live === ids.length) return performance.now() - started;
    if (performance.now() - started > LIVE_TIMEOUT_MS) {
      const states = new Map<string, number>();
      for (const id of ids) {
        const state = mw.hub.statusOf(id)?.state ?? 'none';
        states.set(state, (states.get(state) ?? 0) + 1);
      }
      print(`not every account went live within ${LIVE_TIMEOUT_MS / 1000} s: ${JSON.stringify([...states])}`);
      return performance.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function historyBytes(path: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      // absent
    }
  }
  return total;
}

export async function run(print: Print, flags: ReadonlyMap<string, string> = new Map()): Promise<void> {
  const minutes = flagNumber(flags, 'minutes', DEFAULT_MINUTES);
  const exchanges = exchangeCatalog().size;
  const perExchange = Math.max(1, Math.round(flagNumber(flags, 'accounts', DEFAULT_ACCOUNTS) / exchanges));
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  print(
    `machine: ${cpus().length} cores (${cpuModel}), ${mb(totalmem())} RAM, load average ` +
      `${loadavg()
        .map((l) => fmt(l, 2))
        .join(' ')}`,
  );
  print(
    `desk: ${perExchange * exchanges} accounts (${perExchange} per exchange, one simulator each), ` +
      `${STREAM_CLIENTS} stream clients, /metrics every ${SCRAPE_SECONDS} s, ${fmt(minutes, 1)} min measured`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'margin-watch-bench-proxy-'));
  const load = new LoadProcess();
  let mw: MarginWatch | undefined;
  const logCounts = { info: 0, warn: 0, error: 0 };
  const firstProblems: string[] = [];
  try {
    const { accounts } = await load.ask({ type: 'simulators', perExchange, seed: 20_261_203 }, 'simulators');
    mw = await startMarginWatch({
      configPath: configFor(accounts, dir),
      env: {},
      distDir: null,
      logWrite: (line) => {
        const level = /"level":"(info|warn|error)"/.exec(line)?.[1] as keyof typeof logCounts | undefined;
        if (level) logCounts[level] += 1;
        if (level && level !== 'info' && firstProblems.length < 5) firstProblems.push(line.slice(0, 300));
      },
      prettyLogs: false,
    });
    const started = mw;
    let messages = 0;
    started.accounts.onMessage(() => {
      messages += 1;
    });
    const liveMs = await waitUntilLive(started, print);
    print(`all accounts live after ${fmt(liveMs / 1000, 1)} s`);
    await load.ask(
      {
        type: 'clients',
        url: started.url,
        streams: STREAM_CLIENTS,
        metricsToken: METRICS_TOKEN,
        scrapeSeconds: SCRAPE_SECONDS,
      },
      'clients',
    );
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

    // The measured window.
    const loadBefore = await load.report();
    const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    delay.enable();
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    const writtenStart = started.recorder.stats().written;
    const messagesStart = messages;
    const bytesStart = historyBytes(started.config.history.path);
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(process.memoryUsage.rss()), 1000);
    const windowMs = minutes * 60_000;
    for (let minute = 1; minute * 60_000 <= windowMs; minute += 1) {
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      const cpu = process.cpuUsage(cpuStart);
      const elapsed = performance.now() - wallStart;
      print(
        `  minute ${minute}: CPU ${fmt(((cpu.user + cpu.system) / 1000 / elapsed) * 100, 1)} % of a core, ` +
          `RSS ${mb(process.memoryUsage.rss())}, event-loop delay p99 ${fmt(delayMs(delay.percentile(99)), 1)} ms`,
      );
    }
    const rest = windowMs - Math.floor(windowMs / 60_000) * 60_000;
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    clearInterval(sampler);
    delay.disable();
    const wallMs = performance.now() - wallStart;
    const cpu = process.cpuUsage(cpuStart);
    const stats = started.recorder.stats();
    const loadAfter = await load.report();

    const seconds = wallMs / 1000;
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
    const sortedRss = [...rss].sort((a, b) => a - b);
    const frames = loadAfter.clientFrames.map((n, i) => n - (loadBefore.clientFrames[i] ?? 0));
    const scrapes = loadAfter.scrapeMs.slice(loadBefore.scrapeMs.length).sort((a, b) => a - b);
    const loadCpu = ((loadAfter.cpuMicros - loadBefore.cpuMicros) / 1000 / wallMs) * 100;
    print('proxy process:');
    print(
      `  CPU ${fmt(cpuPercent, 1)} % of one core (user ${fmt(cpu.user / 1e6, 1)} s, ` +
        `system ${fmt(cpu.system / 1e6, 1)} s over ${fmt(seconds, 0)} s)`,
    );
    print(
      `  RSS ${mb(sortedRss[0] ?? 0)} at the start, ${mb(sortedRss.at(-1) ?? 0)} at most, ` +
        `${mb(rss.at(-1) ?? 0)} at the end; heap used ${mb(process.memoryUsage().heapUsed)}`,
    );
    print(
      `  event-loop delay p50 ${fmt(delayMs(delay.percentile(50)), 1)} ms, p99 ${fmt(delayMs(delay.percentile(99)), 1)} ms, ` +
        `max ${fmt(delayMs(delay.max), 1)} ms`,
    );
    print(`  wire messages read: ${fmt((messages - messagesStart) / seconds, 1)}/s`);
    print(
      `  history: ${fmt((stats.written - writtenStart) / seconds, 1)} samples written/s, ` +
        `${fmt(stats.pending)} waiting at the end, ${fmt(stats.dropped)} dropped, database grew ` +
        `${mb(historyBytes(started.config.history.path) - bytesStart)}`,
    );
    print(
      `  stream: ${STREAM_CLIENTS} clients received ${fmt(Math.min(...frames) / seconds, 1)}–` +
        `${fmt(Math.max(...frames) / seconds, 1)} frames/s each, ${loadAfter.streamErrors} dropped sockets`,
    );
    print(
      `  /metrics: ${scrapes.length} scrapes, median ${fmt(percentile(scrapes, 0.5), 1)} ms, ` +
        `slowest ${fmt(scrapes.at(-1) ?? Number.NaN, 1)} ms, ${fmt(loadAfter.scrapeBytes / 1024, 0)} KiB each, ` +
        `${loadAfter.scrapeFailures} failed`,
    );
    print(
      `  log lines: ${logCounts.info} info, ${logCounts.warn} warnings, ${logCounts.error} errors` +
        (firstProblems.length > 0 ? ` (first: ${firstProblems[0]})` : ''),
    );
    print(
      `load process (simulators, stream clients, scraper): CPU ${fmt(loadCpu, 1)} % of one core, ` +
        `RSS ${mb(loadAfter.rssBytes)}`,
    );
  } finally {
    await mw?.stop();
    await load.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
