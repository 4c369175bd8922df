import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { dec } from '../../domain/decimal.ts';
import {
  closeAfterTest,
  expectFatal,
  pause,
  recordingDeps,
  started,
  testAccount,
  until,
  runAgainst,
  type Recording,
  type SimRun,
} from '../kit/testing/session-harness.ts';
import { describeUpstreamScenarios, type ScenarioStart } from '../kit/testing/upstream-scenarios.ts';
import type { Endpoints, NonceSource, RunningSimulator } from '../server-types.ts';
import { normalizeB2prime } from './normalize.ts';
import { startB2primeSimulator } from './simulator.ts';
import {
  createB2primeUpstream,
  resolveStreamEndpoint,
  streamEndpoint,
  type B2primeUpstreamOptions,
} from './upstream.ts';

const TOKEN = 'demo-b2prime-token-not-real';
const ACCOUNT = '67d0456f8c7b1108e4cf5d46';
const RS = '\u001e';
/** Simulator: server ping 750 ms, client timeout 1.5 s, pushes every 100 ms. */
const SIM_SCALE = 0.05;
/** Upstream: client ping 300 ms (well inside the simulator's client timeout), live grace 40 ms. */
const UPSTREAM_SCALE = 0.02;
/** For every test not about silence: never stale or replaced on a loaded machine. */
const PATIENT: B2primeUpstreamOptions = { staleAfterMs: 20_000, deadAfterMs: 40_000 };
const BACKOFF = { baseMs: 20, maxMs: 100, authRetryMs: 300, authRetryMaxMs: 600, random: () => 0.5 };
const thresholds = { marginCall: dec('100'), liquidation: dec('50') };
const NO_NONCES: NonceSource = {
  next: () => {
    throw new Error('B2Prime needs no nonce');
  },
};

async function run(
  overrides: ScenarioStart & {
    credentials?: Record<string, string>;
    endpoints?: (sim: RunningSimulator) => Endpoints;
    accountId?: string;
    upstream?: B2primeUpstreamOptions;
  } = {},
): Promise<SimRun> {
  const sim = closeAfterTest(
    await startB2primeSimulator({
      seed: 3,
      scenario: 'demo',
      account: { credentials: { accessToken: TOKEN }, options: { accountId: ACCOUNT } },
      timeScale: SIM_SCALE,
    }),
  );
  const account = testAccount('b2prime', {
    credentials: overrides.credentials ?? { accessToken: TOKEN },
    endpoints: overrides.endpoints?.(sim) ?? sim.endpoints,
    options: { accountId: overrides.accountId ?? ACCOUNT },
  });
  const recording = recordingDeps(account, NO_NONCES);
  return runAgainst(
    sim,
    recording,
    createB2primeUpstream(recording.deps, {
      timeScale: UPSTREAM_SCALE,
      backoff: BACKOFF,
      ...PATIENT,
      ...(overrides.impatient ? { staleAfterMs: 400, deadAfterMs: 800 } : {}),
      ...overrides.upstream,
    }),
  );
}

describeUpstreamScenarios({
  exchange: 'B2Prime',
  transport: 'stream',
  start: run,
  read: (channel, payload) =>
    normalizeB2prime(channel, payload, { accountId: 'a', receivedAt: 0, thresholds }),
  revoke: {
    // Auth retries wait 300 ms, then 600 ms (scaled-down test settings): a few in 1 s at most.
    detail:
      'B2Prime refused the access token (HTTP 401): check credentials.accessToken (expired or revoked?)',
    quietMs: 1_000,
    maxAttempts: 3,
    attempts: (h) => h.logs.filter((l) => l.msg === 'upstream auth failed').length,
  },
  wrongStreamPath: {
    endpoints: (sim) => ({ rest: sim.url, ws: (sim.endpoints.ws ?? '').replace('/ws/v3/', '/ws/v9/') }),
    detail: 'B2Prime answered HTTP 404: check endpoints.ws (the stream is at /frontoffice/ws/v3/account)',
  },
  secrets: [TOKEN, 'access_token'],
});

const count = (h: Recording, channel: string): number => h.on(channel).length;

describe('b2prime upstream against the simulator', () => {
  it('subscribes both streams and publishes items that normalize', async () => {
    const h = await run();
    await until(() => count(h, 'MarginData') >= 3 && count(h, 'FullBalance') >= 3, 'items of both streams');
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
    const h = await run({ endpoints: (sim) => ({ rest: sim.url }) });
    await until(() => count(h, 'MarginData') >= 1, 'an item');
  });

  it('reconnects after a drop, with a fresh handshake and invocation ids from 0', async () => {
    const h = await run();
    await until(() => h.lastState() === 'live', 'live');
    h.sim.control({ kind: 'drop' });
    await until(() => h.states.some(([s]) => s === 'reconnecting'), 'reconnecting');
    const dropAt = h.published.length;
    await until(() => h.lastState() === 'live' && h.published.length > dropAt + 4, 'items after the drop');
    const after = h.published.slice(dropAt);
    expect(new Set(after.map((p) => (p.payload as { invocationId: string }).invocationId))).toEqual(
      new Set(['0', '1']),
    );
    expect(h.states.find(([s]) => s === 'reconnecting')?.[1]).toMatch(
      /^B2Prime closed the stream connection \(1006\)/,
    );
  });

  it('explains an expired JWT', async () => {
    const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const expired = `${part({ alg: 'HS256' })}.${part({ exp: 1_700_000_000 })}.bm90LXJlYWw`;
    const h = await run({ credentials: { accessToken: expired } });
    await until(() => h.lastState() === 'auth_failed', 'auth_failed');
    expect(h.lastDetail()).toBe(
      'B2Prime refused the access token (HTTP 401): it expired at 2023-11-14T22:13:20.000Z; issue a new access token',
    );
  });

  it('a stream refused because the account is not found is an error reconnecting will not fix', async () => {
    const h = await run({ accountId: '000000000000000000000000' });
    await expectFatal(
      h,
      'B2Prime ended the FullBalance stream: An error occurred on the server while streaming results. ' +
        "HubException: Account not found. (check the account's accountId)",
    );
    expect(h.states.some(([s]) => s === 'live')).toBe(false);
    expect(h.published).toEqual([]);
  });

  it('publishes a mis-shaped message so the parser reports its field, and carries on', async () => {
    const h = await run();
    await until(() => h.lastState() === 'live', 'live');
    h.sim.control({ kind: 'bad-schema' });
    const fieldsInError = (): string[] =>
      h.published
        .map((p) => normalizeB2prime(p.channel, p.payload, { accountId: 'a', receivedAt: 0 }))
        .flatMap((o) => (o.kind === 'error' && o.error.channel === 'MarginData' ? [o.error.field] : []));
    await until(() => fieldsInError().length >= 1, 'the bad message');
    expect(fieldsInError()).toEqual(['item.equityInRAT']);
    const before = h.published.length;
    await until(() => h.published.length > before + 4, 'items afterwards');
    expect(h.lastState()).toBe('live');
  });
});

/** A minimal SignalR endpoint: answers the handshake with `answer`, then does only what `after` says. */
async function hub(answer: string, after: 'nothing' | 'ping' | 'item'): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (ws) => {
    ws.once('message', () => {
      ws.send(answer + RS);
      if (after === 'ping') {
        const pinging = setInterval(() => ws.send(`{"type":6}${RS}`), 20);
        ws.on('close', () => clearInterval(pinging));
      }
      if (after === 'item') {
        setTimeout(() => ws.send(`{"type":2,"invocationId":"0","item":{"balance":"1"}}${RS}`), 50);
      }
    });
  });
  closeAfterTest({
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return `ws://127.0.0.1:${port}/frontoffice/ws/v3/account`;
}

function against(ws: string, options: B2primeUpstreamOptions): Recording {
  const recording = recordingDeps(
    testAccount('b2prime', {
      credentials: { accessToken: TOKEN },
      endpoints: { rest: 'http://127.0.0.1:1', ws },
      options: { accountId: ACCOUNT },
    }),
    NO_NONCES,
  );
  started(
    createB2primeUpstream(recording.deps, {
      timeScale: UPSTREAM_SCALE,
      backoff: BACKOFF,
      ...PATIENT,
      ...options,
    }),
  );
  return recording;
}

describe('b2prime upstream: when to call the connection live', () => {
  it('an answered handshake and server pings are not data: the connection is not live yet', async () => {
    const h = against(await hub('{}', 'ping'), {});
    await pause(400);
    expect(h.states).toEqual([['connecting', undefined]]);
    expect(h.published).toEqual([]);
  });

  it('the first stream item makes it live', async () => {
    const h = against(await hub('{}', 'item'), {});
    await until(() => h.lastState() === 'live', 'live on the first item');
    expect(h.published.length).toBe(1);
  });

  it('a refused SignalR handshake is an error reconnecting will not fix', async () => {
    const h = against(await hub('{"error":"The protocol \'json\' is not supported."}', 'nothing'), {});
    await expectFatal(h, "B2Prime refused the SignalR handshake: The protocol 'json' is not supported.");
  });
});

describe('b2prime stream endpoint', () => {
  it.each([
    [{ rest: 'https://tenant.example/ignored?x=1' }, 'wss://tenant.example/frontoffice/ws/v3/account'],
    [
      { rest: 'https://x.invalid', ws: 'https://tenant.example/frontoffice/ws/v4/account' },
      'wss://tenant.example/frontoffice/ws/v4/account',
    ],
    [
      { rest: 'https://x.invalid', ws: 'ws://127.0.0.1:4000/frontoffice/ws/v3/account' },
      'ws://127.0.0.1:4000/frontoffice/ws/v3/account',
    ],
    [{ rest: 'http://127.0.0.1:4000' }, 'ws://127.0.0.1:4000/frontoffice/ws/v3/account'],
  ])('%j → %s', (endpoints, url) => {
    expect(streamEndpoint(endpoints)).toBe(url);
  });

  it.each([
    [
      { rest: 'https://your-b2prime-host.invalid' },
      'B2Prime has no public host: set endpoints.rest (and endpoints.ws) to yours',
    ],
    [
      { rest: 'https://x.invalid', ws: 'ftp://tenant.example/stream' },
      'endpoints.ws must be a wss:// (or ws://) URL, got a ftp: URL',
    ],
    [{ rest: 'https://x.invalid', ws: 'not a url' }, 'endpoints.ws is not a readable URL'],
    [{ rest: 'file:///etc/hosts' }, 'endpoints.rest must be an https:// URL, got a file: URL'],
  ])('%j is a misconfiguration', (endpoints, detail) => {
    expect(resolveStreamEndpoint(endpoints)).toEqual({ ok: false, detail });
  });

  interface Misconfiguration {
    credentials?: Record<string, string>;
    endpoints?: Endpoints;
    accountId?: string;
  }
  it.each<[string, Misconfiguration, string]>([
    [
      'placeholder endpoints',
      { endpoints: { rest: 'https://your-b2prime-host.invalid', ws: 'wss://your-b2prime-host.invalid/x' } },
      'B2Prime has no public host: set endpoints.rest (and endpoints.ws) to yours',
    ],
    [
      'a stream URL of another scheme',
      { endpoints: { rest: 'https://x.invalid', ws: 'ftp://tenant.example/stream' } },
      'endpoints.ws must be a wss:// (or ws://) URL, got a ftp: URL',
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
  ])('does not connect with %s, and says so once', async (_name, overrides, detail) => {
    const h = recordingDeps(
      testAccount('b2prime', {
        credentials: overrides.credentials ?? { accessToken: TOKEN },
        endpoints: overrides.endpoints ?? { rest: 'http://127.0.0.1:1' },
        options: { accountId: overrides.accountId ?? ACCOUNT },
      }),
      NO_NONCES,
    );
    started(createB2primeUpstream(h.deps, { timeScale: UPSTREAM_SCALE }));
    await pause(100);
    expect(h.states).toEqual([['error', detail]]);
    expect(h.published).toEqual([]);
  });
});
