import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Redactor, createLogger } from '../log.ts';
import { dec } from '../../domain/decimal.ts';
import type { AlertEvent, NearestMove } from './engine.ts';
import {
  AlertRulesError,
  createAlertService,
  type AlertService,
  type AlertServiceConfig,
} from './service.ts';
import { alertsMigration } from '../db/migrations.ts';
import { MINUTE, SECOND, liquidatingSnap, snap } from './testing/accounts.ts';

/** Demo-style accounts with their fake credentials: none of these may ever leave in an alert. */
const ACCOUNTS = [
  {
    id: 'bitso-demo',
    exchange: 'bitso',
    label: 'Bitso (demo)',
    pollSeconds: 5,
    credentials: { apiKey: 'demo-bitso-key', apiSecret: 'demo-bitso-secret-not-real' },
  },
  {
    id: 'valr-demo',
    exchange: 'valr',
    label: 'VALR margin (demo)',
    pollSeconds: 10,
    credentials: { apiKey: 'demo-valr-key', apiSecret: 'demo-valr-secret-not-real' },
  },
];
const SECRETS = ['demo-bitso-secret-not-real', 'demo-valr-secret-not-real'];
const HOOK = 'http://127.0.0.1:5301/hooks/alert-receiver-token';

interface Posted {
  url: string;
  body: Record<string, unknown>;
  raw: string;
}

let db: Database.Database;
let posted: Posted[];
let logLines: string[];
let services: AlertService[];

function fetchStub(): typeof fetch {
  const stub = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const raw = typeof init?.body === 'string' ? init.body : '';
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    posted.push({ url, body: JSON.parse(raw) as Record<string, unknown>, raw });
    return new Response(null, { status: 204 });
  };
  return stub;
}

function start(
  config: Partial<AlertServiceConfig['alerts']> = {},
  moveToLiquidation?: (accountId: string) => NearestMove | null,
  priceMoves?: (exchange: string) => boolean,
): AlertService {
  const redactor = new Redactor([...SECRETS, HOOK]);
  const log = createLogger({ redactor, write: (line) => logLines.push(line), pretty: false });
  const service = createAlertService({
    db,
    config: { accounts: ACCOUNTS, alerts: { webhooks: [{ url: HOOK, format: 'generic' }], ...config } },
    log,
    now: Date.now,
    fetch: fetchStub(),
    tickMs: 0,
    ...(moveToLiquidation ? { moveToLiquidation } : {}),
    ...(priceMoves ? { priceMoves } : {}),
  });
  services.push(service);
  return service;
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 21, 6, 0, 0) });
  db = new Database(':memory:');
  db.transaction(() => alertsMigration.up(db))();
  posted = [];
  logLines = [];
  services = [];
});

afterEach(async () => {
  for (const s of services) await s.close();
  db.close();
  vi.useRealTimers();
});

async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

describe('alert service', () => {
  it('stores, publishes and posts exactly one alert per crossing', async () => {
    const service = start();
    const frames: AlertEvent[] = [];
    service.subscribe((a) => frames.push(a));
    for (const level of ['1.6', '1.55', '1.49', '1.48', '1.51', '1.47']) {
      vi.advanceTimersByTime(SECOND);
      service.onSnapshot('bitso-demo', snap('bitso-demo', level));
    }
    await settle();
    expect(frames.map((f) => [f.rule, f.kind, f.level])).toEqual([['zone-worse', 'fired', '1.49']]);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.url).toBe(HOOK);
    expect(posted[0]?.body).toMatchObject({
      account: 'bitso-demo',
      exchange: 'bitso',
      rule: 'zone-worse',
      kind: 'fired',
      level: '1.49',
      zone: 'caution',
      time: '2026-11-21T06:00:03.000Z',
    });
    expect(service.list()).toEqual({ alerts: frames, nextBefore: null, open: frames });

    vi.advanceTimersByTime(SECOND);
    service.onSnapshot('bitso-demo', snap('bitso-demo', '1.7'));
    await settle();
    expect(posted.map((p) => p.body.kind)).toEqual(['fired', 'recovered']);
    expect(service.list().open).toEqual([]);
  });

  it('never puts a credential in an alert, a webhook body or the log, even when a status detail carries one', async () => {
    const service = start();
    service.onStatus('valr-demo', 'auth_failed', 'signature rejected for secret demo-valr-secret-not-real');
    vi.advanceTimersByTime(2 * MINUTE);
    service.tick();
    await settle();
    expect(posted.length).toBeGreaterThan(0);
    const everything = [...posted.map((p) => p.raw), JSON.stringify(service.list()), ...logLines].join('\n');
    for (const secret of [...SECRETS, 'demo-bitso-key', 'demo-valr-key', 'alert-receiver-token']) {
      expect(everything).not.toContain(secret);
    }
    expect(service.list().alerts.find((a) => a.rule === 'auth-failure')?.message).toBe(
      'VALR margin (demo): the exchange refused the API credentials (signature rejected for secret ***)',
    );
  });

  it('raises stale data on the tick after the automatic threshold', async () => {
    const service = start();
    service.onSnapshot('bitso-demo', snap('bitso-demo', '2'));
    service.onSnapshot('valr-demo', snap('valr-demo', '2'));
    vi.advanceTimersByTime(60 * SECOND);
    service.tick();
    expect(service.list().alerts).toEqual([]);
    vi.advanceTimersByTime(SECOND);
    service.tick();
    // Newest first; events of one instant in reverse order of creation.
    expect(service.list().alerts.map((a) => [a.accountId, a.rule])).toEqual([
      ['valr-demo', 'stale'],
      ['bitso-demo', 'stale'],
    ]);
  });

  it('evaluates only messages that carried a level: balances alone do not keep an account fresh', () => {
    const service = start();
    const bitso = { account: { id: 'bitso-demo' }, carriesLevel: true, snapshot: snap('bitso-demo', '2') };
    service.onMessage(bitso);
    service.onMessage({ account: { id: 'valr-demo' }, carriesLevel: true, snapshot: snap('valr-demo', '2') });
    for (let i = 0; i < 6; i += 1) {
      vi.advanceTimersByTime(10 * SECOND);
      service.onMessage({ ...bitso, carriesLevel: false }); // e.g. a balances poll: same snapshot, no level
      service.onMessage({ ...bitso, carriesLevel: false, snapshot: undefined });
      service.tick();
    }
    vi.advanceTimersByTime(SECOND);
    service.tick();
    expect(service.list().alerts.map((a) => [a.accountId, a.rule, a.kind])).toEqual([
      ['valr-demo', 'stale', 'fired'],
      ['bitso-demo', 'stale', 'fired'],
    ]);
    vi.advanceTimersByTime(SECOND);
    service.onMessage(bitso);
    expect(service.list().alerts[0]).toMatchObject({
      accountId: 'bitso-demo',
      rule: 'stale',
      kind: 'recovered',
    });
  });

  it("evaluates the venue's status alone for its zone, without counting it as fresh data", () => {
    const service = start();
    const bitso = { account: { id: 'bitso-demo' }, carriesLevel: true, snapshot: snap('bitso-demo', '2') };
    service.onMessage(bitso);
    vi.advanceTimersByTime(SECOND);
    const status = { account: { id: 'bitso-demo' }, carriesLevel: false, carriesVenueStatus: true };
    service.onMessage({ ...status, snapshot: liquidatingSnap('bitso-demo', '2', 'Bitso') });
    expect(service.list().alerts[0]).toMatchObject({
      rule: 'zone-worse',
      kind: 'fired',
      zone: 'liquidation',
      message: 'Bitso (demo): being liquidated by Bitso: entered Liquidation — level 2',
    });
    for (let i = 0; i < 6; i += 1) {
      vi.advanceTimersByTime(10 * SECOND);
      service.onMessage({ ...status, snapshot: liquidatingSnap('bitso-demo', '2', 'Bitso') });
      service.tick();
    }
    expect(service.list().alerts.map((a) => [a.accountId, a.rule, a.kind])).toContainEqual([
      'bitso-demo',
      'stale',
      'fired',
    ]);
  });

  it('never throws from a message, even when evaluating it does', () => {
    const service = start();
    const broken = Object.defineProperty({}, 'level', {
      get() {
        throw new Error('boom');
      },
    }) as ReturnType<typeof snap>;
    expect(() =>
      service.onMessage({ account: { id: 'bitso-demo' }, carriesLevel: true, snapshot: broken }),
    ).not.toThrow();
    expect(logLines.join('\n')).toContain('alerts: evaluating a message failed');
  });

  it('picks up open alerts after a restart: no second fired, one recovered when it clears', async () => {
    const first = start();
    first.onSnapshot('bitso-demo', snap('bitso-demo', '1.08'));
    await first.close();
    const second = start();
    vi.advanceTimersByTime(SECOND);
    second.onSnapshot('bitso-demo', snap('bitso-demo', '1.07'));
    vi.advanceTimersByTime(SECOND);
    second.onSnapshot('bitso-demo', snap('bitso-demo', '1.8'));
    await settle();
    expect(
      second
        .list()
        .alerts.filter((a) => a.rule === 'zone-worse')
        .map((a) => [a.kind, a.zone]),
    ).toEqual([
      ['recovered', 'safe'],
      ['fired', 'liquidation'],
    ]);
  });

  it('applies the config rules and the UI layer, persists UI edits, and clears alerts of a rule turned off', async () => {
    const service = start({ rules: { defaults: { cushionBelow: { percent: '30' } } } });
    expect(service.rules().defaults.cushionBelow.percent).toBe('30');
    service.onSnapshot('valr-demo', snap('valr-demo', '1.5')); // cushion 26.7 % < 30 %
    expect(service.list().open?.map((a) => a.rule)).toEqual(['cushion-below', 'zone-worse']);

    vi.advanceTimersByTime(SECOND);
    const view = service.updateRules({ accounts: { 'valr-demo': { cushionBelow: { enabled: false } } } });
    expect(view.accounts.find((a) => a.id === 'valr-demo')).toMatchObject({
      overridden: true,
      settings: { cushionBelow: { enabled: false, percent: '30' } },
    });
    const cleared = service.list().alerts[0];
    expect([cleared?.rule, cleared?.kind]).toEqual(['cushion-below', 'recovered']);

    await service.close();
    const again = start({ rules: { defaults: { cushionBelow: { percent: '30' } } } });
    expect(again.rules().overrides).toEqual({
      accounts: { 'valr-demo': { cushionBelow: { enabled: false } } },
    });
    expect(again.rules().config).toEqual({ defaults: { cushionBelow: { percent: '30' } } });
  });

  it('refuses invalid rule changes with a message', () => {
    const service = start();
    expect(() => service.updateRules({ defaults: { cushionBelow: { percent: 'lots' } } })).toThrow(
      new AlertRulesError(
        'defaults.cushionBelow.percent: must be a decimal percentage written as a string, above 0 up to 100, e.g. "20"',
      ),
    );
    expect(() => service.updateRules({ accounts: { 'nope-1': {} } })).toThrow(
      'accounts.nope-1: no such account',
    );
    expect(() => service.updateRules('text')).toThrow(AlertRulesError);
  });

  it('re-evaluates the move to liquidation on the tick: stores, publishes and posts it, once', async () => {
    let move: NearestMove | null = null;
    const service = start({}, (id) => (id === 'bitso-demo' ? move : null));
    const frames: AlertEvent[] = [];
    service.subscribe((a) => frames.push(a));
    service.onSnapshot('bitso-demo', snap('bitso-demo', '1.8'));
    move = { move: dec('-0.12'), currency: 'BTC', approximate: false };
    for (let i = 0; i < 3; i += 1) {
      vi.advanceTimersByTime(SECOND);
      service.tick(); // prices moved: no message of the account
    }
    await settle();
    const text = 'Bitso (demo): BTC −12 % would reach liquidation (alert below 15 %)';
    expect(frames.map((f) => [f.rule, f.kind, f.message])).toEqual([['move-below', 'fired', text]]);
    expect(posted.map((p) => [p.body.rule, p.body.kind, p.body.message])).toEqual([
      ['move-below', 'fired', text],
    ]);
    expect(service.list().open?.map((a) => a.rule)).toEqual(['move-below']);

    move = { move: dec('-0.2'), currency: null, approximate: true };
    vi.advanceTimersByTime(SECOND);
    service.tick();
    expect(service.list().alerts[0]).toMatchObject({
      rule: 'move-below',
      kind: 'recovered',
      message:
        'Bitso (demo): a move of ≈ −20 % is now needed to reach liquidation (market; alert below 15 %)',
    });
  });

  it("says per account whether its exchange's level can be tied to prices, once told", () => {
    const asked: string[] = [];
    const service = start({}, undefined, (exchange) => {
      asked.push(exchange);
      return exchange === 'bitso';
    });
    expect(service.rules().accounts.map((a) => [a.id, a.priceMoves])).toEqual([
      ['bitso-demo', true],
      ['valr-demo', false],
    ]);
    expect(asked).toEqual(['bitso', 'valr']);
    const view = service.updateRules({ accounts: { 'valr-demo': { moveBelow: { percent: '10' } } } });
    expect(view.accounts.map((a) => a.priceMoves)).toEqual([true, false]);
    expect(
      start()
        .rules()
        .accounts.map((a) => 'priceMoves' in a),
    ).toEqual([false, false]);
  });

  it('takes the move-below settings from the config and the UI', () => {
    const service = start({ rules: { defaults: { moveBelow: { percent: '25' } } } });
    expect(service.rules().builtin.moveBelow).toEqual({ enabled: true, percent: '15' });
    expect(service.rules().defaults.moveBelow).toEqual({ enabled: true, percent: '25' });
    const view = service.updateRules({ accounts: { 'bitso-demo': { moveBelow: { percent: '10' } } } });
    expect(view.accounts.find((a) => a.id === 'bitso-demo')?.settings.moveBelow).toEqual({
      enabled: true,
      percent: '10',
    });
    expect(() => service.updateRules({ defaults: { moveBelow: { percent: '0' } } })).toThrow(
      'defaults.moveBelow.percent: must be a decimal percentage written as a string, above 0 up to 100, e.g. "20"',
    );
  });

  it('treats an estimate that throws as none, logs it once, and keeps the other rules going', () => {
    let broken = true;
    const service = start({}, (id) => {
      if (broken) throw new Error(`no prices for ${id}`);
      return { move: dec('-0.05'), currency: 'ETH', approximate: false };
    });
    service.onSnapshot('bitso-demo', snap('bitso-demo', '1.4'));
    for (let i = 0; i < 3; i += 1) {
      vi.advanceTimersByTime(SECOND);
      service.tick();
    }
    expect(service.list().alerts.map((a) => a.rule)).toEqual(['zone-worse']);
    const failures = logLines.filter((l) => l.includes('estimating the move to liquidation failed'));
    expect(failures).toHaveLength(2); // once per account
    broken = false;
    vi.advanceTimersByTime(SECOND);
    service.tick();
    expect(
      service
        .list()
        .alerts.filter((a) => a.rule === 'move-below')
        .map((a) => a.accountId),
    ).toEqual(['valr-demo', 'bitso-demo']);
  });

  it('reports webhook status with the URL reduced to scheme and host', () => {
    const service = start();
    expect(service.webhookStatus()).toMatchObject([{ target: 'http://127.0.0.1:5301', state: 'idle' }]);
    expect(JSON.stringify(service.webhookStatus())).not.toContain('alert-receiver-token');
  });
});
