import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import { sleep } from '../../proxy/upstream-kit.ts';
import type { AccountConfig, Endpoints, RunningSimulator, Upstream, UpstreamState } from '../server-types.ts';
import { normalizeB2prime } from './normalize.ts';
import { startB2primeSimulator } from './simulator.ts';
import { createB2primeUpstream, streamEndpoint } from './upstream.ts';

const TOKEN = 'demo-b2prime-token-not-real';
const ACCOUNT = '67d0456f8c7b1108e4cf5d46';
/** Client ping 300 ms, server timeout 600 ms, stale 400 ms; simulator pushes every 40 ms. */
const TIME_SCALE = 0.02;
const BACKOFF = { baseMs: 20, maxMs: 100, authRetryMs: 300, authRetryMaxMs: 600, random: () => 0.5 };
const thresholds = { marginCall: dec('1.0'), liquidation: dec('0.5') };

let sim: RunningSimulator;
let upstream: Upstream | undefined;

beforeEach(async () => {
  sim = await startB2primeSimulator({
    seed: 3,
    scenario: 'demo',
    account: { credentials: { accessToken: TOKEN }, options: { accountId: ACCOUNT } },
    timeScale: TIME_SCALE,
  });
});

afterEach(async () => {
  await upstream?.stop();
  upstream = undefined;
  await sim.close();
});

async function until(check: () => boolean, timeoutMs = 4000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await sleep(5);
  }
}

interface Published {
  channel: string;
  payload: unknown;
  receivedAt: number | undefined;
}

interface Harness {
  published: Published[];
  states: [UpstreamState, string | undefined][];
  logs: { level: string; msg: string; fields: unknown }[];
  /** Everything the upstream could have shown anyone: statuses and log lines. */
  visible(): string;
  lastState(): UpstreamState | undefined;
}

function run(
  overrides: { credentials?: Record<string, string>; endpoints?: Endpoints; accountId?: string } = {},
): Harness {
  const harness: Harness = {
    published: [],
    states: [],
    logs: [],
    visible: () => JSON.stringify([harness.states, harness.logs]),
    lastState: () => harness.states.at(-1)?.[0],
  };
  const account: AccountConfig = {
    id: 'b2prime-main',
    exchange: 'b2prime',
    label: 'B2Prime',
    credentials: overrides.credentials ?? { accessToken: TOKEN },
    endpoints: overrides.endpoints ?? sim.endpoints,
    pollSeconds: 5,
    options: { accountId: overrides.accountId ?? ACCOUNT },
  };
  const log =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      harness.logs.push({ level, msg, fields });
    };
  upstream = createB2primeUpstream(
    {
      account,
      publish: (channel, payload, receivedAt) => harness.published.push({ channel, payload, receivedAt }),
      setStatus: (state, detail) => harness.states.push([state, detail]),
      log: { info: log('info'), warn: log('warn'), error: log('error') },
      nonces: {
        next: () => {
          throw new Error('B2Prime needs no nonce');
        },
      },
    },
    { timeScale: TIME_SCALE, backoff: BACKOFF },
  );
  upstream.start();
  return harness;
}

function channelCount(h: Harness, channel: string): number {
  return h.published.filter((p) => p.channel === channel).length;
}

describe('b2prime upstream against the simulator', () => {
  it('subscribes both streams and publishes items that normalize', async () => {
    const h = run();
    await until(() => channelCount(h, 'MarginData') >= 3 && channelCount(h, 'FullBalance') >= 3);
    expect(h.states[0]).toEqual(['connecting', undefined]);
    expect(h.lastState()).toBe('live');
    for (const p of h.published) {
      expect(p.payload).toMatchObject({ type: 2, invocationId: p.channel === 'FullBalance' ? '0' : '1' });
      expect(Object.keys(p.payload as object)).toEqual(['type', 'invocationId', 'item']);
      expect(typeof p.receivedAt).toBe('number');
      const outcome = normalizeB2prime(p.channel, p.payload, { accountId: 'a', receivedAt: 0, thresholds });
      expect(outcome.kind).toBe('update');
      if (outcome.kind === 'update') expect(outcome.update.warnings).toBeUndefined();
    }
  });

  it('derives the stream URL from the REST host when endpoints.ws is not set', async () => {
    expect(streamEndpoint({ rest: 'https://tenant.example/ignored?x=1' })).toBe(
      'wss://tenant.example/frontoffice/ws/v3/account',
    );
    expect(
      streamEndpoint({ rest: 'https://x.invalid', ws: 'https://tenant.example/frontoffice/ws/v4/account' }),
    ).toBe('wss://tenant.example/frontoffice/ws/v4/account');
    const h = run({ endpoints: { rest: sim.url } });
    await until(() => channelCount(h, 'MarginData') >= 1);
  });

  it('reconnects after a drop, with a fresh handshake and invocation ids from 0', async () => {
    const h = run();
    await until(() => h.lastState() === 'live');
    sim.control({ kind: 'drop' });
    await until(() => h.states.some(([s]) => s === 'reconnecting'));
    const dropAt = h.published.length;
    await until(() => h.lastState() === 'live' && h.published.length > dropAt + 4);
    const after = h.published.slice(dropAt);
    expect(new Set(after.map((p) => (p.payload as { invocationId: string }).invocationId))).toEqual(
      new Set(['0', '1']),
    );
    const reconnecting = h.states.find(([s]) => s === 'reconnecting');
    expect(reconnecting?.[1]).toMatch(/^B2Prime closed the stream connection \(1006\)/);
  });

  it('marks a silent connection stale, replaces it, and is live again when data returns', async () => {
    const h = run();
    await until(() => h.lastState() === 'live');
    sim.control({ kind: 'silence', on: true });
    await until(() => h.states.some(([s]) => s === 'stale'));
    await until(() => h.states.some(([s, d]) => s === 'reconnecting' && d?.includes('no data for') === true));
    sim.control({ kind: 'silence', on: false });
    const count = h.published.length;
    await until(() => h.lastState() === 'live' && h.published.length > count);
    const order = h.states.map(([s]) => s);
    expect(order.indexOf('stale')).toBeLessThan(order.lastIndexOf('live'));
  });

  it('revoke ⇒ auth_failed with a readable reason, slow retries; restore ⇒ live', async () => {
    const h = run();
    await until(() => h.lastState() === 'live');
    sim.control({ kind: 'revoke' });
    await until(() => h.lastState() === 'auth_failed');
    expect(h.states.at(-1)?.[1]).toBe(
      'B2Prime refused the access token (HTTP 401): check credentials.accessToken (expired or revoked?)',
    );
    const failuresAt = (): number => h.logs.filter((l) => l.msg === 'upstream auth failed').length;
    const first = failuresAt();
    await sleep(1000);
    // Auth retries wait 300 ms, then 600 ms (scaled-down test settings): never a hot loop.
    expect(failuresAt() - first).toBeLessThanOrEqual(3);
    sim.control({ kind: 'restore' });
    const count = h.published.length;
    await until(() => h.lastState() === 'live' && h.published.length > count);
  });

  it('explains an expired JWT', async () => {
    const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const expired = `${part({ alg: 'HS256' })}.${part({ exp: 1_700_000_000 })}.bm90LXJlYWw`;
    const h = run({ credentials: { accessToken: expired } });
    await until(() => h.lastState() === 'auth_failed');
    expect(h.states.at(-1)?.[1]).toBe(
      'B2Prime refused the access token (HTTP 401): it expired at 2023-11-14T22:13:20.000Z; issue a new access token',
    );
  });

  it('reports a stream refused for another account, backing off without going live', async () => {
    const h = run({ accountId: '000000000000000000000000' });
    await until(() => h.logs.filter((l) => l.msg === 'upstream session ended').length >= 3);
    expect(h.states.some(([s]) => s === 'live')).toBe(false);
    expect(h.published).toEqual([]);
    expect(h.states.find(([s]) => s === 'reconnecting')?.[1]).toMatch(
      /^B2Prime ended the FullBalance stream: An error occurred on the server while streaming results\. HubException: Account not found\./,
    );
  });

  it('reports a wrong stream path', async () => {
    const ws = new URL(sim.endpoints.ws ?? '');
    ws.pathname = '/frontoffice/ws/v9/account';
    const h = run({ endpoints: { rest: sim.url, ws: ws.toString() } });
    await until(() => h.states.some(([s]) => s === 'reconnecting'));
    expect(h.states.find(([s]) => s === 'reconnecting')?.[1]).toMatch(
      /^B2Prime stream not found \(HTTP 404\): check endpoints\.ws/,
    );
  });

  it('publishes malformed and mis-shaped messages so the parser reports them, and carries on', async () => {
    const h = run();
    await until(() => h.lastState() === 'live');
    sim.control({ kind: 'malformed' });
    sim.control({ kind: 'bad-schema' });
    const fieldsInError = (): string[] =>
      h.published
        .map((p) => normalizeB2prime(p.channel, p.payload, { accountId: 'a', receivedAt: 0 }))
        .flatMap((o) => (o.kind === 'error' && o.error.channel === 'MarginData' ? [o.error.field] : []));
    await until(() => fieldsInError().length >= 2);
    expect(fieldsInError()).toEqual(['(message)', 'item.equityInRAT']);
    expect(h.published.find((p) => typeof p.payload === 'string')?.channel).toBe('MarginData');
    const count = h.published.length;
    await until(() => h.published.length > count + 4);
    expect(h.lastState()).toBe('live');
  });

  it('never shows the token in a status or a log line', async () => {
    const h = run();
    await until(() => h.lastState() === 'live');
    sim.control({ kind: 'drop' });
    await until(() => h.states.filter(([s]) => s === 'live').length >= 2);
    sim.control({ kind: 'revoke' });
    await until(() => h.lastState() === 'auth_failed');
    const seen = h.visible();
    expect(seen).not.toContain(TOKEN);
    expect(seen).not.toContain('access_token');
    expect(h.logs.length).toBeGreaterThan(0);
  });

  it.each([
    [
      'placeholder endpoints',
      { endpoints: { rest: 'https://your-b2prime-host.invalid', ws: 'wss://your-b2prime-host.invalid/x' } },
      'B2Prime has no public host: set endpoints.rest (and endpoints.ws) to yours',
    ],
    [
      'a malformed account id',
      { accountId: 'abc' },
      'accountId must be the 24-hex-digit id from GET /frontoffice/api/v3/accounts',
    ],
    [
      'an empty token',
      { credentials: { accessToken: '' } },
      'credentials.accessToken: the access token is empty',
    ],
  ])('does not connect with %s', async (_name, overrides, detail) => {
    const h = run(overrides);
    await sleep(100);
    expect(h.states).toEqual([['error', detail]]);
    expect(h.published).toEqual([]);
  });
});
