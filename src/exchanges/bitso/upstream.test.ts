import { describe, expect, it } from 'vitest';
import { serverModuleProblems } from '../servers.ts';
import { memoryNonceSource } from '../kit/signing.ts';
import {
  closeAfterTest,
  expectFatal,
  expectNothingSecret,
  pause,
  recordingDeps,
  started,
  testAccount,
  until,
  runAgainst,
  type SimRun,
} from '../kit/testing/session-harness.ts';
import { describeUpstreamScenarios, type ScenarioStart } from '../kit/testing/upstream-scenarios.ts';
import type { NonceSource, UpstreamState } from '../server-types.ts';
import { normalizeBitso } from './normalize.ts';
import { server } from './server.ts';
import { startBitsoSimulator } from './simulator.ts';
import {
  accountUrl,
  authFailureText,
  classifyResponse,
  createBitsoUpstream,
  DEFAULT_RATE_LIMIT_WAIT_MS,
  bitsoErrorOf,
  NONCE_RETRIES,
} from './upstream.ts';

const KEY = 'demo-bitso-key';
const SECRET = 'demo-bitso-secret-not-real';

async function harness(
  opts: ScenarioStart & {
    secret?: string;
    nonces?: NonceSource;
    pollSeconds?: number;
    scenario?: 'demo' | 'steady';
    /** Short request timeout and stale time, for the tests about a silent exchange. */
    impatient?: boolean;
  } = {},
): Promise<SimRun> {
  const sim = closeAfterTest(
    await startBitsoSimulator({
      seed: 3,
      scenario: opts.scenario ?? 'steady',
      timeScale: 0.1,
      account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    }),
  );
  const account = testAccount('bitso', {
    credentials: { apiKey: KEY, apiSecret: opts.secret ?? SECRET },
    endpoints: sim.endpoints,
    pollSeconds: opts.pollSeconds ?? 0.05,
  });
  const recording = recordingDeps(account, opts.nonces ?? memoryNonceSource());
  return runAgainst(
    sim,
    recording,
    createBitsoUpstream(recording.deps, {
      timeoutMs: opts.impatient ? 1_500 : 5_000,
      staleAfterMs: opts.impatient ? 300 : 4_000,
      backoff: { baseMs: 20, maxMs: 80, authRetryMs: 300, authRetryMaxMs: 600, random: () => 0.5 },
    }),
  );
}

const lastState = (h: SimRun): UpstreamState | undefined => h.lastState();
const REJECTED_0201 =
  'key, secret or nonce rejected repeatedly — check apiKey and apiSecret, that the key is active, and that no other program uses it';
const ctx = { accountId: 'bitso-test', receivedAt: 0 };

describeUpstreamScenarios({
  exchange: 'Bitso',
  transport: 'poll',
  start: harness,
  read: (channel, payload) => normalizeBitso(channel, payload, ctx),
  revoke: {
    // Polling every 50 ms would make ~20 requests in 1 s; auth retries wait 300 ms, then 600 ms.
    detail: `${REJECTED_0201} (Bitso: 0201: Invalid Nonce or Invalid Credentials)`,
    quietMs: 1_000,
    maxAttempts: 4,
  },
  secrets: [KEY, SECRET],
  secretPatterns: [/[0-9a-f]{64}/],
});

describe('polling the simulator', () => {
  it('publishes account bodies that normalize, with a fresh increasing nonce per request', async () => {
    const h = await harness();
    await until(() => h.published.length >= 4, '4 publishes');
    expect(h.states.slice(0, 2)).toEqual([
      ['connecting', undefined],
      ['live', undefined],
    ]);
    for (const p of h.published) {
      expect(p.channel).toBe('account');
      expect(typeof p.receivedAt).toBe('number');
      const outcome = normalizeBitso('account', p.payload, ctx);
      expect(outcome.kind).toBe('update');
      if (outcome.kind === 'update') expect(outcome.update.warnings).toBeUndefined();
    }
    const values = h.nonces.map((n) => n.value);
    expect(new Set(values).size).toBe(values.length);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it('silence: a hanging request turns stale, times out, and polling recovers when the exchange answers', async () => {
    const h = await harness({ impatient: true });
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'silence', on: true });
    await until(() => h.states.some(([s]) => s === 'stale'), 'stale');
    expect(h.states.find(([s]) => s === 'stale')?.[1]).toBe('no answer from Bitso for 300 ms');
    await until(() => lastState(h) === 'reconnecting', 'reconnecting after the timeout');
    expect(h.lastDetail()).toMatch(/^no answer from 127\.0\.0\.1:\d+ within .+; retrying in \d+ m?s$/);
    h.sim.control({ kind: 'silence', on: false });
    const count = h.published.length;
    await until(() => h.published.length > count && lastState(h) === 'live', 'live again');
  });

  it('a slow answer after stale puts the status back to live', async () => {
    const h = await harness({ impatient: true });
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'silence', on: true });
    await until(() => lastState(h) === 'stale', 'stale');
    const count = h.published.length;
    // Ending the silence answers the held request before the client's timeout.
    h.sim.control({ kind: 'silence', on: false });
    await until(() => h.published.length > count, 'the late answer');
    await until(() => lastState(h) === 'live', 'live again');
    const kinds = h.states.map(([s]) => s);
    expect(kinds.slice(kinds.lastIndexOf('stale'))).toEqual(['stale', 'live']);
  });

  it("a revoked key: Bitso's 0201 is first retried as a nonce hiccup, then reported once", async () => {
    const h = await harness();
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'revoke' });
    await until(() => lastState(h) === 'auth_failed', 'auth_failed');
    expect(h.states.filter(([s]) => s === 'auth_failed')).toHaveLength(1);
    // Bitso's 0201 may be only a nonce hiccup: retried a few times before it is reported.
    const retried = h.logs.filter(
      (l) => l.msg === 'poll failed' && String(l.fields.detail).startsWith('nonce rejected'),
    );
    expect(retried.map((l) => l.fields.detail)).toEqual(
      Array<string>(NONCE_RETRIES).fill('nonce rejected (Bitso: 0201: Invalid Nonce or Invalid Credentials)'),
    );
  });

  it('a wrong secret ⇒ auth_failed naming the secret', async () => {
    const h = await harness({ secret: 'not-the-secret' });
    await until(() => lastState(h) === 'auth_failed', 'auth_failed');
    expect(h.states.at(-1)?.[1]).toBe(
      'signature rejected — check the API secret (Bitso: 0215: Incorrect request signature)',
    );
    expect(h.published).toEqual([]);
  });

  it('5xx ⇒ reconnecting with backoff, fresh nonces per attempt, then live', async () => {
    const h = await harness();
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'http-error', status: 503, count: 2 });
    await until(() => lastState(h) === 'reconnecting', 'reconnecting');
    expect(h.lastDetail()).toMatch(
      /^Bitso answered HTTP 503 "internal_error: Service temporarily unavailable"; retrying in \d+ m?s$/,
    );
    await until(() => lastState(h) === 'live', 'live again');
    const values = h.nonces.map((n) => n.value);
    expect(new Set(values).size).toBe(values.length);
  });

  it('429 ⇒ waits the Retry-After before the next request', async () => {
    const h = await harness();
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'http-error', status: 429, count: 1 });
    await until(() => lastState(h) === 'reconnecting', 'reconnecting');
    expect(h.lastDetail()).toBe(
      'Bitso rate limit reached (HTTP 429 "too_many_requests: Rate limit exceeded; try again in 1 s"); retrying in 1 s',
    );
    const limitedAt = h.nonces.at(-1)!.at;
    await until(() => lastState(h) === 'live', 'live again');
    const nextAt = h.nonces.find((n) => n.at > limitedAt)!.at;
    expect(nextAt - limitedAt).toBeGreaterThanOrEqual(950);
  });

  it('bad-schema ⇒ published as JSON and rejected by normalize on margin_levels', async () => {
    const h = await harness();
    await until(() => h.published.length >= 1, 'first publish');
    h.sim.control({ kind: 'bad-schema' });
    await until(
      () =>
        h.published.some((p) => typeof p.payload === 'object' && !('margin_levels' in (p.payload as object))),
      'bad schema body',
    );
    const bad = h.published.find((p) => !('margin_levels' in (p.payload as object)))!;
    const outcome = normalizeBitso('account', bad.payload, ctx);
    expect(outcome.kind === 'error' && outcome.error.field).toBe('margin_levels');
  });

  it("a nonce Bitso keeps rejecting is retried a few times, then reported with Bitso's code and words", async () => {
    const h = await harness({ nonces: { next: () => 1 } });
    await until(() => lastState(h) === 'auth_failed', 'auth_failed');
    expect(h.published).toHaveLength(1);
    const retried = h.logs.filter(
      (l) => l.msg === 'poll failed' && String(l.fields.detail).startsWith('nonce rejected'),
    );
    expect(retried).toHaveLength(NONCE_RETRIES);
    expect(h.lastDetail()).toBe(`${REJECTED_0201} (Bitso: 0201: Invalid Nonce or Invalid Credentials)`);
  });

  it('a nonce hiccup (Bitso 0201 once) is retried with a fresh nonce and never shown as an auth failure', async () => {
    // The second request reuses the first nonce; every later one is fresh.
    const values = [1, 1];
    let next = 1;
    const h = await harness({ nonces: { next: () => values.shift() ?? (next += 1) } });
    await until(() => h.published.length >= 3, 'polling again after the hiccup');
    expect(h.states.map(([s]) => s)).not.toContain('auth_failed');
    expect(h.logs.filter((l) => l.msg === 'poll failed').map((l) => l.fields.detail)).toEqual([
      'nonce rejected (Bitso: 0201: Invalid Nonce or Invalid Credentials)',
    ]);
  });

  it('never logs or reports a credential or signature', async () => {
    const h = await harness({ secret: 'not-the-secret' });
    await until(() => lastState(h) === 'auth_failed', 'auth_failed');
    h.sim.control({ kind: 'http-error', status: 503, count: 1 });
    await until(() => h.logs.some((l) => l.msg === 'poll failed'), 'the 503');
    expectNothingSecret(h, [SECRET, 'not-the-secret', KEY], [/[0-9a-f]{64}/]);
  });

  it('a wrong REST base (HTTP 404) is an error that retrying fast will not fix', async () => {
    const h = await harness();
    await h.stop();
    const recording = recordingDeps(
      testAccount('bitso', {
        credentials: { apiKey: KEY, apiSecret: SECRET },
        endpoints: { rest: `${h.sim.url}/x` },
        pollSeconds: 0.05,
      }),
    );
    started(createBitsoUpstream(recording.deps, { backoff: { authRetryMs: 300, authRetryMaxMs: 600 } }));
    await expectFatal(
      recording,
      'Bitso answered HTTP 404 "not_found: Resource not found": check endpoints.rest',
    );
    const attempts = recording.nonces.length;
    await pause(200);
    // Slow retries: not one request per poll interval (50 ms).
    expect(recording.nonces.length - attempts).toBeLessThanOrEqual(1);
  });
});

describe('classifyResponse', () => {
  const headers = (init: Record<string, string> = {}): Headers => new Headers(init);
  const json = (body: unknown) => ({ text: JSON.stringify(body), json: body });
  const bitsoError = (code: string, message: string) => json({ errors: [{ code, message }] });
  const envelope = (code: string, message: string) => json({ success: false, error: { code, message } });

  it.each([
    [200, json({ a: 1 }), {}, { kind: 'ok' }],
    [200, { text: '<html>', json: undefined }, {}, { kind: 'ok' }],
    [
      401,
      envelope('0215', 'Incorrect request signature'),
      {},
      {
        kind: 'auth',
        detail: 'signature rejected — check the API secret (Bitso: 0215: Incorrect request signature)',
      },
    ],
    [
      401,
      envelope('0213', 'IP not allowed'),
      {},
      {
        kind: 'auth',
        detail:
          "this machine's IP address is not allowed for the key — check the key's IP allowlist (Bitso: 0213: IP not allowed)",
      },
    ],
    [
      401,
      envelope('0299', 'Something new'),
      {},
      { kind: 'auth', detail: 'credentials rejected (Bitso: 0299: Something new)' },
    ],
    [
      401,
      bitsoError('invalid_signature', 'bad'),
      {},
      { kind: 'auth', detail: 'signature rejected — check the API secret (Bitso: invalid_signature: bad)' },
    ],
    [
      401,
      { text: 'nope', json: undefined },
      {},
      { kind: 'auth', detail: 'credentials rejected (Bitso: HTTP 401)' },
    ],
    [
      403,
      bitsoError('forbidden', 'no margin permission'),
      {},
      {
        kind: 'auth',
        detail:
          'API key not allowed to read the margin account — check its permissions (Bitso: forbidden: no margin permission)',
      },
    ],
    [
      429,
      json({}),
      { 'retry-after': '7' },
      { kind: 'retry', detail: 'Bitso rate limit reached (HTTP 429)', retryAfterMs: 7_000 },
    ],
    [
      429,
      json({}),
      {},
      {
        kind: 'retry',
        detail: 'Bitso rate limit reached (HTTP 429)',
        retryAfterMs: DEFAULT_RATE_LIMIT_WAIT_MS,
      },
    ],
    [502, { text: '<html>', json: undefined }, {}, { kind: 'retry', detail: 'Bitso answered HTTP 502' }],
    [
      503,
      { text: '', json: undefined },
      { 'retry-after': '2' },
      { kind: 'retry', detail: 'Bitso answered HTTP 503', retryAfterMs: 2_000 },
    ],
    [
      302,
      { text: '', json: undefined },
      {},
      { kind: 'retry', detail: 'Bitso answered with a redirect (HTTP 302), not followed' },
    ],
    [
      404,
      bitsoError('not_found', 'Resource not found'),
      {},
      {
        kind: 'fatal',
        detail: 'Bitso answered HTTP 404 "not_found: Resource not found": check endpoints.rest',
      },
    ],
  ])('HTTP %i', (status, body, h, expected) => {
    const published: unknown[] = [];
    const result = classifyResponse({ status, headers: headers(h), ...body }, (p) => published.push(p), 0);
    expect(result).toMatchObject(expected);
    expect(published).toEqual(status === 200 ? [body.json ?? body.text] : []);
  });

  it.each([
    ['0201', envelope('0201', 'Invalid Nonce or Invalid Credentials')],
    ['0206', envelope('0206', 'Invalid nonce type')],
    ['0207', envelope('0207', 'Invalid nonce value')],
    ['invalid_nonce (the other error shape)', bitsoError('invalid_nonce', 'too low')],
  ])('%s is a retry until it has happened NONCE_RETRIES times in a row', (_code, answer) => {
    const body = { status: 401, headers: headers(), ...answer };
    expect(classifyResponse(body, () => {}, 0)).toMatchObject({ kind: 'retry', nonceRejected: true });
    expect(classifyResponse(body, () => {}, NONCE_RETRIES - 1)).toMatchObject({ kind: 'retry' });
    expect(classifyResponse(body, () => {}, NONCE_RETRIES)).toMatchObject({
      kind: 'auth',
      nonceRejected: true,
    });
  });

  it('other authentication codes are reported at once', () => {
    const body = { status: 401, headers: headers(), ...envelope('0216', 'Account restricted') };
    expect(classifyResponse(body, () => {}, 0)).toEqual({
      kind: 'auth',
      detail: 'account restricted — contact Bitso (Bitso: 0216: Account restricted)',
    });
  });
});

describe('helpers', () => {
  it("bitsoErrorOf reads Bitso's documented envelope, else the first of errors[], shortened to one line", () => {
    expect(
      bitsoErrorOf({
        success: false,
        error: { code: '0201', message: 'Invalid Nonce or Invalid Credentials' },
      }),
    ).toEqual({ code: '0201', message: 'Invalid Nonce or Invalid Credentials' });
    expect(bitsoErrorOf({ success: false, error: { code: '0208' } })).toEqual({ code: '0208', message: '' });
    expect(bitsoErrorOf({ success: true, error: { code: '0201' } })).toBeNull();
    expect(bitsoErrorOf({ errors: [{ code: 'x', message: 'a\n  b' }] })).toEqual({
      code: 'x',
      message: 'a b',
    });
    expect(bitsoErrorOf({ errors: [{ code: 'x' }] })).toEqual({ code: 'x', message: '' });
    expect(bitsoErrorOf({ error: 'x' })).toBeNull();
    expect(bitsoErrorOf('text')).toBeNull();
    expect(bitsoErrorOf({ errors: [{ code: 'c', message: 'm'.repeat(500) }] })?.message).toHaveLength(200);
  });

  it('authFailureText without an error body', () => {
    expect(authFailureText(401, null)).toBe('credentials rejected (Bitso: HTTP 401)');
    expect(authFailureText(401, { code: 'invalid_credentials', message: '' })).toBe(
      'API key rejected — check the API key and that it is still active (Bitso: invalid_credentials)',
    );
  });

  it('accountUrl joins the base and the margin path', () => {
    expect(accountUrl('https://api.bitso.com').href).toBe(
      'https://api.bitso.com/margin_trading/v1alpha/account',
    );
    expect(accountUrl('http://127.0.0.1:4000/').href).toBe(
      'http://127.0.0.1:4000/margin_trading/v1alpha/account',
    );
  });
});

describe('server module', () => {
  it('honours the ExchangeServerModule contract', () => {
    expect(serverModuleProblems('bitso', server)).toEqual([]);
    expect(server.defaultEndpoints).toEqual({ rest: 'https://api.bitso.com' });
    expect(server.secretFields).toEqual(['apiKey', 'apiSecret']);
  });

  it('credentials: apiKey and apiSecret, nothing else', () => {
    expect(server.credentials.safeParse({ apiKey: 'k', apiSecret: 's' }).success).toBe(true);
    expect(server.credentials.safeParse({ apiKey: 'k' }).success).toBe(false);
    expect(server.credentials.safeParse({ apiKey: 'k', apiSecret: 's', extra: 'x' }).success).toBe(false);
    expect(server.credentials.safeParse({ apiKey: '', apiSecret: 's' }).success).toBe(false);
  });

  it('the demo account uses obviously fake credentials and needs no thresholds', () => {
    expect(server.demoAccount).toEqual({
      id: 'bitso-demo',
      label: 'Bitso (demo)',
      credentials: { apiKey: 'demo-bitso-key', apiSecret: 'demo-bitso-secret-not-real' },
      pollSeconds: 5,
    });
  });

  it('the demo account polls its simulator through the module (signRest + createUpstream)', async () => {
    const sim = await server.startSimulator({
      seed: 9,
      scenario: 'demo',
      timeScale: 0.1,
      account: { credentials: server.demoAccount.credentials },
    });
    const published: unknown[] = [];
    const states: UpstreamState[] = [];
    const upstream = server.createUpstream({
      account: {
        id: server.demoAccount.id,
        exchange: 'bitso',
        label: server.demoAccount.label,
        credentials: server.demoAccount.credentials,
        endpoints: sim.endpoints,
        pollSeconds: 0.05,
        options: {},
      },
      publish: (_channel, payload) => published.push(payload),
      setStatus: (state) => states.push(state),
      log: { info: () => {}, warn: () => {}, error: () => {} },
      nonces: memoryNonceSource(),
    });
    try {
      upstream.start();
      await until(() => published.length >= 2, 'demo publishes');
      expect(states).toEqual(['connecting', 'live']);
      expect(normalizeBitso('account', published[0], ctx).kind).toBe('update');
    } finally {
      await upstream.stop();
      await sim.close();
    }
  });
});
