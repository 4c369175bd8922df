import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import { memoryNonceSource } from '../../proxy/nonce.ts';
import { sleep } from '../../proxy/upstream-kit.ts';
import type {
  AccountConfig,
  NonceSource,
  RunningSimulator,
  Upstream,
  UpstreamState,
} from '../server-types.ts';
import { bitopro } from './index.ts';
import { server } from './server.ts';
import { startBitoproSimulator } from './simulator.ts';
import { createBitoproUpstream, describeRefusal } from './upstream.ts';

const credentials = {
  apiKey: 'demo-bitopro-key',
  apiSecret: 'demo-bitopro-secret-not-real',
  identity: 'demo@bitopro.invalid',
};
const TIME_SCALE = 0.05; // simulator pings every 1 s
const KEEP_ALIVE_MS = 1_000; // so the upstream calls the stream stale after 1.25 s and replaces it after 2.25 s
const ctx = {
  accountId: 'bitopro-test',
  receivedAt: 0,
  thresholds: { marginCall: dec('1.5'), liquidation: dec('1.1') },
};

async function until(check: () => boolean, timeoutMs = 4000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await sleep(10);
  }
}

interface Harness {
  sim: RunningSimulator;
  upstream: Upstream;
  states: [UpstreamState, string | undefined][];
  published: [string, unknown][];
  nonces: number[];
  logs: string[];
  lastState(): UpstreamState | undefined;
}

let running: Harness | undefined;
afterEach(async () => {
  await running?.upstream.stop();
  await running?.sim.close();
  running = undefined;
});

async function start(options: { nonces?: NonceSource; pollSeconds?: number } = {}): Promise<Harness> {
  const sim = await startBitoproSimulator({
    seed: 11,
    scenario: 'steady',
    timeScale: TIME_SCALE,
    account: { credentials },
  });
  const account: AccountConfig = {
    id: 'bitopro-test',
    exchange: 'bitopro',
    label: 'BitoPro test',
    credentials,
    endpoints: sim.endpoints,
    pollSeconds: options.pollSeconds ?? 0.3,
    options: {},
  };
  const states: Harness['states'] = [];
  const published: Harness['published'] = [];
  const nonces: number[] = [];
  const logs: string[] = [];
  const source = options.nonces ?? memoryNonceSource();
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  const upstream = createBitoproUpstream(
    {
      account,
      publish: (channel, payload) => published.push([channel, payload]),
      setStatus: (state, detail) => states.push([state, detail]),
      log: { info: log('info'), warn: log('warn'), error: log('error') },
      nonces: {
        next(key) {
          const n = source.next(key);
          nonces.push(n);
          return n;
        },
      },
    },
    {
      keepAliveMs: KEEP_ALIVE_MS,
      backoff: { baseMs: 20, maxMs: 100, authRetryMs: 400, authRetryMaxMs: 800 },
      timeoutMs: 2_000,
    },
  );
  const harness: Harness = {
    sim,
    upstream,
    states,
    published,
    nonces,
    logs,
    lastState: () => states[states.length - 1]?.[0],
  };
  running = harness;
  upstream.start();
  return harness;
}

const inits = (h: Harness) =>
  h.published.filter(
    ([channel, payload]) =>
      channel === 'account-info' &&
      typeof payload === 'object' &&
      payload !== null &&
      (payload as { data?: { action?: string } }).data?.action === 'MARGIN_INIT',
  ).length;

describe('BitoPro upstream against the simulator', () => {
  it('goes live and publishes stream pushes and polled balances that normalize', async () => {
    const h = await start();
    await until(() => h.lastState() === 'live');
    expect(h.states[0]).toEqual(['connecting', undefined]);
    await until(
      () =>
        h.published.filter(([c]) => c === 'account-info').length >= 2 &&
        h.published.some(([c]) => c === 'balances'),
    );
    for (const [channel, payload] of h.published) {
      const outcome = bitopro.normalize(channel, payload, ctx);
      expect(outcome.kind).toBe('update');
      if (outcome.kind === 'update') expect(outcome.update.warnings).toBeUndefined();
    }
    const rest = bitopro.normalize('balances', h.published.find(([c]) => c === 'balances')?.[1], ctx);
    expect(rest.kind === 'update' ? rest.update.balances?.map((b) => b.currency) : rest.kind).toEqual([
      'BTC',
      'ETH',
      'USDT',
    ]);
    // Stream handshake and polls each signed with their own nonce, strictly increasing.
    expect(h.nonces.length).toBeGreaterThanOrEqual(2);
    expect(h.nonces.every((n, i) => i === 0 || n > (h.nonces[i - 1] ?? 0))).toBe(true);
    // The poll never raced the first handshake into a nonce refusal.
    expect(h.logs.some((l) => l.includes('409'))).toBe(false);
  });

  it('reconnects after a drop with a fresh nonce', async () => {
    const h = await start({ pollSeconds: 60 });
    await until(() => inits(h) === 1);
    const noncesBefore = h.nonces.length;
    h.sim.control({ kind: 'drop' });
    await until(() => inits(h) === 2);
    expect(h.states.some(([s, d]) => s === 'reconnecting' && (d ?? '').includes('stream closed'))).toBe(true);
    await until(() => h.lastState() === 'live');
    expect(h.nonces.length).toBeGreaterThan(noncesBefore);
    expect(new Set(h.nonces).size).toBe(h.nonces.length);
  });

  it('detects silence as stale, replaces the connection, and is live again when data returns', async () => {
    const h = await start({ pollSeconds: 60 });
    await until(() => h.lastState() === 'live');
    h.sim.control({ kind: 'silence', on: true });
    await until(() => h.lastState() === 'stale', 3000);
    await until(
      () => h.states.some(([s, d]) => s === 'reconnecting' && (d ?? '').includes('connection replaced')),
      4000,
    );
    h.sim.control({ kind: 'silence', on: false });
    await until(() => h.lastState() === 'live' && inits(h) >= 2, 4000);
  });

  it('revoke ⇒ auth_failed with a readable reason and slow retries; restore ⇒ live again', async () => {
    const h = await start({ pollSeconds: 60 });
    await until(() => h.lastState() === 'live');
    h.sim.control({ kind: 'revoke' });
    await until(() => h.lastState() === 'auth_failed');
    const detail = h.states[h.states.length - 1]?.[1] ?? '';
    expect(detail).toContain('BitoPro refused the credentials (HTTP 401 "Invalid Signature")');
    expect(detail).toContain('apiKey, apiSecret and identity');
    const attemptsAtFailure = h.nonces.length;
    await sleep(1_500);
    // 400–800 ms between auth retries (with jitter): a handful of attempts, never a hot loop.
    expect(h.nonces.length - attemptsAtFailure).toBeLessThanOrEqual(4);
    h.sim.control({ kind: 'restore' });
    await until(() => h.lastState() === 'live', 3000);
  });

  it('a nonce the exchange refuses (409) is a clock problem, not an auth failure, and is retried', async () => {
    let last = Date.now();
    let repeatNext = false;
    // After the first handshake and poll, the next nonce handed out repeats the last one; later ones are fresh.
    const stuck: NonceSource = {
      next: () => {
        if (repeatNext) repeatNext = false;
        else last += 1;
        return last;
      },
    };
    const h = await start({ nonces: stuck, pollSeconds: 60 });
    await until(() => inits(h) === 1 && h.published.some(([c]) => c === 'balances'));
    repeatNext = true;
    h.sim.control({ kind: 'drop' });
    await until(() => inits(h) === 2);
    const refused = h.states.find(([, d]) => (d ?? '').includes('409'));
    expect(refused?.[0]).toBe('reconnecting');
    expect(refused?.[1]).toContain("check this machine's clock");
    expect(h.states.some(([s]) => s === 'auth_failed')).toBe(false);
  });

  it('balance poll failures are logged but never change the account status', async () => {
    const h = await start({ pollSeconds: 0.2 });
    await until(() => h.lastState() === 'live' && h.published.some(([c]) => c === 'balances'));
    const statesBefore = h.states.length;
    h.sim.control({ kind: 'http-error', status: 503, count: 2 });
    await until(() => h.logs.filter((l) => l.includes('poll failed')).length >= 1);
    expect(h.logs.some((l) => l.includes('BitoPro answered HTTP 503'))).toBe(true);
    expect(h.states.slice(statesBefore).every(([s]) => s === 'live')).toBe(true);
  });

  it('never logs a credential or a signature', async () => {
    const h = await start({ pollSeconds: 0.2 });
    await until(() => h.lastState() === 'live');
    h.sim.control({ kind: 'revoke' });
    await until(() => h.lastState() === 'auth_failed');
    h.sim.control({ kind: 'drop' });
    await sleep(300);
    const text = h.logs.join('\n');
    expect(h.logs.length).toBeGreaterThan(0);
    expect(text).not.toContain(credentials.apiSecret);
    expect(text).not.toMatch(/[0-9a-f]{96}/);
    expect(text).not.toMatch(/X-BITOPRO/i);
  });

  it('stop() ends the session promptly', async () => {
    const h = await start();
    await until(() => h.lastState() === 'live');
    const started = Date.now();
    await h.upstream.stop();
    expect(Date.now() - started).toBeLessThan(500);
    const count = h.published.length;
    await sleep(300);
    expect(h.published.length).toBe(count);
  });
});

describe('describeRefusal', () => {
  it.each([
    [401, '{"error":"Invalid Signature"}', true, 'HTTP 401 "Invalid Signature"'],
    [403, '', true, 'HTTP 403'],
    [409, '{"error":"Local Machine Time Mismatch"}', false, 'clock'],
    [429, '{"error":"too many requests"}', false, 'rate limit'],
    [502, '<html>bad gateway</html>', false, 'HTTP 502'],
  ])('HTTP %i', (status, body, auth, text) => {
    const refusal = describeRefusal(status, body);
    expect(refusal.auth).toBe(auth);
    expect(refusal.detail).toContain(text);
  });
});

describe('server module', () => {
  it('declares the defaults, secrets and demo account', () => {
    expect(server.id).toBe('bitopro');
    expect(server.defaultEndpoints).toEqual({
      rest: 'https://api.bitopro.com/v3',
      ws: 'wss://stream.bitopro.com:443/ws/v1/pub/auth/margin/account-info',
    });
    expect(server.secretFields).toEqual(['apiSecret']);
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
    const account: AccountConfig = {
      id: 'a',
      exchange: 'bitopro',
      label: 'a',
      credentials,
      endpoints: server.defaultEndpoints,
      pollSeconds: 15,
      options: {},
    };
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
