import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type {
  AccountConfig,
  RunningSimulator,
  SimControl,
  Upstream,
  UpstreamDeps,
  UpstreamState,
} from '../server-types.ts';
import { valr } from './index.ts';
import { server } from './server.ts';
import { startValrSimulator } from './simulator.ts';
import { createValrUpstream, exchangeMessage, type ValrUpstreamOptions } from './upstream.ts';

const KEY = 'test-valr-key';
const SECRET = 'test-valr-secret-not-real';
const SCALE = 0.01;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

interface Harness {
  sim: RunningSimulator;
  upstream: Upstream;
  statuses: { state: UpstreamState; detail?: string; at: number }[];
  published: { channel: string; payload: unknown }[];
  logs: string[];
  nonces: number[];
  control(command: SimControl): void;
}

async function harness(
  options: { pollSeconds?: number; upstream?: ValrUpstreamOptions; apiSecret?: string } = {},
): Promise<Harness> {
  const sim = await startValrSimulator({
    seed: 5,
    scenario: 'steady',
    account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    timeScale: SCALE,
  });
  cleanup.push(() => sim.close());
  const statuses: Harness['statuses'] = [];
  const published: Harness['published'] = [];
  const logs: string[] = [];
  const nonces: number[] = [];
  let last = 0;
  const account: AccountConfig = {
    id: 'valr-test',
    exchange: 'valr',
    label: 'VALR test',
    credentials: { apiKey: KEY, apiSecret: options.apiSecret ?? SECRET },
    endpoints: sim.endpoints,
    pollSeconds: options.pollSeconds ?? 0.2,
    options: { subaccountId: '' },
  };
  const record =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
    };
  const deps: UpstreamDeps = {
    account,
    publish: (channel, payload) => published.push({ channel, payload }),
    setStatus: (state, detail) => statuses.push({ state, detail, at: Date.now() }),
    log: { info: record('info'), warn: record('warn'), error: record('error') },
    nonces: {
      next: () => {
        last = Math.max(Date.now(), last + 1);
        nonces.push(last);
        return last;
      },
    },
  };
  const upstream = createValrUpstream(deps, {
    timeScale: SCALE,
    backoff: { baseMs: 20, maxMs: 100, authRetryMs: 250, authRetryMaxMs: 500 },
    ...options.upstream,
  });
  upstream.start();
  cleanup.push(() => upstream.stop());
  return { sim, upstream, statuses, published, logs, nonces, control: (c) => sim.control(c) };
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ctx = { accountId: 'valr-test', receivedAt: 0 };

function lastState(h: Harness): UpstreamState | undefined {
  return h.statuses.at(-1)?.state;
}

function marginUpdates(h: Harness): number {
  return h.published.filter(
    (p) => p.channel === 'account' && valr.normalize('account', p.payload, ctx).kind === 'update',
  ).length;
}

describe('valr upstream against the simulator', () => {
  it('goes live and publishes MARGIN_INFO and balances that normalize', async () => {
    const h = await harness();
    await waitFor(() => lastState(h) === 'live', 3000, 'live');
    expect(h.statuses[0]?.state).toBe('connecting');
    await waitFor(() => marginUpdates(h) >= 3, 3000, 'three MARGIN_INFO');
    await waitFor(() => h.published.some((p) => p.channel === 'balances'), 3000, 'balances');
    const balances = h.published.find((p) => p.channel === 'balances');
    const outcome = valr.normalize('balances', balances?.payload, ctx);
    expect(outcome.kind).toBe('update');
    if (outcome.kind === 'update') {
      expect(outcome.update.balances?.map((b) => b.currency)).toEqual(['BTC', 'USDC']);
    }
    const first = h.published.find((p) => p.channel === 'account');
    expect(first?.payload).toEqual({ type: 'AUTHENTICATED' });
    // Keep-alive answers are consumed, not published.
    expect(h.published.some((p) => JSON.stringify(p.payload).includes('PONG'))).toBe(false);
  });

  it('keeps the socket open past the simulator idle timeout by sending PING', async () => {
    const h = await harness({ pollSeconds: 60, upstream: { staleAfterMs: 1000, deadAfterMs: 2000 } });
    await waitFor(() => lastState(h) === 'live', 3000, 'live');
    // Idle timeout is 60 s scaled = 600 ms; PING every 25 s scaled = 250 ms.
    await sleep(1500);
    expect(h.statuses.map((s) => s.state)).toEqual(['connecting', 'live']);
  });

  it('reconnects after a drop, with a fresh timestamp for every attempt', async () => {
    const h = await harness({ pollSeconds: 60 });
    await waitFor(() => lastState(h) === 'live', 3000, 'live');
    const before = h.nonces.length;
    h.control({ kind: 'drop' });
    await waitFor(() => h.statuses.some((s) => s.state === 'reconnecting'), 3000, 'reconnecting');
    await waitFor(() => lastState(h) === 'live', 3000, 'live again');
    expect(h.nonces.length).toBeGreaterThan(before);
    // Strictly increasing: none is reused (the simulator would refuse a reused one with 401).
    expect(h.nonces.every((n, i) => i === 0 || n > (h.nonces[i - 1] ?? 0))).toBe(true);
    const count = marginUpdates(h);
    await waitFor(() => marginUpdates(h) > count, 3000, 'data after reconnect');
  });

  it('marks a silent connection stale, replaces it, and is live again when data flows', async () => {
    const h = await harness({ pollSeconds: 60 });
    await waitFor(() => lastState(h) === 'live', 3000, 'live');
    const beforeSilence = h.nonces.length;
    h.control({ kind: 'silence', on: true });
    await waitFor(() => h.statuses.some((s) => s.state === 'stale'), 3000, 'stale');
    await waitFor(
      () => h.statuses.some((s) => s.state === 'reconnecting' && (s.detail ?? '').includes('no data')),
      3000,
      'replaced',
    );
    // The replacement is a new handshake, signed with a new timestamp.
    await waitFor(() => h.nonces.length > beforeSilence, 3000, 'a new handshake');
    h.control({ kind: 'silence', on: false });
    await waitFor(() => lastState(h) === 'live', 3000, 'live after silence');
  });

  it('revoke ⇒ auth_failed with the exchange reason, slow retries; restore ⇒ live', async () => {
    const h = await harness({ pollSeconds: 60 });
    await waitFor(() => lastState(h) === 'live', 3000, 'live');
    h.control({ kind: 'revoke' });
    await waitFor(() => lastState(h) === 'auth_failed', 3000, 'auth_failed');
    const failed = h.statuses.at(-1);
    expect(failed?.detail).toBe(
      'VALR refused the API key: API Key or Secret is invalid (code -11252) (HTTP 401)',
    );
    const attemptsAtFailure = h.nonces.length;
    await sleep(1000);
    // Auth retries wait 250–500 ms (±20 %) here: a handful of attempts in 1 s (WS and poll), never a hot loop.
    expect(h.nonces.length - attemptsAtFailure).toBeLessThanOrEqual(8);
    expect(lastState(h)).toBe('auth_failed');
    h.control({ kind: 'restore' });
    await waitFor(() => lastState(h) === 'live', 3000, 'live after restore');
  });

  it('publishes a malformed frame as raw text, which normalizes to an error', async () => {
    const h = await harness({ pollSeconds: 60 });
    await waitFor(() => marginUpdates(h) >= 1, 3000, 'data');
    h.control({ kind: 'malformed' });
    await waitFor(() => h.published.some((p) => typeof p.payload === 'string'), 3000, 'raw frame');
    const raw = h.published.find((p) => typeof p.payload === 'string');
    expect(raw?.channel).toBe('account');
    const outcome = valr.normalize('account', raw?.payload, ctx);
    expect(outcome.kind === 'error' && outcome.error.field).toBe('(message)');
    expect(lastState(h)).toBe('live');
  });

  it('a rate-limited balances poll does not change the account status', async () => {
    const h = await harness({ pollSeconds: 0.1, upstream: { staleAfterMs: 1000, deadAfterMs: 2000 } });
    await waitFor(() => lastState(h) === 'live', 3000, 'live');
    h.control({ kind: 'http-error', status: 429, count: 1 });
    await waitFor(
      () => h.logs.some((l) => l.includes('poll failed') && l.includes('HTTP 429')),
      3000,
      'poll 429',
    );
    expect(h.statuses.map((s) => s.state)).toEqual(['connecting', 'live']);
    const log = h.logs.find((l) => l.includes('HTTP 429'));
    expect(log).toContain('Rate limit exceeded');
  });

  it('an unknown secret fails auth from the start, and nothing secret reaches logs or statuses', async () => {
    const h = await harness({ apiSecret: 'not-the-secret' });
    await waitFor(() => lastState(h) === 'auth_failed', 3000, 'auth_failed');
    await sleep(300);
    const everything = JSON.stringify([h.logs, h.statuses]);
    expect(everything).not.toContain('not-the-secret');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toMatch(/[0-9a-f]{128}/);
    expect(h.logs.some((l) => l.includes('poll auth failed'))).toBe(true);
  });

  it('stops promptly and publishes nothing afterwards', async () => {
    const h = await harness();
    await waitFor(() => lastState(h) === 'live', 3000, 'live');
    const started = Date.now();
    await h.upstream.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    const count = h.published.length;
    await sleep(200);
    expect(h.published.length).toBe(count);
  });
});

describe('valr server module', () => {
  it('declares credentials, secret fields and the demo account', () => {
    expect(server.id).toBe('valr');
    expect(server.secretFields).toEqual(['apiSecret']);
    expect(server.defaultEndpoints).toEqual({
      rest: 'https://api.valr.com',
      ws: 'wss://api.valr.com/ws/account',
    });
    expect(server.credentials.safeParse({ apiKey: 'k', apiSecret: 's' }).success).toBe(true);
    expect(server.credentials.safeParse({ apiKey: 'k' }).success).toBe(false);
    expect(server.credentials.safeParse({ apiKey: 'k', apiSecret: 's', extra: 'x' }).success).toBe(false);
    expect(server.demoAccount.credentials).toEqual({
      apiKey: 'demo-valr-key',
      apiSecret: 'demo-valr-secret-not-real',
    });
    const options = z.strictObject(server.accountOptions);
    expect(options.safeParse({}).success).toBe(true);
    expect(options.safeParse({ subaccountId: '' }).success).toBe(true);
    expect(options.safeParse({ subaccountId: '1234567890' }).success).toBe(true);
    expect(options.safeParse({ subaccountId: '12 34' }).success).toBe(false);
    expect(options.safeParse({ subaccountId: 12 }).success).toBe(false);
  });

  it('reads the exchange message of an error body', () => {
    expect(exchangeMessage({ code: -11252, message: 'API Key or Secret is invalid' }, '')).toBe(
      'API Key or Secret is invalid (code -11252)',
    );
    expect(exchangeMessage(undefined, '<html>Bad gateway</html>')).toBe('<html>Bad gateway</html>');
    expect(exchangeMessage(undefined, '')).toBe('no details');
  });
});
