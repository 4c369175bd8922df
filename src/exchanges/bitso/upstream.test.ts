import { afterEach, describe, expect, it } from 'vitest';
import { serverModuleProblems } from '../../proxy/exchanges.ts';
import { memoryNonceSource } from '../../proxy/nonce.ts';
import { sleep } from '../../proxy/upstream-kit.ts';
import type {
  AccountConfig,
  NonceSource,
  RunningSimulator,
  Upstream,
  UpstreamState,
} from '../server-types.ts';
import { normalizeBitso } from './normalize.ts';
import { server } from './server.ts';
import { startBitsoSimulator } from './simulator.ts';
import {
  accountUrl,
  authFailureText,
  classifyResponse,
  createBitsoUpstream,
  DEFAULT_RATE_LIMIT_WAIT_MS,
  marginErrorOf,
  NONCE_RETRIES,
} from './upstream.ts';

const KEY = 'demo-bitso-key';
const SECRET = 'demo-bitso-secret-not-real';

interface Harness {
  sim: RunningSimulator;
  upstream: Upstream;
  published: { channel: string; payload: unknown; receivedAt: number | undefined }[];
  states: [UpstreamState, string | undefined][];
  logs: string[];
  /** Every nonce the upstream asked for, with when. */
  nonces: { value: number; at: number }[];
}

const running: Harness[] = [];

afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.upstream.stop();
    await h.sim.close();
  }
});

async function until(check: () => boolean, what: string, timeoutMs = 4_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function harness(
  opts: { secret?: string; nonces?: NonceSource; pollSeconds?: number; scenario?: 'demo' | 'steady' } = {},
): Promise<Harness> {
  const sim = await startBitsoSimulator({
    seed: 3,
    scenario: opts.scenario ?? 'steady',
    timeScale: 0.1,
    account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
  });
  const account: AccountConfig = {
    id: 'bitso-test',
    exchange: 'bitso',
    label: 'Bitso test',
    credentials: { apiKey: KEY, apiSecret: opts.secret ?? SECRET },
    endpoints: sim.endpoints,
    pollSeconds: opts.pollSeconds ?? 0.05,
    options: {},
  };
  const h: Harness = {
    sim,
    upstream: undefined as unknown as Upstream,
    published: [],
    states: [],
    logs: [],
    nonces: [],
  };
  const source = opts.nonces ?? memoryNonceSource();
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    h.logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  h.upstream = createBitsoUpstream(
    {
      account,
      publish: (channel, payload, receivedAt) => h.published.push({ channel, payload, receivedAt }),
      setStatus: (state, detail) => h.states.push([state, detail]),
      log: { info: log('info'), warn: log('warn'), error: log('error') },
      nonces: {
        next(key) {
          const value = source.next(key);
          h.nonces.push({ value, at: Date.now() });
          return value;
        },
      },
    },
    {
      timeoutMs: 400,
      staleAfterMs: 150,
      backoff: { baseMs: 20, maxMs: 80, authRetryMs: 300, authRetryMaxMs: 600, random: () => 0.5 },
    },
  );
  running.push(h);
  h.upstream.start();
  return h;
}

const lastState = (h: Harness): UpstreamState | undefined => h.states.at(-1)?.[0];
const ctx = { accountId: 'bitso-test', receivedAt: 0 };

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

  it('keeps polling after drop (a new connection) and stays or returns live', async () => {
    const h = await harness();
    await until(() => h.published.length >= 2, 'first publishes');
    h.sim.control({ kind: 'drop' });
    const count = h.published.length;
    await until(() => h.published.length >= count + 3, 'publishes after drop');
    expect(lastState(h)).toBe('live');
  });

  it('silence: a hanging request turns stale, times out, and polling recovers when the exchange answers', async () => {
    const h = await harness();
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'silence', on: true });
    await until(() => h.states.some(([s]) => s === 'stale'), 'stale');
    expect(h.states.find(([s]) => s === 'stale')?.[1]).toBe('no answer from Bitso for 150 ms');
    await until(() => lastState(h) === 'reconnecting', 'reconnecting after the timeout');
    expect(h.states.at(-1)?.[1]).toMatch(/^no answer from 127\.0\.0\.1:\d+ within 0 s; retrying in \d+ s$/);
    h.sim.control({ kind: 'silence', on: false });
    const count = h.published.length;
    await until(() => h.published.length > count && lastState(h) === 'live', 'live again');
  });

  it('a slow answer after stale puts the status back to live', async () => {
    const h = await harness();
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'silence', on: true });
    await until(() => lastState(h) === 'stale', 'stale');
    const count = h.published.length;
    // Ending the silence answers the held request before the client's timeout.
    h.sim.control({ kind: 'silence', on: false });
    await until(() => h.published.length > count, 'the late answer');
    await until(() => lastState(h) === 'live', 'live again');
    const kinds = h.states.map(([s]) => s);
    expect(kinds.slice(kinds.indexOf('stale'))).toEqual(['stale', 'live']);
  });

  it('revoke ⇒ auth_failed with a readable reason and slow retries; restore ⇒ live again', async () => {
    const h = await harness();
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'revoke' });
    await until(() => lastState(h) === 'auth_failed', 'auth_failed');
    expect(h.states.at(-1)?.[1]).toBe(
      'API key rejected — check the API key and that it is still active ' +
        '(Bitso: invalid_credentials: Invalid API key or the key has been revoked)',
    );
    const before = h.nonces.length;
    await sleep(1_000);
    // Polling every 50 ms would make ~20 requests; auth retries wait 240–600 ms.
    expect(h.nonces.length - before).toBeLessThanOrEqual(4);
    expect(h.states.filter(([s]) => s === 'auth_failed')).toHaveLength(1);
    h.sim.control({ kind: 'restore' });
    const count = h.published.length;
    await until(() => h.published.length > count && lastState(h) === 'live', 'live after restore');
  });

  it('a wrong secret ⇒ auth_failed naming the secret', async () => {
    const h = await harness({ secret: 'not-the-secret' });
    await until(() => lastState(h) === 'auth_failed', 'auth_failed');
    expect(h.states.at(-1)?.[1]).toBe(
      'signature rejected — check the API secret (Bitso: invalid_signature: The request signature does not match)',
    );
    expect(h.published).toEqual([]);
  });

  it('5xx ⇒ reconnecting with backoff, fresh nonces per attempt, then live', async () => {
    const h = await harness();
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'http-error', status: 503, count: 2 });
    await until(() => lastState(h) === 'reconnecting', 'reconnecting');
    expect(h.states.at(-1)?.[1]).toMatch(/^Bitso answered HTTP 503; retrying in \d+ s$/);
    await until(() => lastState(h) === 'live', 'live again');
    const values = h.nonces.map((n) => n.value);
    expect(new Set(values).size).toBe(values.length);
  });

  it('429 ⇒ waits the Retry-After before the next request', async () => {
    const h = await harness();
    await until(() => lastState(h) === 'live', 'live');
    h.sim.control({ kind: 'http-error', status: 429, count: 1 });
    await until(() => lastState(h) === 'reconnecting', 'reconnecting');
    expect(h.states.at(-1)?.[1]).toBe('rate limited by Bitso (HTTP 429); retrying in 1 s');
    const limitedAt = h.nonces.at(-1)!.at;
    await until(() => lastState(h) === 'live', 'live again', 3_000);
    const nextAt = h.nonces.find((n) => n.at > limitedAt)!.at;
    expect(nextAt - limitedAt).toBeGreaterThanOrEqual(950);
  });

  it('malformed ⇒ the raw text is published (normalize reports it) and polling goes on', async () => {
    const h = await harness();
    await until(() => h.published.length >= 1, 'first publish');
    h.sim.control({ kind: 'malformed' });
    await until(() => h.published.some((p) => typeof p.payload === 'string'), 'raw text');
    const raw = h.published.find((p) => typeof p.payload === 'string')!;
    const outcome = normalizeBitso('account', raw.payload, ctx);
    expect(outcome.kind === 'error' && [outcome.error.exchange, outcome.error.field]).toEqual([
      'bitso',
      '(message)',
    ]);
    const count = h.published.length;
    await until(() => h.published.length > count, 'publishes after malformed');
    expect(lastState(h)).toBe('live');
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

  it('a nonce Bitso rejects is retried a few times, then reported as auth_failed', async () => {
    const h = await harness({ nonces: { next: () => 1 } });
    await until(() => lastState(h) === 'auth_failed', 'auth_failed');
    expect(h.published).toHaveLength(1);
    const rejected = h.states.filter(([s, d]) => s === 'reconnecting' && d?.startsWith('nonce rejected'));
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(h.states.at(-1)?.[1]).toBe(
      'nonce rejected repeatedly — is another program using this API key? ' +
        '(Bitso: invalid_nonce: Nonce must be higher than the last one used with this key)',
    );
    expect(h.nonces.length).toBe(1 + NONCE_RETRIES + 1);
  });

  it('never logs or reports a credential or signature', async () => {
    const h = await harness({ secret: 'not-the-secret' });
    await until(() => lastState(h) === 'auth_failed', 'auth_failed');
    h.sim.control({ kind: 'http-error', status: 503, count: 1 });
    await sleep(400);
    const text = JSON.stringify([h.logs, h.states]);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('not-the-secret');
    expect(text).not.toContain(KEY);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(h.logs.length).toBeGreaterThan(0);
  });

  it('stop() ends polling', async () => {
    const h = await harness();
    await until(() => h.published.length >= 1, 'first publish');
    await h.upstream.stop();
    const count = h.nonces.length;
    await sleep(200);
    expect(h.nonces.length).toBe(count);
  });
});

describe('classifyResponse', () => {
  const headers = (init: Record<string, string> = {}): Headers => new Headers(init);
  const json = (body: unknown) => ({ text: JSON.stringify(body), json: body });
  const bitsoError = (code: string, message: string) => json({ errors: [{ code, message }] });

  it.each([
    [200, json({ a: 1 }), {}, { kind: 'ok' }],
    [200, { text: '<html>', json: undefined }, {}, { kind: 'ok' }],
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
      { kind: 'retry', detail: 'rate limited by Bitso (HTTP 429)', retryAfterMs: 7_000 },
    ],
    [
      429,
      json({}),
      {},
      { kind: 'retry', detail: 'rate limited by Bitso (HTTP 429)', retryAfterMs: DEFAULT_RATE_LIMIT_WAIT_MS },
    ],
    [502, { text: '<html>', json: undefined }, {}, { kind: 'retry', detail: 'Bitso answered HTTP 502' }],
    [302, { text: '', json: undefined }, {}, { kind: 'retry', detail: 'unexpected redirect (HTTP 302)' }],
    [
      404,
      bitsoError('not_found', 'Resource not found'),
      {},
      { kind: 'retry', detail: 'Bitso answered HTTP 404 (not_found: Resource not found)' },
    ],
  ])('HTTP %i', (status, body, h, expected) => {
    const published: unknown[] = [];
    const result = classifyResponse({ status, headers: headers(h), ...body }, (p) => published.push(p), 0);
    expect(result).toMatchObject(expected);
    expect(published).toEqual(status === 200 ? [body.json ?? body.text] : []);
  });

  it('invalid_nonce is a retry until it has happened NONCE_RETRIES times in a row', () => {
    const body = { status: 401, headers: headers(), ...bitsoError('invalid_nonce', 'too low') };
    expect(classifyResponse(body, () => {}, 0)).toMatchObject({ kind: 'retry', nonceRejected: true });
    expect(classifyResponse(body, () => {}, NONCE_RETRIES - 1)).toMatchObject({ kind: 'retry' });
    expect(classifyResponse(body, () => {}, NONCE_RETRIES)).toMatchObject({
      kind: 'auth',
      nonceRejected: true,
    });
  });
});

describe('helpers', () => {
  it('marginErrorOf reads the first error, shortened to one line', () => {
    expect(marginErrorOf({ errors: [{ code: 'x', message: 'a\n  b' }] })).toEqual({
      code: 'x',
      message: 'a b',
    });
    expect(marginErrorOf({ errors: [{ code: 'x' }] })).toEqual({ code: 'x', message: '' });
    expect(marginErrorOf({ error: 'x' })).toBeNull();
    expect(marginErrorOf('text')).toBeNull();
    expect(marginErrorOf({ errors: [{ code: 'c', message: 'm'.repeat(500) }] })?.message).toHaveLength(200);
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
    expect(server.secretFields).toEqual(['apiSecret']);
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
