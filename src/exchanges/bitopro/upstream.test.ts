import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { dec } from '../../domain/decimal.ts';
import { memoryNonceSource } from '../kit/signing.ts';
import {
  closeAfterTest,
  expectFatalPoll,
  expectNothingSecret,
  httpAnswer,
  pause,
  recordingDeps,
  started,
  strictlyIncreasing,
  testAccount,
  until,
  runAgainst,
  type SimRun,
} from '../kit/testing/session-harness.ts';
import { describeUpstreamScenarios, type ScenarioStart } from '../kit/testing/upstream-scenarios.ts';
import type { AccountConfig, Endpoints, NonceSource, RunningSimulator } from '../server-types.ts';
import { bitopro } from './index.ts';
import { server } from './server.ts';
import { inNonceOrder, nonceKey, signingLock } from './sign.ts';
import { startBitoproSimulator } from './simulator.ts';
import { createBitoproUpstream, describeRefusal } from './upstream.ts';

const credentials = {
  apiKey: 'demo-bitopro-key',
  apiSecret: 'demo-bitopro-secret-not-real',
  identity: 'demo@bitopro.invalid',
};
const TIME_SCALE = 0.05; // the simulator pings every 1 s and pushes every 100 ms
/** For tests about silence: stale after 1.25 s, replaced after 2.25 s. */
const SHORT_KEEP_ALIVE_MS = 1_000;
/** For every other test: never stale on a loaded machine (stale after 25 s). */
const LONG_KEEP_ALIVE_MS = 20_000;
const ctx = {
  accountId: 'bitopro-test',
  receivedAt: 0,
  thresholds: { marginCall: dec('1.5'), liquidation: dec('1.1') },
};

async function start(
  options: ScenarioStart & {
    nonces?: NonceSource;
    pollSeconds?: number;
    keepAliveMs?: number;
    endpoints?: (sim: RunningSimulator) => Endpoints;
    /** The exchange is silent from the start: the handshake succeeds, nothing is pushed. */
    silent?: boolean;
  } = {},
): Promise<SimRun> {
  const sim = closeAfterTest(
    await startBitoproSimulator({
      seed: 11,
      scenario: 'steady',
      timeScale: TIME_SCALE,
      account: { credentials },
    }),
  );
  if (options.silent) sim.control({ kind: 'silence', on: true });
  const account: AccountConfig = testAccount('bitopro', {
    credentials,
    endpoints: options.endpoints?.(sim) ?? sim.endpoints,
    pollSeconds: options.pollSeconds ?? 60,
  });
  const recording = recordingDeps(account, options.nonces ?? memoryNonceSource());
  return runAgainst(
    sim,
    recording,
    createBitoproUpstream(recording.deps, {
      keepAliveMs: options.keepAliveMs ?? (options.impatient ? SHORT_KEEP_ALIVE_MS : LONG_KEEP_ALIVE_MS),
      backoff: { baseMs: 20, maxMs: 100, authRetryMs: 400, authRetryMaxMs: 800 },
      timeoutMs: 5_000,
    }),
  );
}

describeUpstreamScenarios({
  exchange: 'BitoPro',
  transport: 'stream',
  start,
  read: (channel, payload) => bitopro.normalize(channel, payload, ctx),
  revoke: {
    // 400–800 ms between auth retries (with jitter): a handful of attempts in 1.5 s at most.
    detail:
      'BitoPro refused the credentials (HTTP 401 "Unauthorized api key"): check apiKey, apiSecret and identity ' +
      '(the account e-mail), and that the key is active',
    quietMs: 1_500,
    maxAttempts: 4,
  },
  wrongStreamPath: {
    endpoints: (sim) => ({
      ...sim.endpoints,
      ws: (sim.endpoints.ws ?? '').replace('account-info', 'orders'),
    }),
    detail: 'BitoPro answered HTTP 404 "Not Found": check endpoints.ws',
  },
  secrets: Object.values(credentials),
  secretPatterns: [/[0-9a-f]{96}/i, /X-BITOPRO/i],
});

const inits = (h: SimRun): number =>
  h.on('account-info').filter((p) => (p as { data?: { action?: string } }).data?.action === 'MARGIN_INIT')
    .length;

describe('BitoPro upstream against the simulator', () => {
  it('goes live and publishes stream pushes and polled balances that normalize', async () => {
    const h = await start({ pollSeconds: 0.3 });
    await until(() => h.lastState() === 'live', 'live');
    expect(h.states[0]).toEqual(['connecting', undefined]);
    await until(
      () => h.on('account-info').length >= 2 && h.on('balances').length >= 2,
      'two pushes and two polled balances',
    );
    for (const { channel, payload } of h.published) {
      const outcome = bitopro.normalize(channel, payload, ctx);
      expect(outcome.kind).toBe('update');
      if (outcome.kind === 'update') expect(outcome.update.warnings).toBeUndefined();
    }
    const rest = bitopro.normalize('balances', h.on('balances')[0], ctx);
    expect(rest.kind === 'update' ? rest.update.balances?.map((b) => b.currency) : rest.kind).toEqual([
      'BTC',
      'ETH',
      'USDT',
    ]);
    // Stream handshake and polls each signed with their own nonce of the key, strictly increasing.
    expect(new Set(h.nonces.map((n) => n.key))).toEqual(new Set([nonceKey(credentials.apiKey)]));
    expect(strictlyIncreasing(h.nonces.map((n) => n.value))).toBe(true);
    expect(h.logText().some((l) => l.includes('409'))).toBe(false);
  });

  it('sends handshakes and polls of one key in nonce order: never a 409, even when they coincide', async () => {
    const h = await start({ pollSeconds: 0.02 });
    await until(() => h.on('balances').length >= 3, 'polls');
    for (let i = 0; i < 4; i++) {
      const opened = inits(h);
      h.sim.control({ kind: 'drop' });
      await until(() => inits(h) > opened, `reconnect ${i + 1}`);
    }
    await until(() => h.on('balances').length >= 10, 'more polls');
    expect(h.logText().filter((l) => l.includes('409'))).toEqual([]);
    expect(h.states.some(([, d]) => (d ?? '').includes('409'))).toBe(false);
  });

  it('is not live on a successful handshake alone: only once the stream delivers data', async () => {
    const h = await start({ silent: true });
    await until(() => h.logs.some((l) => l.msg === 'bitopro stream open'), 'the stream open');
    await pause(300);
    expect(h.states).toEqual([['connecting', undefined]]);
    h.sim.control({ kind: 'silence', on: false });
    await until(() => h.lastState() === 'live', 'live once data arrives');
    expect(h.on('account-info').length).toBeGreaterThan(0);
  });

  it('a nonce the exchange refuses (409) is a nonce/clock problem, not an auth failure, and is retried', async () => {
    let last = Date.now();
    let repeatNext = false;
    // After the first handshake, the next nonce handed out repeats the last one; later ones are fresh.
    const stuck: NonceSource = {
      next: () => {
        if (repeatNext) repeatNext = false;
        else last += 1;
        return last;
      },
    };
    const h = await start({ nonces: stuck });
    await until(() => inits(h) === 1 && h.on('balances').length === 1, 'first push and balances');
    repeatNext = true;
    h.sim.control({ kind: 'drop' });
    await until(() => inits(h) === 2, 'MARGIN_INIT after the refused nonce');
    const refused = h.states.find(([, d]) => (d ?? '').includes('409'));
    expect(refused?.[0]).toBe('reconnecting');
    expect(refused?.[1]).toMatch(
      /^BitoPro refused the nonce \(HTTP 409 "Local Machine Time Mismatch"\): a nonce\/clock problem — check this machine's clock and that no other program signs with this API key; retrying in \d+ m?s$/,
    );
    expect(h.states.some(([s]) => s === 'auth_failed')).toBe(false);
  });

  it('balance poll failures are logged but never change the account status', async () => {
    const h = await start({ pollSeconds: 0.2 });
    await until(() => h.lastState() === 'live' && h.on('balances').length >= 1, 'live with balances');
    const statesBefore = h.states.length;
    h.sim.control({ kind: 'http-error', status: 503, count: 2 });
    await until(() => h.logs.some((l) => l.msg === 'poll failed'), 'a failed poll');
    expect(h.logText().some((l) => l.includes('BitoPro answered HTTP 503'))).toBe(true);
    expect(h.states.slice(statesBefore).every(([s]) => s === 'live')).toBe(true);
  });

  it('a 404 from the balances path is logged as a failure that reconnecting will not fix', async () => {
    const h = await start({
      pollSeconds: 0.2,
      endpoints: (sim) => ({ ...sim.endpoints, rest: `${sim.url}/v9` }),
    });
    await expectFatalPoll(h, 'BitoPro answered HTTP 404 "Not Found": check endpoints.rest');
  });

  it('never shows a credential, the identity or a signature in a status or a log line', async () => {
    const h = await start({ pollSeconds: 0.2 });
    await until(() => h.lastState() === 'live', 'live');
    h.sim.control({ kind: 'http-error', status: 503, count: 1 });
    h.sim.control({ kind: 'revoke' });
    await until(() => h.lastState() === 'auth_failed', 'auth_failed');
    h.sim.control({ kind: 'drop' });
    await until(() => h.logs.some((l) => l.msg === 'poll auth failed'), 'a refused poll');
    expectNothingSecret(h, Object.values(credentials), [/[0-9a-f]{96}/i, /X-BITOPRO/i]);
  });
});

/**
 * A stand-in for BitoPro that answers the stream upgrade only after `upgradeDelayMs`, and records when each
 * signed request arrived and was answered, with its nonce.
 */
async function slowExchange(upgradeDelayMs: number): Promise<{
  endpoints: Endpoints;
  requests: { nonce: number; arrived: number; answered?: number }[];
}> {
  const requests: { nonce: number; arrived: number; answered?: number }[] = [];
  const nonceOf = (payload: string | string[] | undefined): number =>
    (JSON.parse(Buffer.from(String(payload), 'base64').toString('utf8')) as { nonce: number }).nonce;
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    const entry = { nonce: nonceOf(req.headers['x-bitopro-payload']), arrived: Date.now() };
    requests.push(entry);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}', () => Object.assign(entry, { answered: Date.now() }));
  });
  server.on('upgrade', (req, socket, head) => {
    const entry: { nonce: number; arrived: number; answered?: number } = {
      nonce: nonceOf(req.headers['x-bitopro-payload']),
      arrived: Date.now(),
    };
    requests.push(entry);
    setTimeout(() => {
      entry.answered = Date.now();
      wss.handleUpgrade(req, socket, head, () => {});
    }, upgradeDelayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closeAfterTest({
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoints: { rest: `http://127.0.0.1:${port}/v3`, ws: `ws://127.0.0.1:${port}/ws` },
    requests,
  };
}

describe('nonce order on the wire', () => {
  it('a poll signed while the handshake is unanswered waits: no request overtakes a lower nonce', async () => {
    const exchange = await slowExchange(300);
    const recording = recordingDeps(
      testAccount('bitopro', { credentials, endpoints: exchange.endpoints, pollSeconds: 0.05 }),
    );
    started(createBitoproUpstream(recording.deps, { keepAliveMs: LONG_KEEP_ALIVE_MS, timeoutMs: 5_000 }));
    await until(
      () => exchange.requests.length >= 4 && exchange.requests.every((r) => r.answered !== undefined),
      'a handshake and polls, all answered',
    );
    const sorted = [...exchange.requests].sort((a, b) => a.nonce - b.nonce);
    // In nonce order, each request arrived only after the one before it was answered.
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i]?.arrived).toBeGreaterThanOrEqual(sorted[i - 1]?.answered ?? Infinity);
    }
    expect(sorted.map((r) => r.arrived)).toEqual(exchange.requests.map((r) => r.arrived));
  });
});

describe('signingLock', () => {
  it('runs the requests of one key one after another, in the order they asked', async () => {
    const order: string[] = [];
    const task = (name: string, ms: number) => async () => {
      order.push(`${name} start`);
      await pause(ms);
      order.push(`${name} end`);
    };
    await Promise.all([
      inNonceOrder('k1', task('a', 30)),
      inNonceOrder('k1', task('b', 1)),
      inNonceOrder('k2', task('c', 1)),
    ]);
    expect(order.indexOf('a end')).toBeLessThan(order.indexOf('b start'));
    expect(order.indexOf('c end')).toBeLessThan(order.indexOf('a end'));
    expect(signingLock.isHeld(nonceKey('k1'))).toBe(false);
  });
});

describe('describeRefusal', () => {
  const answer = httpAnswer;
  it.each([
    [
      401,
      '{"error":"Invalid Signature"}',
      'auth',
      'BitoPro refused the credentials (HTTP 401 "Invalid Signature")',
    ],
    [401, '{"error":"Unauthorized api key"}', 'auth', '(HTTP 401 "Unauthorized api key")'],
    [403, '', 'auth', 'BitoPro refused the credentials (HTTP 403): check apiKey'],
    [404, '{"error":"Not Found"}', 'fatal', 'BitoPro answered HTTP 404 "Not Found": check endpoints.rest'],
    [409, '{"error":"Local Machine Time Mismatch"}', 'retry', 'a nonce/clock problem'],
    [
      429,
      '{"error":"too many requests"}',
      'retry',
      'BitoPro rate limit reached (HTTP 429 "too many requests")',
    ],
    [502, '<html>bad gateway</html>', 'retry', 'BitoPro answered HTTP 502'],
  ])('HTTP %i', (status, body, kind, text) => {
    const refusal = describeRefusal(answer(status, body), 'endpoints.rest');
    expect(refusal.kind).toBe(kind);
    expect(refusal.detail).toContain(text);
  });

  it('honours Retry-After on a 429', () => {
    expect(describeRefusal(answer(429, '', { 'retry-after': '3' }), 'endpoints.rest')).toEqual({
      kind: 'retry',
      detail: 'BitoPro rate limit reached (HTTP 429)',
      retryAfterMs: 3_000,
    });
  });
});

describe('server module', () => {
  it('declares the defaults, secrets and demo account', () => {
    expect(server.id).toBe('bitopro');
    expect(server.defaultEndpoints).toEqual({
      rest: 'https://api.bitopro.com/v3',
      ws: 'wss://stream.bitopro.com:443/ws/v1/pub/auth/margin/account-info',
    });
    expect(server.secretFields).toEqual(['apiKey', 'apiSecret', 'identity']);
    expect(server.demoAccount.thresholds).toEqual({ marginCall: '1.5', liquidation: '1.1' });
    expect(server.credentials.safeParse(server.demoAccount.credentials).success).toBe(true);
  });

  it.each([
    [{ apiKey: 'k', apiSecret: 's' }, 'identity'],
    [{ apiKey: 'k', apiSecret: 's', identity: 'not-an-email' }, 'identity'],
    [{ apiKey: '', apiSecret: 's', identity: 'a@b.c' }, 'apiKey'],
    [{ apiKey: 'k', apiSecret: 's', identity: 'a@b.c', extra: 'x' }, ''],
  ])('rejects bad credentials %j', (value, field) => {
    const result = server.credentials.safeParse(value);
    expect(result.success).toBe(false);
    if (!result.success && field) expect(result.error.issues[0]?.path).toEqual([field]);
  });

  it('signRest: the three headers with a fresh nonce, whatever the URL', () => {
    const account = testAccount('bitopro', { credentials, endpoints: server.defaultEndpoints });
    let n = 100;
    const nonces: NonceSource = { next: () => ++n };
    const url = new URL('https://api.bitopro.com/v3/margin/balances');
    const first = server.signRest({ method: 'GET', url, body: '' }, account, nonces);
    const second = server.signRest({ method: 'GET', url, body: '' }, account, nonces);
    expect(Object.keys(first)).toEqual(['X-BITOPRO-APIKEY', 'X-BITOPRO-PAYLOAD', 'X-BITOPRO-SIGNATURE']);
    expect(Buffer.from(first['X-BITOPRO-PAYLOAD'] ?? '', 'base64').toString()).toBe(
      '{"identity":"demo@bitopro.invalid","nonce":101}',
    );
    expect(second['X-BITOPRO-SIGNATURE']).not.toBe(first['X-BITOPRO-SIGNATURE']);
  });
});
