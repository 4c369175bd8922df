import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { Band } from '../../domain/model.ts';
import { exchangeById } from '../../exchanges/registry.ts';
import { MessageReader, type ReadAccount } from '../accounts.ts';
import { openHistory, type HistoryDb } from '../db/open.ts';
import { createReader } from './query.ts';
import {
  DEFAULT_GAP_MS,
  HEARTBEAT_MS,
  createRecorder,
  intervalsFor,
  type RecorderOptions,
} from './recorder.ts';
import { NO_DEBT, TEST_BANDS, bulkLoad, levelOf, snapshotAt } from './testing/samples.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

interface Row {
  t: number;
  level_text: string;
  level_key: number;
  zone: number;
  cushion: string | null;
  gap_before: number;
}

let history: HistoryDb;
beforeEach(() => {
  history = openHistory(':memory:');
});
afterEach(() => {
  vi.useRealTimers();
  history.close();
});

function rows(): Row[] {
  return history.sqlite
    .prepare<[], Row>(
      'SELECT t, level_text, level_key, zone, cushion, gap_before FROM samples ORDER BY account_id, t',
    )
    .all();
}
function count(table = 'samples'): number {
  return history.sqlite.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? -1;
}

function recorder(options: Partial<RecorderOptions> = {}): ReturnType<typeof createRecorder> {
  return createRecorder({
    db: history,
    flushMs: 0,
    pruneEveryMs: 0,
    ...options,
  });
}

describe('which snapshots become samples', () => {
  it('records changes of level, zone or bands, and a heartbeat every 30 s; nothing else', () => {
    const rec = recorder();
    const raised: Band[] = TEST_BANDS.map((b) =>
      b.kind === 'caution' ? { ...b, threshold: dec('1.8') } : b,
    );
    const steps: [number, string, Band[], boolean][] = [
      [0, '1.7000', TEST_BANDS, true], // first sample
      [1_000, '1.7000', TEST_BANDS, false], // unchanged
      [2_000, '1.7000', [...TEST_BANDS], false], // same bands, new array
      [3_000, '1.6999', TEST_BANDS, true], // level changed
      [4_000, '1.6999', raised, true], // bands changed (and zone: caution below 1.8)
      [5_000, '1.6999', raised, false],
      [4_000 + HEARTBEAT_MS - 1, '1.6999', raised, false],
      [4_000 + HEARTBEAT_MS, '1.6999', raised, true], // heartbeat
      [4_000 + HEARTBEAT_MS + 1, '1.69990', raised, true], // same value, different text: recorded as written
    ];
    for (const [dt, text, bands] of steps)
      rec.recordSnapshot(snapshotAt('a', T0 + dt, levelOf(text), bands), T0 + dt);
    rec.flush();
    const expected = steps.filter((s) => s[3]).map(([dt, text]) => [T0 + dt, text]);
    expect(rows().map((r) => [r.t, r.level_text])).toEqual(expected);
    expect(rows().map((r) => r.zone)).toEqual([0, 0, 2, 2, 2]);
  });

  it('records a level with no debt as such: its text, key +Infinity, zone safe, cushion 1 — never 0', () => {
    const rec = recorder();
    rec.recordSnapshot(snapshotAt('a', T0, NO_DEBT), T0);
    rec.recordSnapshot(snapshotAt('a', T0 + 1, null), T0 + 1); // no level: nothing to record
    rec.flush();
    expect(rows()).toEqual([
      {
        t: T0,
        level_text: '0',
        level_key: Number.POSITIVE_INFINITY,
        zone: 0,
        cushion: '1.00000000',
        gap_before: 0,
      },
    ]);
  });

  it('stores the cushion rounded to 8 places and the totals exactly', () => {
    const rec = recorder();
    rec.recordSnapshot(snapshotAt('a', T0, levelOf('1.37')), T0);
    rec.flush();
    const row = history.sqlite
      .prepare<[], { cushion: string; assets: string; liabilities: string; equity: string | null }>(
        'SELECT cushion, assets, liabilities, equity FROM samples',
      )
      .get();
    // 1 − 1.1 / 1.37 = 0.19708029197…
    expect(row).toEqual({ cushion: '0.19708029', assets: '1000.50', liabilities: '400.00', equity: null });
  });

  it('keeps the later state of one instant and drops samples older than what is recorded', () => {
    const rec = recorder();
    rec.recordSnapshot(snapshotAt('a', T0, levelOf('1.7')), T0);
    rec.recordSnapshot(snapshotAt('a', T0 + 5, levelOf('1.6')), T0 + 5);
    rec.recordSnapshot(snapshotAt('a', T0 + 5, levelOf('1.55')), T0 + 5);
    rec.recordSnapshot(snapshotAt('a', T0 + 6, levelOf('1.2')), T0 + 3);
    rec.flush();
    rec.recordSnapshot(snapshotAt('a', T0 + 7, levelOf('1.4')), T0 + 5); // already written: dropped
    rec.flush();
    expect(rows().map((r) => [r.t - T0, r.level_text])).toEqual([
      [0, '1.7'],
      [5, '1.55'],
    ]);
    expect(rec.stats()).toMatchObject({ recorded: 2, written: 2, pending: 0 });
  });

  it('times each sample by when the proxy received it, not by the clock in the message', () => {
    const rec = recorder();
    // An exchange clock ahead of this machine's: every snapshot carries the same (future) time.
    const ahead = T0 + 3_600_000;
    const received = [T0, T0 + 1_000, T0 + 2_000];
    received.forEach((t, i) => rec.recordSnapshot(snapshotAt('a', ahead, levelOf(`1.${70 - i}`)), t));
    rec.flush();
    expect(rows().map((r) => [r.t, r.level_text])).toEqual([
      [T0, '1.70'],
      [T0 + 1_000, '1.69'],
      [T0 + 2_000, '1.68'],
    ]);
  });
});

describe('batching', () => {
  it('writes a batch when it is full, and the rest on flush()', () => {
    const rec = recorder({ batchSize: 3 });
    for (let i = 0; i < 7; i += 1) {
      rec.recordSnapshot(snapshotAt('a', T0 + i * 1000, levelOf(`1.${70 + i}`)), T0 + i * 1000);
      expect(count()).toBe(Math.floor((i + 1) / 3) * 3);
    }
    expect(rec.stats()).toMatchObject({ recorded: 7, written: 6, pending: 1 });
    expect(rec.flush()).toBe(1);
    expect(count()).toBe(7);
    expect(count('rollups')).toBeGreaterThan(0);
  });

  it('flushes on its timer', () => {
    vi.useFakeTimers();
    const rec = recorder({ flushMs: 1000 });
    rec.recordSnapshot(snapshotAt('a', T0, levelOf('1.7')), T0);
    vi.advanceTimersByTime(999);
    expect(count()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(count()).toBe(1);
    rec.close();
  });

  it('keeps the queue when a write fails and retries it', () => {
    const error = vi.fn();
    const rec = recorder({ log: { info: vi.fn(), warn: vi.fn(), error } });
    rec.recordSnapshot(snapshotAt('a', T0, levelOf('1.7')), T0);
    history.sqlite.exec('ALTER TABLE samples RENAME TO samples_away');
    expect(rec.flush()).toBe(0);
    expect(error).toHaveBeenCalledWith(
      'history: writing samples failed; keeping them and retrying',
      expect.anything(),
    );
    expect(rec.stats().pending).toBe(1);
    history.sqlite.exec('ALTER TABLE samples_away RENAME TO samples');
    expect(rec.flush()).toBe(1);
    expect(count()).toBe(1);
  });

  it('on a full database: keeps the samples, checkpoints the WAL, and writes them all once there is room', () => {
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const rec = recorder({ log });
    rec.recordSnapshot(snapshotAt('a', T0, levelOf('1.7')), T0);
    rec.flush();
    const pragma = vi.spyOn(history.sqlite, 'pragma');
    const pages = Number(history.sqlite.pragma('page_count', { simple: true }));
    history.sqlite.pragma(`max_page_count = ${pages}`);
    for (let i = 1; i <= 300; i += 1) {
      rec.recordSnapshot(snapshotAt(`acct-${i}`, T0 + i, levelOf(`1.${i}`)), T0 + i);
    }
    expect(rec.flush()).toBe(0);
    expect(pragma).toHaveBeenCalledWith('wal_checkpoint(TRUNCATE)');
    expect(log.error).toHaveBeenCalledExactlyOnceWith(
      'history: writing samples failed; keeping them and retrying',
      {
        reason: 'database or disk is full (SQLITE_FULL)',
        pending: 300,
        retryInMs: 1_000,
      },
    );
    history.sqlite.pragma(`max_page_count = ${pages * 100}`);
    expect(rec.flush()).toBe(300);
    expect(count()).toBe(301);
  });

  it('after a failed write, the later state of a queued instant still replaces it', () => {
    const rec = recorder();
    rec.recordSnapshot(snapshotAt('a', T0, levelOf('1.7')), T0);
    history.sqlite.exec('ALTER TABLE samples RENAME TO samples_away');
    expect(rec.flush()).toBe(0);
    rec.recordSnapshot(snapshotAt('a', T0, levelOf('1.65')), T0);
    history.sqlite.exec('ALTER TABLE samples_away RENAME TO samples');
    expect(rec.flush()).toBe(1);
    expect(rows().map((r) => [r.t, r.level_text])).toEqual([[T0, '1.65']]);
  });

  it('while writes keep failing, pauses its attempts and logs only when the failure changes', () => {
    vi.useFakeTimers({ now: T0 });
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const rec = recorder({ flushMs: 1000, log });
    history.sqlite.exec('ALTER TABLE samples RENAME TO samples_away');
    for (let i = 0; i < 60; i += 1) {
      rec.recordSnapshot(snapshotAt('a', T0 + i * 1000, levelOf(`1.${100 + i}`)), Date.now());
      vi.advanceTimersByTime(1000);
    }
    expect(log.error).toHaveBeenCalledOnce();
    expect(rec.stats()).toMatchObject({ pending: 60, written: 0 });
    history.sqlite.exec('ALTER TABLE samples_away RENAME TO samples');
    vi.advanceTimersByTime(60_000);
    expect(count()).toBe(60);
    expect(log.info).toHaveBeenCalledWith('history: writing samples works again', expect.anything());
    expect(log.error).toHaveBeenCalledOnce();
    rec.close();
  });

  it('logs samples the database already had instead of dropping them silently', () => {
    const warn = vi.fn();
    const first = recorder({ log: { info: vi.fn(), warn, error: vi.fn() } });
    first.recordSnapshot(snapshotAt('a', T0, levelOf('1.7')), T0);
    first.flush();
    const second = recorder();
    second.recordSnapshot(snapshotAt('a', T0 + 1_000, levelOf('1.6')), T0 + 1_000);
    second.flush();
    first.recordSnapshot(snapshotAt('a', T0 + 1_000, levelOf('1.5')), T0 + 1_000);
    expect(first.flush()).toBe(0);
    expect(warn).toHaveBeenCalledWith(
      'history: samples already in the database were not written again (another writer?)',
      { samples: 1 },
    );
    expect(rows().map((r) => r.level_text)).toEqual(['1.7', '1.6']);
  });
});

describe('outages', () => {
  it('marks the first sample after a silence longer than the gap threshold, even when nothing changed', () => {
    const rec = recorder();
    rec.recordSnapshot(snapshotAt('a', T0, levelOf('1.7')), T0);
    rec.recordSnapshot(snapshotAt('a', T0 + 10_000, levelOf('1.7')), T0 + 10_000);
    const after = T0 + 10_000 + DEFAULT_GAP_MS + 1;
    rec.recordSnapshot(snapshotAt('a', after, levelOf('1.7')), after);
    rec.flush();
    expect(rows().map((r) => [r.t, r.gap_before])).toEqual([
      [T0, 0],
      [after, 1],
    ]);
  });

  it('after a restart, continues the same history and marks the downtime as a gap', () => {
    const first = recorder();
    first.recordSnapshot(snapshotAt('a', T0, levelOf('1.7')), T0);
    first.recordSnapshot(snapshotAt('b', T0, levelOf('1.7')), T0);
    first.close();

    const second = recorder();
    second.recordSnapshot(snapshotAt('a', T0 + 5_000, levelOf('1.6')), T0 + 5_000); // quick restart
    second.recordSnapshot(snapshotAt('b', T0 + DEFAULT_GAP_MS + 1, levelOf('1.7')), T0 + DEFAULT_GAP_MS + 1);
    second.recordSnapshot(snapshotAt('a', T0 + 6_000, levelOf('1.2')), T0 - 1); // received before the stored one
    second.close();
    expect(rows().map((r) => [r.t - T0, r.gap_before])).toEqual([
      [0, 0],
      [5_000, 0],
      [0, 0],
      [DEFAULT_GAP_MS + 1, 1],
    ]);
  });
});

describe('retention', () => {
  it('deletes samples and whole rollup periods older than retentionDays', () => {
    const rec = recorder({ retentionDays: 2 });
    const now = T0 + 10 * DAY;
    const times = [T0, T0 + DAY, now - 2 * DAY - 60_000, now - 2 * DAY + 1, now - 1000];
    times.forEach((t, i) => rec.recordSnapshot(snapshotAt('a', t, levelOf(`1.${60 + i}`)), t));
    rec.flush();
    expect(rec.prune(now)).toBe(3);
    expect(rows().map((r) => r.t)).toEqual([now - 2 * DAY + 1, now - 1000]);
    const periods = history.sqlite
      .prepare<[], { period: number; start: number }>(
        'SELECT period, start FROM rollups ORDER BY period, start',
      )
      .all();
    const cutoff = now - 2 * DAY;
    for (const p of periods) expect(p.start + p.period).toBeGreaterThan(cutoff);
    expect(periods.filter((p) => p.period === 60_000)).toHaveLength(2);
    // Recording continues after pruning.
    rec.recordSnapshot(snapshotAt('a', now, levelOf('1.5')), now);
    rec.flush();
    expect(count()).toBe(3);
  });

  it('prunes a long backlog in slices', () => {
    const rec = recorder({ retentionDays: 1 });
    for (let i = 0; i < 200; i += 1) {
      const t = T0 + i * 3_600_000;
      rec.recordSnapshot(snapshotAt('a', t, levelOf(`1.${100 + i}`)), t);
    }
    rec.flush();
    const now = T0 + 200 * 3_600_000;
    expect(rec.prune(now)).toBe(176);
    expect(count()).toBe(24);
  });
});

describe('tiered retention: raw samples for rawDays, rollups beyond', () => {
  const MINUTE = 60_000;

  it('deletes raw samples older than rawDays; a dip among them still shows as a minimum from the rollups', () => {
    let clock = T0;
    const rec = recorder({ rawDays: 2, retentionDays: 10, heartbeatMs: 1, now: () => clock });
    const dipAt = T0 + 3_600_000 + 20_000;
    // Six hours, one sample every 10 s, cycling 2.000–2.359; one sample at 1.0312.
    for (let t = T0; t < T0 + 6 * 3_600_000; t += 10_000) {
      const text = t === dipAt ? '1.0312' : `2.${String(((t - T0) / 10_000) % 360).padStart(3, '0')}`;
      rec.recordSnapshot(snapshotAt('a', t, levelOf(text)), t);
    }
    rec.flush();
    const recorded = count();
    expect(recorded).toBe(6 * 360);
    clock = T0 + 5 * DAY;
    for (let t = clock - 3_600_000; t < clock; t += 60_000) {
      rec.recordSnapshot(snapshotAt('a', t, levelOf('2.5')), t);
    }
    rec.flush();

    expect(rec.prune()).toBe(recorded);
    expect(count()).toBe(60);
    expect(rows()[0]?.t).toBe(clock - 3_600_000);

    const reader = createReader(history);
    const all = reader.query({ accountId: 'a', maxPoints: 1000, now: clock });
    expect(all.from).toBe(T0);
    expect(all.source).not.toBe('samples');
    const lows = all.buckets.filter((b) => b.min.text === '1.0312');
    expect(lows).toHaveLength(1);
    expect(lows[0]?.start).toBeLessThanOrEqual(dipAt);
    expect(lows[0]?.end).toBeGreaterThan(dipAt);
    expect(all.buckets.reduce((n, b) => n + b.count, 0)).toBe(recorded + 60);

    // An hour around the dip, now older than rawDays: minute buckets from the 1-minute rollups.
    const hour = reader.query({
      accountId: 'a',
      from: T0 + 3_600_000,
      to: T0 + 7_200_000 - 1,
      maxPoints: 1000,
      now: clock,
    });
    expect(hour.source).toBe('1m');
    expect(hour.bucketMs).toBe(MINUTE);
    expect(hour.buckets).toHaveLength(60);
    const dipMinute = hour.buckets.find((b) => b.start <= dipAt && dipAt < b.end);
    expect(dipMinute).toMatchObject({
      count: 6,
      firstAt: T0 + 3_600_000,
      lastAt: T0 + 3_650_000,
      min: { kind: 'value', text: '1.0312' },
      max: { kind: 'value', text: '2.005' },
      last: { kind: 'value', text: '2.005' },
      zone: 'safe',
      worstZone: 'takeover',
    });
    // The last hour, still within rawDays, comes from the raw samples.
    const recent = reader.query({
      accountId: 'a',
      from: clock - 3_600_000,
      to: clock,
      maxPoints: 1000,
      now: clock,
    });
    expect(recent.source).toBe('samples');
    expect(recent.buckets).toHaveLength(60);
  });

  it('compacts 1-minute rollups older than minuteRollupDays into the 15-minute ones; the dip stays', () => {
    const rec = recorder({ rawDays: 1, minuteRollupDays: 2, retentionDays: 10, heartbeatMs: 1 });
    const dipAt = T0 + 3_600_000 + 20_000;
    for (let t = T0; t < T0 + 2 * 3_600_000; t += 10_000) {
      rec.recordSnapshot(snapshotAt('a', t, levelOf(t === dipAt ? '1.0312' : '2.2')), t);
    }
    const recent = T0 + 3 * DAY;
    rec.recordSnapshot(snapshotAt('a', recent, levelOf('2.4')), recent);
    rec.flush();
    const minuteRows = (): number =>
      history.sqlite
        .prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM rollups WHERE period = 60000')
        .get()?.n ?? -1;
    expect(minuteRows()).toBe(121);

    const now = recent + 60_000;
    expect(rec.prune(now)).toBe(720);
    expect(minuteRows()).toBe(1);
    const reader = createReader(history);
    const hour = reader.query({
      accountId: 'a',
      from: T0 + 3_600_000,
      to: T0 + 7_200_000 - 1,
      maxPoints: 1000,
      now,
    });
    expect(hour.source).toBe('15m');
    expect(hour.buckets.map((b) => [b.start - T0, b.count, b.min.text, b.max.text])).toEqual([
      [3_600_000, 90, '1.0312', '2.2'],
      [4_500_000, 90, '2.2', '2.2'],
      [5_400_000, 90, '2.2', '2.2'],
      [6_300_000, 90, '2.2', '2.2'],
    ]);
    // The last day is still raw.
    expect(reader.query({ accountId: 'a', from: recent - 1000, to: now, maxPoints: 100, now }).source).toBe(
      'samples',
    );
  });

  it('keeps the samples of a minute that has not wholly passed rawDays, and samples without a rollup', () => {
    const rec = recorder({ rawDays: 1, retentionDays: 10 });
    const now = T0 + 3 * DAY + 30_000; // rawDays ends 30 s into a minute
    const edge = now - DAY; // T0 + 2 days + 30 s
    for (const t of [edge - 40_000, edge - 20_000, edge - 1, edge + 1]) {
      rec.recordSnapshot(snapshotAt('a', t, levelOf(`1.${t - edge + 50_000}`)), t);
    }
    rec.flush();
    // Loaded without rollups (as an import would): never deleted by the raw tier.
    bulkLoad(history.sqlite, 'b', T0, 100, 1000);
    expect(rec.prune(now)).toBe(1);
    expect(rows().map((r) => r.t)).toEqual([
      edge - 20_000,
      edge - 1,
      edge + 1,
      ...Array.from({ length: 100 }, (_, i) => T0 + i * 1000),
    ]);
  });
});

describe('the proxy message hook', () => {
  const fixture = JSON.parse(
    readFileSync(new URL('../../exchanges/valr/fixtures/margin-info.json', import.meta.url), 'utf8'),
  ) as { type: string; data: Record<string, unknown> };
  const withFraction = (marginFraction: string): unknown => ({
    ...fixture,
    data: { ...fixture.data, marginFraction },
  });
  const VALR: ReadAccount = { id: 'valr-1', exchange: 'valr', thresholds: { liquidation: dec('0.5') } };

  /** Messages as the AccountManager hands them over: read once, with the account's snapshot. */
  function reading(
    reader: MessageReader,
    account: ReadAccount,
    channel: string,
    payload: unknown,
    at: number,
  ) {
    return { account, receivedAt: at, ...reader.read(account, channel, payload, at) };
  }

  it('records the snapshot of each message with a level, with the account thresholds', () => {
    const reader = new MessageReader(exchangeById);
    const rec = recorder();
    const feed = (channel: string, payload: unknown, at: number) =>
      rec.record(reading(reader, VALR, channel, payload, at));
    feed('account', withFraction('1.90363696'), T0);
    feed('account', withFraction('0.40000000'), T0 + 5_000);
    feed('account', { type: 'MARGIN_INFO', data: { marginFraction: 5 } }, T0 + 6_000);
    feed('account', 'not json', T0 + 7_000);
    feed('account', { type: 'BALANCE_UPDATE', data: {} }, T0 + 8_000);
    rec.flush();
    expect(rows().map((r) => [r.t, r.level_text, r.zone, r.cushion])).toEqual([
      [T0, '1.90363696', 0, '0.73734488'], // 1 − 0.5 / 1.90363696 = 0.737344876…
      [T0 + 5_000, '0.40000000', 3, '-0.25000000'],
    ]);
    expect(rec.stats()).toMatchObject({ messages: 5, rejected: 2, recorded: 2, written: 2 });
    const body = history.sqlite.prepare<[], { body: string }>('SELECT body FROM profiles').get()?.body ?? '';
    expect(JSON.parse(body)).toMatchObject({
      unit: { name: 'Margin fraction', kind: 'fraction' },
      // Highest threshold first, as resolveBands orders them (here the configured line is above VALR's initial).
      bands: [
        { kind: 'liquidation', threshold: '0.5', label: 'liquidation', source: 'config' },
        { kind: 'caution', threshold: '0.098837526', label: 'initialMarginFraction', source: 'exchange' },
        { kind: 'takeover', threshold: '0.017056799', label: 'autoCloseMarginFraction', source: 'exchange' },
      ],
      currency: 'USDC',
    });
  });

  it('counts only messages with a level as data: balances alone neither keep the heartbeat nor hide an outage', () => {
    const balances = JSON.parse(
      readFileSync(
        new URL('../../exchanges/valr/fixtures/balances-constructed.json', import.meta.url),
        'utf8',
      ),
    ) as unknown;
    const reader = new MessageReader(exchangeById);
    const rec = recorder();
    rec.record(reading(reader, VALR, 'account', withFraction('1.90363696'), T0));
    // Only the balances poll answers for two minutes: no level, so no sample and no sign of life.
    for (let t = T0 + 15_000; t <= T0 + 120_000; t += 15_000) {
      const message = reading(reader, VALR, 'balances', balances, t);
      expect([message.outcome.kind, message.carriesLevel]).toEqual(['update', false]);
      rec.record(message);
    }
    const back = T0 + 125_000;
    rec.record(reading(reader, VALR, 'account', withFraction('1.90363696'), back));
    rec.flush();
    expect(rows().map((r) => [r.t, r.gap_before])).toEqual([
      [T0, 0],
      [back, 1],
    ]);
  });

  it("records the zone VALR's account status sets at once, without a heartbeat for the status poll alone", () => {
    const reader = new MessageReader(exchangeById);
    const rec = recorder();
    const feed = (channel: string, payload: unknown, at: number) =>
      rec.record(reading(reader, VALR, channel, payload, at));
    const status = (inLiquidation: boolean) => ({
      marginEnabled: true,
      inLiquidation,
      futuresEnabled: false,
    });
    feed('account', withFraction('1.90363696'), T0);
    feed('account-status', status(false), T0 + 1_000);
    feed('account-status', status(true), T0 + 2_000);
    feed('account-status', status(true), T0 + 3_000);
    feed('account', withFraction('1.90363696'), T0 + 5_000);
    feed('account-status', status(false), T0 + 6_000);
    rec.flush();
    expect(rows().map((r) => [r.t, r.level_text, r.zone])).toEqual([
      [T0, '1.90363696', 0],
      [T0 + 2_000, '1.90363696', 3],
      [T0 + 6_000, '1.90363696', 0],
    ]);
  });

  it('gap thresholds follow the account cadence: max(90 s, 3 × fastest channel or poll)', () => {
    const intervalFor = intervalsFor([
      { id: 'valr-1', exchange: 'valr', pollSeconds: 15 },
      { id: 'bitso-slow', exchange: 'bitso', pollSeconds: 60 },
    ]);
    const rec = recorder({ intervalFor });
    expect(rec.gapMsFor('valr-1')).toBe(90_000);
    expect(rec.gapMsFor('bitso-slow')).toBe(180_000);
    expect(rec.gapMsFor('nobody')).toBe(90_000);
  });

  it('never throws, even when a message is not what it should be', () => {
    const error = vi.fn();
    const rec = recorder({ log: { info: vi.fn(), warn: vi.fn(), error } });
    const broken = { account: { id: 'a' }, receivedAt: T0, carriesLevel: true } as unknown as Parameters<
      typeof rec.record
    >[0];
    expect(() => rec.record(broken)).not.toThrow();
    expect(error).toHaveBeenCalledOnce();
  });
});
