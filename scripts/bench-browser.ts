// Browser benchmark: the built dashboard in headless Chromium, fed by a stand-in proxy with 50 VALR accounts that
// each publish MARGIN_INFO every 100 ms. Prints React commits per second against animation frames per second,
// long tasks, and the time from a message reaching the browser to its figure being painted. Prints figures;
// asserts nothing about time (machines differ), only that the page shows what it was sent.
//
// Run with `npm run bench -- browser`. By default the current sources are built (vite) into a temporary
// directory first; BENCH_DIST=dist serves an existing build instead. BENCH_BROWSER_SECONDS changes the length
// of the streaming phase (default 30); BENCH_CPU_PROFILE=<file> saves a Chromium CPU profile of that phase.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from './chromium.ts';
import { WebSocket, WebSocketServer } from 'ws';
import { parseAccounts } from '../src/contract/accounts.ts';
import { parseStreamFrame } from '../src/contract/stream.ts';
import { valr } from '../src/exchanges/valr/index.ts';
import { ACCOUNT_CHANNEL, VALR_ID } from '../src/exchanges/valr/normalize.ts';
import { MessageReader } from '../src/proxy/accounts.ts';

/** What the runner needs of a bench module. */
export const name = 'browser';

type Print = (line: string) => void;

const ACCOUNTS = 50;
const MESSAGE_EVERY_MS = 100;
const IDLE_MS = 5_000;
const SETTLE_MS = 2_000;
const VIEWPORT = { width: 1440, height: 900 };
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// The stand-in proxy: static files of the build, the REST routes the page asks for, and /api/stream.

interface FixtureMessage {
  type: string;
  data: Record<string, unknown>;
}

const fixture = JSON.parse(
  readFileSync(join(repoRoot, 'src/exchanges/valr/fixtures/margin-info.json'), 'utf8'),
) as FixtureMessage;

const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `valr-${String(i + 1).padStart(2, '0')}`);

/**
 * The margin fraction account `index` reports for message `seq` at time `t`: each account has its own level
 * between 1.2 and 2.0 and drifts ±0.02 around it over 10 s, so neighbours in the risk order overtake each other
 * a few times a second. Four decimals of that, then the message's sequence number in eight digits: the text is
 * unique per message, so the page can tell which message a figure shows. (Synthetic test data, not an amount.)
 */
function marginFractionText(index: number, seq: number, t: number): string {
  const level =
    1.2 + (0.8 * index) / (ACCOUNTS - 1) + 0.02 * Math.sin(2 * Math.PI * (t / 10_000 + index * 0.37));
  return `${level.toFixed(4)}${String(seq).padStart(8, '0')}`;
}

function marginInfo(text: string): FixtureMessage {
  return { ...fixture, data: { ...fixture.data, marginFraction: text } };
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** The account list as GET /api/accounts answers it. */
function accountList(startedAt: number): unknown[] {
  return accountIds.map((id, i) => ({
    id,
    exchange: VALR_ID,
    label: `VALR margin ${String(i + 1).padStart(2, '0')}`,
    status: { state: 'live', at: startedAt },
    pollSeconds: 15,
  }));
}

/** An empty history (nothing recorded yet), shaped like GET /api/accounts/:id/history. */
function emptyHistory(accountId: string, url: URL): unknown {
  const to = Date.now();
  const fromParam = url.searchParams.get('from');
  const from = fromParam !== null && /^\d+$/.test(fromParam) ? Math.min(Number(fromParam), to) : to;
  const maxPoints = Number(url.searchParams.get('maxPoints') ?? '1000') || 1000;
  return {
    accountId,
    from,
    to,
    bucketMs: Math.max(1, Math.ceil((to - from) / maxPoints)),
    source: 'samples',
    gapMs: 90_000,
    profiles: [],
    buckets: [],
  };
}

interface BenchServer {
  url: string;
  /** Starts publishing: every account every MESSAGE_EVERY_MS, staggered. */
  startFeed(): void;
  stopFeed(): void;
  /** Messages published since the server started (the replayed first ones included). */
  readonly sent: number;
  /** The last margin fraction text published per account. */
  readonly latest: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

async function startBenchServer(distDir: string): Promise<BenchServer> {
  const startedAt = Date.now();
  const root = resolve(distDir);
  let seq = 0;
  const latestText = new Map<string, string>();
  const latestFrame = new Map<string, string>();
  const statusFrames = accountIds.map((accountId) =>
    JSON.stringify({ type: 'status', accountId, state: 'live', at: startedAt }),
  );

  // The proxy's reader turns each MARGIN_INFO message into the account's snapshot frame, as the hub sends it.
  const reader = new MessageReader(() => valr);
  function publish(index: number): string {
    const accountId = accountIds[index] ?? '';
    const now = Date.now();
    seq += 1;
    const text = marginFractionText(index, seq, now);
    const { frame: reading } = reader.read(
      { id: accountId, exchange: VALR_ID },
      ACCOUNT_CHANNEL,
      marginInfo(text),
      now,
    );
    const frame = JSON.stringify(reading);
    latestText.set(accountId, text);
    latestFrame.set(accountId, frame);
    return frame;
  }
  // Every account starts with one message, replayed to each browser on connect (as the proxy's hub does).
  accountIds.forEach((_, i) => publish(i));

  function serveStatic(res: ServerResponse, pathname: string): void {
    let file = normalize(join(root, decodeURIComponent(pathname)));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      file = join(root, 'index.html');
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    res.end(readFileSync(file));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://bench.invalid');
    const path = url.pathname;
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'read-only bench server' });
    if (path === '/api/health') return sendJson(res, 200, { status: 'ok', mode: 'demo', accounts: ACCOUNTS });
    if (path === '/api/accounts') return sendJson(res, 200, accountList(startedAt));
    const history = /^\/api\/accounts\/([^/]+)\/history$/.exec(path);
    if (history) {
      const id = decodeURIComponent(history[1] ?? '');
      if (!accountIds.includes(id)) return sendJson(res, 404, { error: `unknown account "${id}"` });
      return sendJson(res, 200, emptyHistory(id, url));
    }
    if (path === '/api/alerts') return sendJson(res, 200, { alerts: [], nextBefore: null, open: [] });
    if (path.startsWith('/api/')) return sendJson(res, 404, { error: `not served by the bench: ${path}` });
    serveStatic(res, path);
  }

  const server: Server = createServer(handle);
  const wss = new WebSocketServer({ server, path: '/api/stream' });
  wss.on('connection', (socket) => {
    for (const frame of statusFrames) socket.send(frame);
    for (const frame of latestFrame.values()) socket.send(frame);
    socket.send(JSON.stringify({ type: 'ping', at: Date.now() }));
  });
  const broadcast = (frame: string): void => {
    for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(frame);
  };
  const ping = setInterval(() => broadcast(JSON.stringify({ type: 'ping', at: Date.now() })), 5_000);

  let timers: ReturnType<typeof setTimeout>[] = [];
  const stopFeed = (): void => {
    for (const timer of timers) clearTimeout(timer);
    timers = [];
  };

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    startFeed() {
      stopFeed();
      accountIds.forEach((_, i) => {
        // Spread the accounts over the 100 ms period, as independent upstream sessions would be.
        const offset = Math.floor((i * MESSAGE_EVERY_MS) / ACCOUNTS);
        timers.push(
          setTimeout(() => {
            broadcast(publish(i));
            timers.push(setInterval(() => broadcast(publish(i)), MESSAGE_EVERY_MS));
          }, offset),
        );
      });
    },
    stopFeed,
    get sent() {
      return seq;
    },
    latest: latestText,
    async close() {
      stopFeed();
      clearInterval(ping);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** Checks that the stand-in speaks the proxy's protocol as the browser reads it, and that VALR accepts its payload. */
function checkProtocol(): void {
  parseAccounts(JSON.parse(JSON.stringify(accountList(Date.now()))));
  const text = marginFractionText(0, 1, Date.now());
  const { frame: reading } = new MessageReader(() => valr).read(
    { id: accountIds[0] ?? 'a', exchange: VALR_ID },
    ACCOUNT_CHANNEL,
    marginInfo(text),
    1,
  );
  const frame = parseStreamFrame(JSON.stringify(reading));
  if (frame?.type !== 'snapshot')
    throw new Error('the bench snapshot frame does not pass the stream contract');
  if (frame.snapshot?.level?.text !== text || !LEVEL_IN_FRAME.test(JSON.stringify(reading))) {
    throw new Error(`the bench MARGIN_INFO payload is not read as a level: ${JSON.stringify(reading)}`);
  }
}

/** Where the page finds the level text in a snapshot frame (kept in step with the page script's LEVEL). */
const LEVEL_IN_FRAME = /"level":\{"kind":"value","value":"[^"]*","text":"([^"]+)"/;

// ---------------------------------------------------------------------------------------------------------------
// In the page. Plain JavaScript in a string (it runs before the app, and a string is not rewritten by the TS
// loader): a React DevTools hook stub that counts commits, an animation-frame counter, a long-task observer,
// a WebSocket that timestamps each frame on arrival, and a MutationObserver that sees each level text appear.
//
// "In a frame" means between the start of this script's requestAnimationFrame callback and the next task: its
// callback is registered one frame ahead, so it runs before the app's store flush in the same frame, and a task
// posted from it runs only after that frame's style, layout and paint. A figure committed in a frame is therefore
// painted when that task runs; one committed outside a frame is painted in the next frame.

const PAGE_SCRIPT = `(() => {
  const S = {
    frames: [],
    commits: [],
    longTasks: [],
    arrivals: [],
    latencies: [],
    moves: [],
    pending: new Map(),
    inFrame: false,
  };
  Object.defineProperty(window, '__mwBench', { value: S });
  const nativeRequestAnimationFrame = window.requestAnimationFrame.bind(window);

  const afterTask = (fn) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      fn();
    };
    channel.port2.postMessage(0);
  };
  const onFrame = () => {
    S.frames.push(performance.now());
    S.inFrame = true;
    afterTask(() => {
      S.inFrame = false;
    });
    nativeRequestAnimationFrame(onFrame);
  };
  nativeRequestAnimationFrame(onFrame);

  // Commits made while an app requestAnimationFrame callback (or its microtasks) runs: the stores' frame flush.
  let inAppFrameCallback = 0;
  window.requestAnimationFrame = (callback) =>
    nativeRequestAnimationFrame((t) => {
      inAppFrameCallback += 1;
      try {
        callback(t);
      } finally {
        queueMicrotask(() => {
          inAppFrameCallback -= 1;
        });
      }
    });

  let renderers = 0;
  window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    supportsFiber: true,
    isDisabled: false,
    renderers: new Map(),
    inject(renderer) {
      renderers += 1;
      this.renderers.set(renderers, renderer);
      return renderers;
    },
    checkDCE() {},
    onScheduleFiberRoot() {},
    onCommitFiberRoot() {
      S.commits.push([performance.now(), inAppFrameCallback > 0 ? 1 : 0]);
    },
    onPostCommitFiberRoot() {},
    onCommitFiberUnmount() {},
  };

  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) S.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    S.noLongTaskObserver = true;
  }

  const LEVEL = /"level":\\{"kind":"value","value":"[^"]*","text":"([^"]+)"/;
  const NativeWebSocket = window.WebSocket;
  class TimedWebSocket extends NativeWebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('message', (event) => {
        const t = performance.now();
        if (typeof event.data !== 'string') return;
        const m = LEVEL.exec(event.data);
        if (!m) return;
        S.arrivals.push(t);
        S.pending.set(m[1], t);
      });
    }
  }
  window.WebSocket = TimedWebSocket;

  new MutationObserver((records) => {
    const committed = performance.now();
    let shown = null;
    for (const r of records) {
      if (r.type === 'childList' && r.addedNodes.length > 0 && r.target.nodeType === 1 &&
          r.target.getAttribute('data-testid') === 'account-list') {
        for (let i = 0; i < r.addedNodes.length; i += 1) S.moves.push(committed);
        continue;
      }
      const el = r.target.nodeType === 3 ? r.target.parentElement : r.target;
      if (!el || el.nodeType !== 1 || el.getAttribute('data-testid') !== 'level') continue;
      const text = el.textContent;
      const arrived = S.pending.get(text);
      if (arrived === undefined) continue;
      S.pending.delete(text);
      (shown ??= []).push(arrived);
    }
    if (shown === null) return;
    const painted = () => {
      const t = performance.now();
      for (const arrived of shown) S.latencies.push([arrived, committed, t]);
    };
    if (S.inFrame) afterTask(painted);
    else nativeRequestAnimationFrame(() => afterTask(painted));
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

/** What the page script collected (times are the page's performance.now(), ms). */
interface PageData {
  frames: number[];
  /** [time, 1 when made from an app requestAnimationFrame callback else 0] */
  commits: [number, number][];
  /** [start, duration] */
  longTasks: [number, number][];
  arrivals: number[];
  /** [arrived, committed to the DOM, painted] */
  latencies: [number, number, number][];
  /** Times a card was (re)inserted into the list: the risk order changed. */
  moves: number[];
  noLongTaskObserver?: boolean;
}

async function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

async function collect(page: Page): Promise<PageData> {
  return page.evaluate(() => {
    const s = (window as unknown as { __mwBench: PageData }).__mwBench;
    return {
      frames: s.frames,
      commits: s.commits,
      longTasks: s.longTasks,
      arrivals: s.arrivals,
      latencies: s.latencies,
      moves: s.moves,
      noLongTaskObserver: s.noLongTaskObserver ?? false,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Figures.

/** A stretch of page time, ms. */
interface Span {
  from: number;
  to: number;
}

const inWindow = (t: number, w: Span): boolean => t >= w.from && t < w.to;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

interface PhaseFigures {
  seconds: number;
  framesPerS: number;
  commitsPerS: number;
  rafCommitsPerS: number;
  otherCommitsPerS: number;
  /** Frame intervals holding more than one commit, and the most commits in one frame interval. */
  busyFrames: number;
  frameIntervals: number;
  maxCommitsPerFrame: number;
  longTasks: number;
  longestTaskMs: number;
  movesPerS: number;
}

function phaseFigures(data: PageData, w: Span): PhaseFigures {
  const seconds = (w.to - w.from) / 1000;
  const frames = data.frames.filter((t) => inWindow(t, w));
  const commits = data.commits.filter(([t]) => inWindow(t, w));
  const fromRaf = commits.filter(([, f]) => f === 1).length;
  // Commits between two consecutive frame starts belong to the earlier frame's interval.
  const perInterval = new Array<number>(Math.max(0, frames.length - 1)).fill(0);
  let i = 0;
  for (const [t] of commits) {
    while (i + 1 < frames.length && (frames[i + 1] ?? Infinity) <= t) i += 1;
    if (i + 1 < frames.length && (frames[i] ?? Infinity) <= t) perInterval[i] = (perInterval[i] ?? 0) + 1;
  }
  const tasks = data.longTasks.filter(([start]) => inWindow(start, w));
  return {
    seconds,
    framesPerS: frames.length / seconds,
    commitsPerS: commits.length / seconds,
    rafCommitsPerS: fromRaf / seconds,
    otherCommitsPerS: (commits.length - fromRaf) / seconds,
    busyFrames: perInterval.filter((n) => n > 1).length,
    frameIntervals: perInterval.length,
    maxCommitsPerFrame: Math.max(0, ...perInterval),
    longTasks: tasks.length,
    longestTaskMs: Math.max(0, ...tasks.map(([, d]) => d)),
    movesPerS: data.moves.filter((t) => inWindow(t, w)).length / seconds,
  };
}

/** Chromium's cumulative page metrics (CDP Performance.getMetrics): durations and CPU times in seconds. */
type Metrics = Record<string, number>;

interface WorkFigures {
  /** Shares of wall time, in percent: main-thread tasks and what they spent on script, layout and style. */
  busy: number;
  script: number;
  layout: number;
  style: number;
  /** CPU time as a share of one core, in percent: the page's main thread, and the renderer process. */
  mainCpu: number;
  rendererCpu: number;
}

function workFigures(from: Metrics, to: Metrics, seconds: number): WorkFigures {
  const share = (name: string): number => (((to[name] ?? 0) - (from[name] ?? 0)) / seconds) * 100;
  return {
    busy: share('TaskDuration'),
    script: share('ScriptDuration'),
    layout: share('LayoutDuration'),
    style: share('RecalcStyleDuration'),
    mainCpu: share('ThreadTime'),
    rendererCpu: share('ProcessTime'),
  };
}

function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('   ')
      .trimEnd(),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The run.

/** The build to serve: BENCH_DIST when set, else a fresh build of the current sources in a temporary directory. */
async function prepareDist(print: Print): Promise<{ dir: string; cleanup: () => void }> {
  const given = process.env.BENCH_DIST;
  if (given) {
    const dir = resolve(repoRoot, given);
    if (!existsSync(join(dir, 'index.html'))) throw new Error(`BENCH_DIST=${given} has no index.html`);
    print(`build: serving ${dir} as it is (BENCH_DIST)`);
    return { dir, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'margin-watch-bench-'));
  const { build } = await import('vite');
  const started = performance.now();
  await build({ root: repoRoot, logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  print(
    `build: vite production build of the current sources in ${fmt((performance.now() - started) / 1000, 1)} s`,
  );
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((done) => setTimeout(done, ms));
}

/** Builds (or takes) the dashboard, streams to it in headless Chromium, and prints the figures. */
export async function run(print: Print = console.log): Promise<void> {
  const streamMs = Math.round(Number(process.env.BENCH_BROWSER_SECONDS ?? 30) * 1000);
  if (!(streamMs >= 1000)) throw new Error('BENCH_BROWSER_SECONDS must be at least 1');
  checkProtocol();
  const dist = await prepareDist(print);
  let server: BenchServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startBenchServer(dist.dir);
    const executablePath = chromiumExecutable();
    browser = await chromium.launch({
      headless: true,
      args: CHROMIUM_ARGS,
      ...(executablePath ? { executablePath } : {}),
    });
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'en-US' });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.addInitScript({ content: PAGE_SCRIPT });

    // Load: every card shows its first (replayed) figure.
    const loadStart = performance.now();
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForFunction(
      (n) => {
        const levels = [...document.querySelectorAll('[data-testid="account-card"] [data-testid="level"]')];
        return levels.length === n && levels.every((l) => l.textContent !== '—');
      },
      ACCOUNTS,
      { timeout: 30_000 },
    );
    const loadMs = performance.now() - loadStart;
    const visibility = await page.evaluate(() => document.visibilityState);
    await sleep(SETTLE_MS);

    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async (): Promise<Metrics> => {
      const { metrics: list } = await cdp.send('Performance.getMetrics');
      return Object.fromEntries(list.map((m) => [m.name, m.value]));
    };

    // Idle baseline: connected, no messages (the page's own clocks still tick).
    const idle: Span = { from: await pageNow(page), to: 0 };
    const idleMetrics = await metrics();
    await sleep(IDLE_MS);
    idle.to = await pageNow(page);

    // Stream: every account every 100 ms.
    const profilePath = process.env.BENCH_CPU_PROFILE;
    if (profilePath) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const sentBefore = server.sent;
    const streamMetrics = await metrics();
    server.startFeed();
    const stream: Span = { from: await pageNow(page), to: 0 };
    await sleep(streamMs);
    server.stopFeed();
    stream.to = await pageNow(page);
    const endMetrics = await metrics();
    if (profilePath) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(profilePath, JSON.stringify(profile));
      print(`CPU profile of the streaming phase written to ${profilePath} (profiling slows the page down)`);
    }
    const sent = server.sent - sentBefore;
    await sleep(1_000);

    // What the page shows after the stream stopped.
    const cards = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('[data-testid="account-card"]')].map((card) => ({
        id: card.dataset.accountId ?? '',
        freshness: card.dataset.freshness ?? '',
        level: card.querySelector('[data-testid="level"]')?.textContent ?? '',
      })),
    );
    const data = await collect(page);
    const chromiumVersion = browser.version();

    const loadCommits = data.commits.filter(([t]) => t < idle.from).length;
    if (loadCommits === 0)
      throw new Error('React reported no commits: the DevTools hook stub was not picked up');
    const loadTasks = data.longTasks.filter(([start]) => start < idle.from);
    const idleF = phaseFigures(data, idle);
    const streamF = phaseFigures(data, stream);
    const arrived = data.arrivals.filter((t) => inWindow(t, stream)).length;
    const lat = data.latencies.filter(([a]) => inWindow(a, stream));
    const toDom = lat.map(([a, c]) => c - a).sort((x, y) => x - y);
    const toPaint = lat.map(([a, , p]) => p - a).sort((x, y) => x - y);
    const causedPerS = Math.max(0, streamF.commitsPerS - idleF.commitsPerS);
    const idleW = workFigures(idleMetrics, streamMetrics, idleF.seconds);
    const streamW = workFigures(streamMetrics, endMetrics, streamF.seconds);
    const work = (w: WorkFigures): string =>
      `${fmt(w.busy)}% (${fmt(w.script)} / ${fmt(w.layout)} / ${fmt(w.style)})`;

    const cpu = cpus();
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ');
    print(
      `machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores (load average ${load}); ` +
        `Node ${process.version}; Chromium ${chromiumVersion}${executablePath ? ` (${executablePath})` : ''}, headless, ` +
        `--disable-gpu; viewport ${VIEWPORT.width}×${VIEWPORT.height}; page ${visibility}`,
    );
    print(
      `run: ${ACCOUNTS} VALR accounts × ${fmt(1000 / MESSAGE_EVERY_MS)} MARGIN_INFO/s for ${fmt(stream.to - stream.from, 0)} ms ` +
        `(${fmt(sent)} messages sent, ${fmt(arrived)} arrived in the window), after a ${fmt(idleF.seconds, 1)} s idle ` +
        `baseline; first load to 50 figures ${fmt(loadMs)} ms (${fmt(loadCommits)} commits, ` +
        `${loadTasks.length} long tasks, longest ${fmt(Math.max(0, ...loadTasks.map(([, d]) => d)))} ms)`,
    );
    const rows: string[][] = [
      ['', 'idle', 'stream', 'goal'],
      ['animation frames / s', fmt(idleF.framesPerS, 1), fmt(streamF.framesPerS, 1), ''],
      ['React commits / s', fmt(idleF.commitsPerS, 1), fmt(streamF.commitsPerS, 1), ''],
      ['  from rAF callbacks (stores)', fmt(idleF.rafCommitsPerS, 1), fmt(streamF.rafCommitsPerS, 1), ''],
      ['  from other tasks', fmt(idleF.otherCommitsPerS, 1), fmt(streamF.otherCommitsPerS, 1), ''],
      [
        'commits / s caused by stream',
        '',
        fmt(causedPerS, 1),
        `≤ ${fmt(streamF.framesPerS, 1)} (1 per frame): ${causedPerS <= streamF.framesPerS ? 'met' : 'NOT MET'}`,
      ],
      [
        'frames with > 1 commit',
        `${fmt(idleF.busyFrames)} of ${fmt(idleF.frameIntervals)}`,
        `${fmt(streamF.busyFrames)} of ${fmt(streamF.frameIntervals)} (max ${streamF.maxCommitsPerFrame})`,
        '',
      ],
      [
        'long tasks > 50 ms (longest)',
        `${idleF.longTasks} (${fmt(idleF.longestTaskMs)} ms)`,
        `${streamF.longTasks} (${fmt(streamF.longestTaskMs)} ms)`,
        `0: ${streamF.longTasks === 0 ? 'met' : 'NOT MET'}`,
      ],
      ['cards moved by the risk order / s', fmt(idleF.movesPerS, 1), fmt(streamF.movesPerS, 1), ''],
      ['main thread busy (script / layout / style)', work(idleW), work(streamW), ''],
      [
        'CPU: main thread / renderer, % of a core',
        `${fmt(idleW.mainCpu)} / ${fmt(idleW.rendererCpu)}`,
        `${fmt(streamW.mainCpu)} / ${fmt(streamW.rendererCpu)}`,
        '',
      ],
      [
        'message → DOM, median / p95',
        '',
        `${fmt(percentile(toDom, 0.5), 1)} / ${fmt(percentile(toDom, 0.95), 1)} ms`,
        '',
      ],
      [
        'message → painted, median / p95',
        '',
        `${fmt(percentile(toPaint, 0.5), 1)} / ${fmt(percentile(toPaint, 0.95), 1)} ms`,
        '',
      ],
      ['messages painted / arrived', '', `${fmt(lat.length)} / ${fmt(arrived)}`, ''],
    ];
    for (const line of table(rows)) print(line);
    if (data.noLongTaskObserver) print('  (this browser has no long-task observer: long tasks not measured)');

    // The page must show every account, live, with the last figure sent.
    const latest = server.latest;
    const missing = accountIds.filter((id) => !cards.some((c) => c.id === id));
    const notLive = cards.filter((c) => c.freshness !== 'live').map((c) => `${c.id}=${c.freshness}`);
    const wrong = cards.filter((c) => c.level !== latest.get(c.id)).map((c) => c.id);
    print(
      `cards: ${cards.length} of ${ACCOUNTS} rendered${missing.length ? ` (missing ${missing.join(', ')})` : ''}; ` +
        `live: ${cards.length - notLive.length}${notLive.length ? ` (not: ${notLive.join(', ')})` : ''}; ` +
        `showing the last figure sent: ${cards.length - wrong.length}${wrong.length ? ` (not: ${wrong.join(', ')})` : ''}` +
        (visibility === 'visible' ? '' : ' — the page was not visible: frames were throttled'),
    );
    if (pageErrors.length > 0) print(`page errors: ${pageErrors.slice(0, 3).join(' | ')}`);
    if (missing.length > 0 || wrong.length > 0 || pageErrors.length > 0) {
      throw new Error('the page did not show what the stream sent (see above)');
    }
  } finally {
    await browser?.close();
    await server?.close();
    dist.cleanup();
  }
}
