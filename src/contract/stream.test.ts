// Ties the two halves of the stream together: every kind of frame the proxy builds is read back by the browser's
// parser into the same values (amounts as Decimals, exactly).
import { describe, expect, it } from 'vitest';
import { dec } from '../domain/decimal.ts';
import type { MarginSnapshot } from '../domain/model.ts';
import {
  alertFrame,
  parseStreamFrame,
  pingFrame,
  snapshotFrame,
  statusFrame,
  type SnapshotFrame,
  type StreamFrameDto,
} from './stream.ts';

const wire = (frame: StreamFrameDto) => parseStreamFrame(JSON.stringify(frame));

/** A snapshot using every field the model has, with amounts a float would not keep. */
const full: MarginSnapshot = {
  accountId: 'valr-margin',
  exchange: 'valr',
  time: 1_700_000_000_123,
  level: { kind: 'value', value: dec('0.123456789012345678901'), text: '0.123456789012345678901' },
  unit: { name: 'Margin fraction', kind: 'fraction' },
  bands: [
    { kind: 'caution', threshold: dec('0.1'), label: 'initialMarginFraction', source: 'exchange' },
    { kind: 'liquidation', threshold: dec('0.05'), label: 'maintenance', source: 'config' },
    { kind: 'takeover', threshold: dec('0.02'), label: 'autoCloseMarginFraction', source: 'exchange' },
  ],
  zone: 'liquidation',
  venueStatus: { kind: 'liquidating', text: 'being liquidated by VALR' },
  cushion: dec('0.59499999999999999999'),
  totals: {
    currency: 'USDC',
    assets: dec('10000.01'),
    liabilities: dec('-0.3'),
    equity: dec('9999.71'),
    decimals: 2,
  },
  balances: [
    {
      currency: 'BTC',
      total: dec('1.00000001'),
      available: dec('0.5'),
      locked: dec('0'),
      borrowed: dec('0.1'),
      interest: dec('0.00000002'),
      net: dec('0.89999999'),
      decimals: 8,
    },
    { currency: 'ZAR', total: dec('12'), decimals: 0 },
  ],
  details: [
    { key: 'leverage', label: 'Leverage', value: { kind: 'decimal', value: dec('3.5'), decimals: 1 } },
    {
      key: 'collateral',
      label: 'Collateral',
      value: { kind: 'decimal', value: dec('123.45'), decimals: 2, currency: 'USDC' },
    },
    { key: 'status', label: 'Status', value: { kind: 'text', value: 'NORMAL' } },
  ],
  warnings: ['marginFraction disagrees with its inputs'],
  channelWarnings: { account: ['marginFraction disagrees with its inputs'] },
};

/** Decimals compared by value and written form, the rest as is. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

describe('stream frames round-trip from the proxy builders through the browser parser', () => {
  it('status, with and without detail', () => {
    expect(wire(statusFrame('a', 'reconnecting', 5, 'socket closed'))).toEqual({
      type: 'status',
      accountId: 'a',
      state: 'reconnecting',
      detail: 'socket closed',
      at: 5,
    });
    expect(wire(statusFrame('a', 'live', 6))).toEqual({
      type: 'status',
      accountId: 'a',
      state: 'live',
      at: 6,
    });
  });

  it('ping', () => {
    expect(wire(pingFrame(42))).toEqual({ type: 'ping', at: 42 });
  });

  it('alert', () => {
    const alert = {
      id: 'e1',
      accountId: 'a',
      exchange: 'bitso',
      rule: 'cushion-below' as const,
      kind: 'fired' as const,
      level: '1.23',
      zone: 'caution' as const,
      cushion: '0.0912',
      message: 'Bitso main: cushion below 10 %',
      at: 7,
    };
    expect(wire(alertFrame(alert))).toEqual({ type: 'alert', alert });
  });

  it('snapshot: every field, amounts exact, Decimals again on the browser side', () => {
    const frame = wire(
      snapshotFrame({
        accountId: 'valr-margin',
        channel: 'account',
        receivedAt: 1_700_000_000_200,
        snapshot: full,
        lastGood: { channel: 'account', at: 1_700_000_000_123, staleAfterMs: 15_000 },
        levelAt: 1_700_000_000_123,
        problem: {
          exchange: 'valr',
          channel: 'account',
          field: 'data.marginFraction',
          message: 'expected a decimal string, got a number',
          at: 1_700_000_000_200,
          recoveredAt: null,
        },
      }),
    ) as SnapshotFrame;
    expect(frame.type).toBe('snapshot');
    const snapshot = frame.snapshot;
    expect(snapshot).not.toBeNull();
    if (!snapshot) return;
    expect(plain(snapshot)).toEqual(plain(full));
    expect(snapshot.level?.kind === 'value' && snapshot.level.value.eq(dec('0.123456789012345678901'))).toBe(
      true,
    );
    expect(snapshot.cushion?.toFixed()).toBe('0.59499999999999999999');
    expect(snapshot.balances?.[0]?.interest?.toFixed()).toBe('0.00000002');
    expect(snapshot.bands.map((b) => [b.kind, b.threshold.toFixed(), b.source])).toEqual([
      ['caution', '0.1', 'exchange'],
      ['liquidation', '0.05', 'config'],
      ['takeover', '0.02', 'exchange'],
    ]);
    expect(frame.lastGood).toEqual({ channel: 'account', at: 1_700_000_000_123, staleAfterMs: 15_000 });
    expect(frame.problem).toMatchObject({ field: 'data.marginFraction', recoveredAt: null });
  });

  it('snapshot: none yet, and a no-debt level', () => {
    const none = wire(
      snapshotFrame({
        accountId: 'a',
        channel: 'c',
        receivedAt: 1,
        snapshot: null,
        lastGood: null,
        levelAt: null,
      }),
    );
    expect(none).toEqual({
      type: 'snapshot',
      accountId: 'a',
      channel: 'c',
      receivedAt: 1,
      snapshot: null,
      lastGood: null,
      levelAt: null,
    });
    const noDebt: MarginSnapshot = {
      ...full,
      level: { kind: 'no-debt', text: 'no debt' },
      cushion: null,
      totals: null,
      balances: null,
      details: [],
      warnings: [],
      zone: 'safe',
    };
    delete noDebt.venueStatus;
    delete noDebt.channelWarnings;
    const frame = wire(
      snapshotFrame({
        accountId: 'a',
        channel: 'c',
        receivedAt: 1,
        snapshot: noDebt,
        lastGood: null,
        levelAt: 1,
      }),
    ) as SnapshotFrame;
    expect(plain(frame.snapshot)).toEqual(plain(noDebt));
  });

  it('the parser refuses what is not a frame, and a number where an amount belongs', () => {
    expect(parseStreamFrame('not json')).toBeNull();
    expect(parseStreamFrame(JSON.stringify({ type: 'message', accountId: 'a' }))).toBeNull();
    const dto = snapshotFrame({
      accountId: 'a',
      channel: 'c',
      receivedAt: 1,
      snapshot: full,
      lastGood: null,
      levelAt: null,
    });
    const tampered = JSON.parse(JSON.stringify(dto)) as { snapshot: { cushion: unknown } };
    tampered.snapshot.cushion = 0.5;
    expect(parseStreamFrame(JSON.stringify(tampered))).toBeNull();
  });
});
