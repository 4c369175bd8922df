import { describe, expect, it } from 'vitest';
import { WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import { frameText } from '../kit/frames.ts';
import {
  closeAfterTest,
  expectFatalPoll,
  expectNothingSecret,
  httpAnswer,
  pause,
  recordingDeps,
  testAccount,
  until,
  runAgainst,
  started,
  type Recording,
  type SimRun,
} from '../kit/testing/session-harness.ts';
import { describeUpstreamScenarios, type ScenarioStart } from '../kit/testing/upstream-scenarios.ts';
import type { Endpoints, NonceSource, RunningSimulator } from '../server-types.ts';
import { valr } from './index.ts';
import { server } from './server.ts';
import { startValrSimulator } from './simulator.ts';
import {
  createValrUpstream,
  describeRefusal,
  exchangeMessage,
  UNCONFIRMED_AUTH_TRIES,
  type ValrUpstreamOptions,
} from './upstream.ts';

const KEY = 'test-valr-key';
const SECRET = 'test-valr-secret-not-real';
/** MARGIN_INFO every 250 ms, idle timeout 3 s. */
const SIM_SCALE = 0.05;
/** For every test not about silence: no stale or replaced connection on a loaded machine. */
const PATIENT: ValrUpstreamOptions = {
  staleAfterMs: 20_000,
  deadAfterMs: 40_000,
  marginInfoCadenceMs: 10_000,
};
const ctx = { accountId: 'valr-test', receivedAt: 0 };

/** A timestamp source like the proxy's: ms epoch, strictly increasing. */
function clockNonces(): NonceSource {
  let last = 0;
  return {
    next: () => {
      last = Math.max(Date.now(), last + 1);
      return last;
    },
  };
}

async function start(
  options: ScenarioStart & {
    pollSeconds?: number;
    upstream?: ValrUpstreamOptions;
    apiSecret?: string;
    simScale?: number;
    nonces?: NonceSource;
    endpoints?: (sim: RunningSimulator) => Endpoints;
    beforeStart?: (sim: RunningSimulator) => void;
  } = {},
): Promise<SimRun> {
  const sim = closeAfterTest(
    await startValrSimulator({
      seed: 5,
      scenario: 'steady',
      account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
      timeScale: options.simScale ?? SIM_SCALE,
    }),
  );
  options.beforeStart?.(sim);
  const account = testAccount('valr', {
    credentials: { apiKey: KEY, apiSecret: options.apiSecret ?? SECRET },
    endpoints: options.endpoints?.(sim) ?? sim.endpoints,
    pollSeconds: options.pollSeconds ?? 60,
    options: { subaccountId: '' },
  });
  const recording = recordingDeps(account, options.nonces ?? clockNonces());
  return runAgainst(
    sim,
    recording,
    createValrUpstream(recording.deps, {
      timeScale: SIM_SCALE,
      backoff: { baseMs: 20, maxMs: 100, authRetryMs: 250, authRetryMaxMs: 500 },
      ...PATIENT,
      ...(options.impatient ? { staleAfterMs: 750, deadAfterMs: 1_500 } : {}),
      ...options.upstream,
    }),
  );
}

describeUpstreamScenarios({
  exchange: 'VALR',
  transport: 'stream',
  start,
  read: (channel, payload) => valr.normalize(channel, payload, ctx),
  revoke: {
    // Auth retries wait 250–500 ms (±20 %) here: a few attempts in 1 s at most.
    detail:
      'VALR refused the credentials (HTTP 401 "API Key or Secret is invalid (code -11252)"): check apiKey and ' +
      'apiSecret, and that the key is active and may read the account',
    quietMs: 1_000,
    maxAttempts: 5,
  },
  wrongStreamPath: {
    endpoints: (sim) => ({
      ...sim.endpoints,
      ws: (sim.endpoints.ws ?? '').replace('/ws/account', '/ws/trade'),
    }),
    detail: 'VALR answered HTTP 404 "Not Found (code -404)": check endpoints.ws',
  },
  secrets: [KEY, SECRET],
  secretPatterns: [/[0-9a-f]{128}/],
});

function marginUpdates(h: SimRun): number {
  return h.on('account').filter((p) => valr.normalize('account', p, ctx).kind === 'update').length;
}

describe('valr upstream against the simulator', () => {
  it('goes live and publishes MARGIN_INFO and balances that normalize', async () => {
    const h = await start({ pollSeconds: 0.2 });
    await until(() => h.lastState() === 'live', 'live');
    expect(h.states[0]?.[0]).toBe('connecting');
    await until(() => marginUpdates(h) >= 3, 'three MARGIN_INFO');
    await until(() => h.on('balances').length >= 1, 'balances');
    const outcome = valr.normalize('balances', h.on('balances')[0], ctx);
    expect(outcome.kind === 'update' ? outcome.update.balances?.map((b) => b.currency) : outcome).toEqual([
      'BTC',
      'USDC',
    ]);
    // The authentication confirmation and keep-alive answers are consumed, not published.
    expect((h.on('account')[0] as { type?: unknown }).type).toBe('MARGIN_INFO');
    expect(h.published.some((p) => /PONG|AUTHENTICATED/.test(JSON.stringify(p.payload)))).toBe(false);
    // Every timestamp of the key is fresh.
    expect(new Set(h.nonces.map((n) => n.key))).toEqual(new Set([`valr:${KEY}`]));
  });

  it('is not live before MARGIN_INFO arrives: a silent exchange never looks live, however often it reconnects', async () => {
    const h = await start({
      upstream: { handshakeTimeoutMs: 200 },
      beforeStart: (sim) => sim.control({ kind: 'silence', on: true }),
    });
    await until(() => h.logs.filter((l) => l.msg === 'upstream session ended').length >= 2, 'two attempts');
    expect(h.states.some(([s]) => s === 'live' || s === 'auth_failed')).toBe(false);
    expect(h.lastDetail()).toMatch(/^VALR did not confirm the authentication in time/);
    h.sim.control({ kind: 'silence', on: false });
    await until(() => h.lastState() === 'live', 'live once data flows');
    expect(marginUpdates(h)).toBeGreaterThan(0);
  });

  it('keeps the socket open past the simulator idle timeout by sending PING', async () => {
    // Idle timeout 60 s × 0.01 = 600 ms; PING every 150 ms.
    const h = await start({ simScale: 0.01, upstream: { pingMs: 150 } });
    await until(() => h.lastState() === 'live', 'live');
    await pause(1_500);
    expect(h.states.map(([s]) => s)).toEqual(['connecting', 'live']);
  });

  it('a refused timestamp is a clock problem retried with the normal backoff, not a rejected key', async () => {
    const stale: NonceSource = { next: () => Date.now() - 10 * 60_000 };
    const h = await start({ nonces: stale });
    await until(() => h.logs.filter((l) => l.msg === 'upstream session ended').length >= 2, 'two retries');
    expect(h.states.find(([s]) => s === 'reconnecting')?.[1]).toMatch(
      /^VALR refused the request time \(HTTP 401 "Request timestamp is outside the accepted window \(code -401\)"\): a clock\/nonce problem — check this machine's clock; retrying in \d+ m?s$/,
    );
    expect(h.states.some(([s]) => s === 'auth_failed')).toBe(false);
  });

  it('a 404 from the balances path is logged as a failure reconnecting will not fix', async () => {
    const h = await start({
      pollSeconds: 0.2,
      endpoints: (sim) => ({ ...sim.endpoints, rest: `${sim.url}/x` }),
    });
    await expectFatalPoll(h, 'VALR answered HTTP 404 "Not Found (code -404)": check endpoints.rest');
  });

  it('polls the margin account status with the balances: inLiquidation reads as being liquidated by VALR', async () => {
    const h = await start({ pollSeconds: 0.1 });
    await until(
      () => h.on('account-status').length >= 1 && h.on('balances').length >= 1,
      'status and balances',
    );
    const venueOf = (payload: unknown) => {
      const outcome = valr.normalize('account-status', payload, ctx);
      return outcome.kind === 'update' ? outcome.update.venueStatus : outcome;
    };
    expect(venueOf(h.on('account-status')[0])).toBeNull();
    h.sim.control({ kind: 'liquidating', on: true });
    await until(
      () => h.on('account-status').some((p) => venueOf(p) !== null),
      'a status poll in liquidation',
    );
    expect(venueOf(h.on('account-status').at(-1))).toEqual({
      kind: 'liquidating',
      text: 'being liquidated by VALR',
    });
    expect(h.states.map(([s]) => s)).toEqual(['connecting', 'live']);
  });

  it('a refused account-status request does not hold back the balances of the same poll', async () => {
    // The first REST request of the first poll (the account status) fails; its balances still arrive.
    const h = await start({
      pollSeconds: 60,
      beforeStart: (sim) => sim.control({ kind: 'http-error', status: 500, count: 1 }),
    });
    await until(() => h.on('balances').length >= 1, 'the balances of the first poll');
    expect(h.published.filter((p) => p.channel !== 'account')[0]?.channel).toBe('balances');
    await until(
      () => h.logText().some((l) => l.includes('poll failed') && l.includes('HTTP 500')),
      'the refused status logged',
    );
  });

  it('a rate-limited balances poll does not change the account status', async () => {
    const h = await start({ pollSeconds: 0.1 });
    await until(() => h.lastState() === 'live' && h.on('balances').length >= 1, 'live with balances');
    h.sim.control({ kind: 'http-error', status: 429, count: 1 });
    await until(
      () => h.logText().some((l) => l.includes('poll failed') && l.includes('HTTP 429')),
      'a rate-limited poll',
    );
    expect(h.states.map(([s]) => s)).toEqual(['connecting', 'live']);
    expect(h.logText().find((l) => l.includes('HTTP 429'))).toContain('Rate limit exceeded');
  });

  it('an unknown secret fails auth from the start, and no credential reaches logs or statuses', async () => {
    const h = await start({ apiSecret: 'not-the-secret', pollSeconds: 0.2 });
    await until(() => h.lastState() === 'auth_failed', 'auth_failed');
    await until(() => h.logs.some((l) => l.msg === 'poll auth failed'), 'a refused poll');
    expectNothingSecret(h, ['not-the-secret', SECRET, KEY], [/[0-9a-f]{128}/]);
  });
});

describe('describeRefusal', () => {
  const answer = (status: number, body: unknown) => httpAnswer(status, body);
  it.each([
    [401, { code: -11252, message: 'API Key or Secret is invalid' }, 'auth', 'VALR refused the credentials'],
    [
      401,
      { code: -401, message: 'Request timestamp has already been used' },
      'retry',
      'a clock/nonce problem',
    ],
    [403, { code: -403, message: 'Sub-account not found' }, 'fatal', "check the account's subaccountId"],
    [404, { code: -404, message: 'Not Found' }, 'fatal', 'check endpoints.rest'],
    [429, { code: -429, message: 'Rate limit exceeded' }, 'retry', 'VALR rate limit reached (HTTP 429'],
    [502, '<html>Bad gateway</html>', 'retry', 'VALR answered HTTP 502 "<html>Bad gateway</html>"'],
  ])('HTTP %i %j', (status, body, kind, text) => {
    const refusal = describeRefusal(answer(status, body), 'endpoints.rest');
    expect(refusal.kind).toBe(kind);
    expect(refusal.detail).toContain(text);
  });

  it('waits for the next minute after a 429 without Retry-After', () => {
    const refusal = describeRefusal(
      answer(429, { code: -429, message: 'Rate limit exceeded' }),
      'endpoints.rest',
    );
    expect(refusal.kind === 'retry' && refusal.retryAfterMs).toBeGreaterThan(0);
    expect(refusal.kind === 'retry' && refusal.retryAfterMs).toBeLessThanOrEqual(60_000);
  });
});

describe('valr server module', () => {
  it('declares credentials, secret fields and the demo account', () => {
    expect(server.id).toBe('valr');
    expect(server.secretFields).toEqual(['apiKey', 'apiSecret']);
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

/** How the scripted account socket below behaves after the upgrade. */
interface ScriptedValr {
  /** Send AUTHENTICATED this long after the upgrade; null: never. */
  authenticateAfterMs: number | null;
  /** Close right after the upgrade, without confirming the authentication. */
  closeAtOnce?: boolean;
  /** Answer this many SUBSCRIBEs per connection with one MARGIN_INFO each (default: every one). */
  answeredSubscribes?: number;
}

/** A stand-in for VALR's account socket that records what each connection was sent. */
async function scriptedValr(script: ScriptedValr): Promise<{ url: string; connections: string[][] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const connections: string[][] = [];
  server.on('connection', (ws) => {
    const received: string[] = [];
    connections.push(received);
    if (script.closeAtOnce) {
      ws.close(1000);
      return;
    }
    let answered = 0;
    const timers: NodeJS.Timeout[] = [];
    if (script.authenticateAfterMs !== null) {
      timers.push(
        setTimeout(() => {
          received.push('(AUTHENTICATED sent)');
          ws.send('{"type":"AUTHENTICATED"}');
        }, script.authenticateAfterMs),
      );
    }
    ws.on('message', (data: RawData) => {
      const text = frameText(data);
      const type = (JSON.parse(text) as { type: string }).type;
      received.push(type);
      if (type === 'PING') ws.send('{"type":"PONG"}');
      if (type === 'SUBSCRIBE' && answered < (script.answeredSubscribes ?? Infinity)) {
        answered += 1;
        ws.send(JSON.stringify({ type: 'MARGIN_INFO', data: {} }));
      }
    });
    ws.on('close', () => timers.forEach(clearTimeout));
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
  return { url: `ws://127.0.0.1:${port}/ws/account`, connections };
}

function againstScripted(url: string, options: ValrUpstreamOptions): Recording {
  const recording = recordingDeps(
    testAccount('valr', {
      credentials: { apiKey: KEY, apiSecret: SECRET },
      endpoints: { rest: 'http://127.0.0.1:1', ws: url },
      pollSeconds: 3_600,
      options: { subaccountId: '' },
    }),
    clockNonces(),
  );
  started(
    createValrUpstream(recording.deps, {
      ...PATIENT,
      backoff: { baseMs: 10, maxMs: 20, authRetryMs: 60_000, authRetryMaxMs: 60_000 },
      pingMs: 20,
      ...options,
    }),
  );
  return recording;
}

describe('valr account socket: AUTHENTICATED, then SUBSCRIBE', () => {
  it('subscribes only after VALR confirms the authentication', async () => {
    const valrSocket = await scriptedValr({ authenticateAfterMs: 150 });
    const h = againstScripted(valrSocket.url, {});
    await until(() => h.lastState() === 'live', 'live');
    const first = valrSocket.connections[0] ?? [];
    expect(first.indexOf('SUBSCRIBE')).toBeGreaterThan(first.indexOf('(AUTHENTICATED sent)'));
    expect(first.filter((m) => m === 'PING').length).toBeGreaterThan(0);
  });

  it('a socket that opens but closes without AUTHENTICATED is an authentication problem after a few tries', async () => {
    const valrSocket = await scriptedValr({ authenticateAfterMs: null, closeAtOnce: true });
    const h = againstScripted(valrSocket.url, {});
    await until(() => h.lastState() === 'auth_failed', 'auth_failed');
    expect(valrSocket.connections.length).toBe(UNCONFIRMED_AUTH_TRIES);
    expect(h.states.filter(([s]) => s === 'reconnecting')[0]?.[1]).toMatch(
      /^VALR closed the connection \(1000\) before confirming the authentication; retrying in/,
    );
    expect(h.lastDetail()).toBe(
      `VALR closed the connection (1000) before confirming the authentication (${UNCONFIRMED_AUTH_TRIES} ` +
        'connections in a row): check apiKey and apiSecret, and that the key is active and may read the account',
    );
    // Slow auth retries from then on, never a silent reconnect loop.
    await pause(300);
    expect(valrSocket.connections.length).toBe(UNCONFIRMED_AUTH_TRIES);
  });

  it('MARGIN_INFO stopping while PONGs continue: subscribes again first, then replaces the socket', async () => {
    const valrSocket = await scriptedValr({ authenticateAfterMs: 0, answeredSubscribes: 1 });
    const h = againstScripted(valrSocket.url, { marginInfoCadenceMs: 60 });
    await until(() => valrSocket.connections.length >= 2, 'a second connection');
    const first = valrSocket.connections[0] ?? [];
    expect(first.filter((m) => m === 'SUBSCRIBE').length).toBe(2);
    expect(first.filter((m) => m === 'PING').length).toBeGreaterThan(3);
    const kinds = h.states.map(([s]) => s);
    expect(kinds.slice(0, 3)).toEqual(['connecting', 'live', 'stale']);
    expect(h.states.find(([s]) => s === 'reconnecting')?.[1]).toMatch(
      /^no MARGIN_INFO for \d+ m?s, also after subscribing again; connection replaced/,
    );
  });
});
