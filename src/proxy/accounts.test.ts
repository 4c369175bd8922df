import { afterEach, describe, expect, it, vi } from 'vitest';
import { dec } from '../domain/decimal.ts';
import type { AccountConfig, ExchangeServerModule, UpstreamDeps } from '../exchanges/server-types.ts';
import type { ExchangeModule, ParseOutcome } from '../exchanges/types.ts';
import { AccountManager, cadenceMs, DEFAULT_START_PACE, type AccountMessage } from './accounts.ts';
import { catalogOf } from './exchanges.ts';
import { StreamHub, type HubSocket } from './hub.ts';
import { createLogger, Redactor } from './log.ts';
import { memoryNonceSource } from '../exchanges/kit/signing.ts';
import { fakeBrowser, fakeServer, FAKE_ID } from './testing/fake-exchange.ts';

function account(id: string, extra: Partial<AccountConfig> = {}): AccountConfig {
  return {
    id,
    exchange: FAKE_ID,
    label: `Label ${id}`,
    credentials: { apiKey: 'k', apiSecret: 'very-secret' },
    endpoints: { rest: 'http://127.0.0.1:1' },
    pollSeconds: 5,
    options: {},
    ...extra,
  };
}

function setup(
  createUpstream: ExchangeServerModule['createUpstream'],
  normalize: ExchangeModule['normalize'] = (channel, payload, ctx) =>
    fakeBrowser.normalize(channel, payload, ctx),
) {
  const lines: string[] = [];
  const log = createLogger({
    redactor: new Redactor(['very-secret']),
    write: (l) => lines.push(l),
    pretty: false,
  });
  const hub = new StreamHub({ heartbeatMs: 0, now: () => 100 });
  const server: ExchangeServerModule = { ...fakeServer, createUpstream };
  const manager = new AccountManager({
    accounts: [
      account('a', { thresholds: { marginCall: dec('1.50'), liquidation: dec('1.1') } }),
      account('b'),
    ],
    catalog: catalogOf([{ id: FAKE_ID, browser: { ...fakeBrowser, normalize }, server }]),
    hub,
    log,
    nonces: memoryNonceSource(),
    now: () => 42,
  });
  return { manager, hub, lines };
}

function socket(): HubSocket & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    readyState: 1,
    bufferedAmount: 0,
    send: (d) => sent.push(d),
    close: () => {},
    terminate: () => {},
    ping: () => {},
  };
}

describe('AccountManager', () => {
  it('routes publish to the hub and hooks, and setStatus to status frames', async () => {
    const deps = new Map<string, UpstreamDeps>();
    let stops = 0;
    const { manager, hub } = setup((d) => {
      deps.set(d.account.id, d);
      return { start: () => {}, stop: async () => void (stops += 1) };
    }, normalizeForTest);
    const seen: AccountMessage[] = [];
    const unsubscribe = manager.onMessage((m) => seen.push(m));
    manager.onMessage(() => {
      throw new Error('a broken subscriber does not stop others');
    });
    manager.start();
    const client = socket();
    hub.attach(client);
    deps.get('a')?.setStatus('live');
    deps.get('a')?.publish('risk', { level: '2' });
    deps.get('b')?.publish('balances', { cash: '7' }, 7);
    unsubscribe();
    deps.get('b')?.publish('balances', { cash: '8' }, 8);

    expect(seen.map((m) => [m.account.id, m.channel, m.payload, m.receivedAt])).toEqual([
      ['a', 'risk', { level: '2' }, 42],
      ['b', 'balances', { cash: '7' }, 7],
    ]);
    expect(client.sent.map((s) => JSON.parse(s) as unknown)).toEqual([
      { type: 'ping', at: 100 },
      { type: 'status', accountId: 'a', state: 'connecting', at: 100 },
      { type: 'status', accountId: 'b', state: 'connecting', at: 100 },
      { type: 'status', accountId: 'a', state: 'live', at: 100 },
      ...seen.map((m) => m.frame),
      {
        type: 'snapshot',
        accountId: 'b',
        channel: 'balances',
        receivedAt: 8,
        snapshot: expect.objectContaining({
          balances: [{ currency: 'USD', total: '8', decimals: 2 }],
        }) as unknown,
        lastGood: { channel: 'balances', at: 7, staleAfterMs: 180_000 },
        levelAt: null,
      },
    ]);
    expect(seen.map((m) => m.frame?.type)).toEqual(['snapshot', 'snapshot']);

    await manager.stop();
    expect(stops).toBe(2);
    deps.get('a')?.publish('account', 'after stop');
    deps.get('a')?.setStatus('error', 'after stop');
    expect(client.sent).toHaveLength(7);
  });

  it('lists accounts without credentials, thresholds as strings, with status', () => {
    let setStatus: UpstreamDeps['setStatus'] = () => {};
    const { manager } = setup((d) => {
      if (d.account.id === 'b') setStatus = (state, detail) => d.setStatus(state, detail);
      return { start: () => {}, stop: async () => {} };
    });
    manager.start();
    setStatus('auth_failed', 'key very-secret rejected');
    const list = manager.summaries();
    expect(list).toEqual([
      {
        id: 'a',
        exchange: FAKE_ID,
        exchangeName: 'Fake',
        unit: { name: 'Level', kind: 'ratio' },
        label: 'Label a',
        thresholds: { marginCall: '1.5', liquidation: '1.1' },
        status: { state: 'connecting', at: 100 },
        pollSeconds: 5,
      },
      {
        id: 'b',
        exchange: FAKE_ID,
        exchangeName: 'Fake',
        unit: { name: 'Level', kind: 'ratio' },
        label: 'Label b',
        status: { state: 'auth_failed', detail: 'key *** rejected', at: 100 },
        pollSeconds: 5,
      },
    ]);
    expect(JSON.stringify(list)).not.toContain('very-secret');
  });

  it('marks an account error when its upstream cannot be created, and keeps the others', () => {
    const started: string[] = [];
    const { manager, lines } = setup((d) => {
      if (d.account.id === 'a') throw new Error('bad option very-secret');
      return { start: () => started.push(d.account.id), stop: async () => {} };
    });
    manager.start();
    expect(started).toEqual(['b']);
    expect(manager.summaries()[0]?.status).toEqual({
      state: 'error',
      detail: 'could not start: bad option ***',
      at: 100,
    });
    expect(lines.join('\n')).not.toContain('very-secret');
  });
});

/**
 * A parser for the tests: `{level}` on "risk" is a level update, `{cash}` on "balances" an update without a
 * level, "ping" is ignored, the text "boom" makes it throw, anything else is rejected.
 */
function normalizeForTest(channel: string, payload: unknown, ctx: { accountId: string; receivedAt: number }) {
  if (payload === 'boom') throw new Error('parser bug');
  if (payload === 'ping') return { kind: 'ignored', reason: 'keep-alive' } satisfies ParseOutcome;
  const body = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const base = { accountId: ctx.accountId, exchange: FAKE_ID, channel, time: ctx.receivedAt };
  if (channel === 'risk' && typeof body.level === 'string') {
    const level = { kind: 'value' as const, value: dec(body.level), text: body.level };
    const risk = { level, unit: fakeBrowser.unit, bands: [] };
    return { kind: 'update', update: { ...base, risk } } satisfies ParseOutcome;
  }
  if (channel === 'balances' && typeof body.cash === 'string') {
    const balances = [{ currency: 'USD', total: dec(body.cash), decimals: 2 }];
    return { kind: 'update', update: { ...base, balances } } satisfies ParseOutcome;
  }
  return {
    kind: 'error',
    error: { exchange: FAKE_ID, channel, field: 'level', message: 'missing' },
  } satisfies ParseOutcome;
}

describe('AccountManager reads each message once', () => {
  it('hands hooks the outcome, the folded snapshot and whether a level came; streams the reading, not the message', () => {
    let publish: UpstreamDeps['publish'] = () => {};
    const { manager, hub, lines } = setup((d) => {
      if (d.account.id === 'a') publish = (channel, payload) => d.publish(channel, payload);
      return { start: () => {}, stop: async () => {} };
    }, normalizeForTest);
    const seen: AccountMessage[] = [];
    manager.onMessage((m) => seen.push(m));
    manager.start();
    publish('risk', { level: '1.45' });
    publish('balances', { cash: '12.50' });
    publish('risk', { nope: 1 });
    publish('risk', 'ping');
    publish('balances', 'boom');

    expect(
      seen.map((m) => [
        m.outcome.kind,
        m.carriesLevel,
        m.snapshot?.level?.text,
        m.snapshot?.balances?.map((b) => b.total?.toFixed(2)),
      ]),
    ).toEqual([
      ['update', true, '1.45', undefined],
      ['update', false, '1.45', ['12.50']],
      ['error', false, '1.45', ['12.50']],
      ['ignored', false, '1.45', ['12.50']],
      ['error', false, '1.45', ['12.50']],
    ]);
    expect(seen[4]?.outcome).toMatchObject({ kind: 'error', error: { message: 'unreadable: parser bug' } });
    expect(lines.join('\n')).toContain('reading a message failed');

    // Every message but the keep-alive gave a snapshot frame: the reading, with the last good figures kept
    // through a rejection, which is reported with the field and marked recovered once its channel is good again.
    expect(seen.map((m) => m.frame?.type ?? null)).toEqual([
      'snapshot',
      'snapshot',
      'snapshot',
      null,
      'snapshot',
    ]);
    const rejected = seen[2]?.frame;
    expect(rejected).toMatchObject({
      type: 'snapshot',
      accountId: 'a',
      channel: 'risk',
      receivedAt: 42,
      snapshot: { level: { kind: 'value', value: '1.45', text: '1.45' }, balances: [{ total: '12.5' }] },
      // A channel the module does not list: its cadence is unknown, 60 s is assumed.
      lastGood: { channel: 'risk', at: 42, staleAfterMs: 3 * 60_000 },
      levelAt: 42,
      problem: { channel: 'risk', field: 'level', message: 'missing', at: 42, recoveredAt: null },
    });
    expect(JSON.stringify(rejected)).not.toContain('nope');

    // A tab that connects now gets the account's latest reading at once (the rejection included), never a message.
    const late = socket();
    hub.attach(late);
    const replayed = late.sent
      .map((t) => JSON.parse(t) as { type: string; accountId?: string; channel?: string })
      .filter((f) => f.type !== 'status' && f.type !== 'ping');
    expect(replayed).toEqual([seen[4]?.frame]);
    expect(replayed[0]).toMatchObject({
      problem: { channel: 'balances', message: 'unreadable: parser bug' },
    });

    // For support, the latest raw message of each channel stays available, newest first (same time: first seen).
    expect(manager.rawMessages('a')).toEqual({
      accountId: 'a',
      messages: [
        { channel: 'risk', receivedAt: 42, outcome: 'ignored', payload: 'ping' },
        { channel: 'balances', receivedAt: 42, outcome: 'error', payload: 'boom' },
      ],
    });
  });

  it('marks a rejection recovered when its channel delivers an accepted message again', () => {
    let publish: UpstreamDeps['publish'] = () => {};
    const { manager } = setup((d) => {
      if (d.account.id === 'a') publish = (channel, payload, at) => d.publish(channel, payload, at);
      return { start: () => {}, stop: async () => {} };
    }, normalizeForTest);
    const seen: AccountMessage[] = [];
    manager.onMessage((m) => seen.push(m));
    manager.start();
    publish('risk', { level: '1.45' }, 10);
    publish('risk', { nope: 1 }, 20);
    publish('balances', { cash: '1' }, 30);
    publish('risk', { level: '1.40' }, 40);
    expect(seen.map((m) => m.frame?.problem?.recoveredAt)).toEqual([undefined, null, null, 40]);
    // A balances message keeps the freshness anchored on the level's channel.
    expect(seen.map((m) => m.frame?.lastGood?.at)).toEqual([10, 10, 10, 40]);
    expect(seen.map((m) => m.frame?.levelAt)).toEqual([10, 10, 10, 40]);
  });
});

describe('AccountManager with a payload JSON cannot encode', () => {
  it('logs the problem instead of throwing into the upstream', () => {
    let publish: UpstreamDeps['publish'] = () => {};
    const { manager, lines } = setup((d) => {
      publish = (channel, payload) => d.publish(channel, payload);
      return { start: () => {}, stop: async () => {} };
    });
    manager.start();
    expect(() => publish('account', { n: 1n })).not.toThrow();
    expect(lines.join('\n')).not.toContain('subscriber failed');
  });
});

describe('AccountManager starts and budgets many accounts', () => {
  function many(count: number, server: Partial<ExchangeServerModule> = {}) {
    const lines: string[] = [];
    const started: string[] = [];
    const deps = new Map<string, UpstreamDeps>();
    const manager = new AccountManager({
      accounts: Array.from({ length: count }, (_, i) => account(`acc-${i}`)),
      catalog: catalogOf([
        {
          id: FAKE_ID,
          browser: fakeBrowser,
          server: {
            ...fakeServer,
            ...server,
            createUpstream: (d) => {
              deps.set(d.account.id, d);
              return { start: () => void started.push(d.account.id), stop: async () => {} };
            },
          },
        },
      ]),
      hub: new StreamHub({ heartbeatMs: 0 }),
      log: createLogger({
        redactor: new Redactor(['very-secret']),
        write: (l) => lines.push(l),
        pretty: false,
      }),
      nonces: memoryNonceSource(),
    });
    return { manager, started, deps, lines };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('staggers upstream starts: the first at once, then a batch at a time, so the event loop keeps turning', async () => {
    vi.useFakeTimers();
    const { manager, started } = many(45);
    manager.start();
    expect(started).toHaveLength(DEFAULT_START_PACE.immediate);
    expect(started[0]).toBe('acc-0');
    await vi.advanceTimersByTimeAsync(DEFAULT_START_PACE.gapMs - 1);
    expect(started).toHaveLength(20);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(30);
    await vi.advanceTimersByTimeAsync(DEFAULT_START_PACE.gapMs * 2);
    expect(started).toHaveLength(45);
    expect(new Set(started).size).toBe(45);
  });

  it('stop() cancels the starts still waiting', async () => {
    vi.useFakeTimers();
    const { manager, started } = many(100);
    manager.start();
    await vi.advanceTimersByTimeAsync(DEFAULT_START_PACE.gapMs);
    const before = started.length;
    await manager.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(started).toHaveLength(before);
    expect(before).toBeLessThan(100);
  });

  it("hands each upstream its poll plan within the key's budget and warns once, naming accounts, not the key", () => {
    const { manager, deps, lines } = many(30, {
      requestBudget: { limits: [{ perMinute: 300, scope: 'key' }], requestsPerPoll: 1, keyField: 'apiKey' },
    });
    manager.start();
    // 30 accounts × 12/min = 360/min against 80 % of 300: every 7.5 s, each at its own phase.
    expect(deps.get('acc-0')?.pollPlan).toEqual({ intervalMs: 7_500, offsetMs: 0 });
    expect(deps.get('acc-3')?.pollPlan).toEqual({ intervalMs: 7_500, offsetMs: 750 });
    const warnings = lines.filter((l) => l.includes('share one API key'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('acc-0, acc-1');
    expect(warnings[0]).toContain('300/min per API key');
    expect(warnings[0]).toContain('each now polls every 7.5 s');
    expect(warnings[0]).not.toMatch(/"k"|apiKey/);
  });
});

describe('cadenceMs (when figures become stale, told to the browser in each snapshot frame)', () => {
  const module = {
    normalize: () => ({ kind: 'ignored' as const, reason: 'not read here' }),
    channels: [
      { id: 'risk', description: 'pushed every second', cadence: 1000 },
      { id: 'balances', description: 'polled', cadence: 'poll' as const },
    ],
    defaultPollSeconds: 5,
  };
  it.each([
    ['risk', undefined, 1000],
    ['balances', undefined, 5000],
    ['balances', 12, 12_000],
    ['unknown-channel', undefined, 60_000],
  ])('%s (pollSeconds %s) → %i ms', (channel, poll, expected) => {
    expect(cadenceMs(module, channel, poll)).toBe(expected);
  });
});
