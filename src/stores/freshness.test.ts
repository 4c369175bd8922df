import { describe, expect, it } from 'vitest';
import { freshnessOf, lacksCurrentFigures } from './freshness.ts';
import type { AccountState } from './snapshot-store.ts';

function account(overrides: Partial<AccountState> = {}): AccountState {
  return {
    accountId: 'a',
    snapshot: null,
    lastGood: { channel: 'risk', at: 10_000, staleAfterMs: 3000 },
    levelSnapshot: null,
    status: { state: 'live', at: 0 },
    rejection: null,
    ...overrides,
  };
}

const open = { phase: 'open' as const };

describe('freshnessOf', () => {
  it.each([
    ['live within 3× cadence', account(), open, 13_000, 'live', undefined],
    ['stale just past 3× cadence', account(), open, 13_001, 'stale', undefined],
    ['waiting before any figure', account({ lastGood: null }), open, 13_000, 'waiting', undefined],
    [
      'the browser lost the proxy',
      account(),
      { phase: 'waiting' as const, reason: 'closed (code 1006)' },
      10_000,
      'offline',
      'closed (code 1006)',
    ],
    [
      'upstream reconnecting, with the proxy reason',
      account({ status: { state: 'reconnecting', detail: 'upstream closed: 1006', at: 1 } }),
      open,
      10_000,
      'reconnecting',
      'upstream closed: 1006',
    ],
    [
      'auth failed',
      account({ status: { state: 'auth_failed', detail: 'HTTP 401 Invalid Signature', at: 1 } }),
      open,
      10_000,
      'auth_failed',
      'HTTP 401 Invalid Signature',
    ],
    [
      'error',
      account({ status: { state: 'error', detail: 'bad config', at: 1 } }),
      open,
      10_000,
      'error',
      'bad config',
    ],
    [
      'proxy says stale',
      account({ status: { state: 'stale', at: 1 } }),
      open,
      10_000,
      'proxy-stale',
      undefined,
    ],
    [
      'connecting with replayed figures',
      account({ status: { state: 'connecting', at: 1 } }),
      open,
      10_500,
      'connecting',
      undefined,
    ],
    [
      'a newer message was rejected',
      account({
        rejection: {
          channel: 'risk',
          at: 10_500,
          recoveredAt: null,
          exchange: 'fakex',
          field: 'level',
          message: 'x',
        },
      }),
      open,
      11_000,
      'rejected',
      undefined,
    ],
    [
      'a rejected message whose channel recovered',
      account({
        lastGood: { channel: 'risk', at: 10_700, staleAfterMs: 3000 },
        rejection: {
          channel: 'risk',
          at: 10_500,
          recoveredAt: 10_700,
          exchange: 'fakex',
          field: 'level',
          message: 'x',
        },
      }),
      open,
      11_000,
      'live',
      undefined,
    ],
  ])('%s', (_name, state, socket, now, kind, reason) => {
    const f = freshnessOf(state, socket, now);
    expect(f.kind).toBe(kind);
    expect(f.live).toBe(kind === 'live');
    expect(f.reason).toBe(reason);
    expect(f.since).toBe(state.lastGood?.at ?? null);
  });
});

describe('before the proxy is known', () => {
  const fresh = account({ lastGood: { channel: 'risk', at: 10_000, staleAfterMs: 3000 } });

  it('says "starting" during the very first connection attempt, "offline" after one failed', () => {
    expect(freshnessOf(fresh, { phase: 'connecting', attempt: 0 }, 10_000).kind).toBe('starting');
    expect(freshnessOf(fresh, { phase: 'connecting', attempt: 1 }, 10_000).kind).toBe('offline');
    expect(freshnessOf(fresh, { phase: 'waiting', attempt: 1 }, 10_000).kind).toBe('offline');
  });

  it.each([
    ['recent figures', 10_500],
    ['figures that would be stale by the browser clock', 99_000],
  ])('calls %s neither live nor stale until the proxy clock is known', (_name, now) => {
    const f = freshnessOf(fresh, open, now, false);
    expect(f).toEqual({ kind: 'starting', live: false, since: 10_000, reason: 'checking its clock' });
    expect(freshnessOf(fresh, open, now, true).kind).toBe(now === 10_500 ? 'live' : 'stale');
  });

  it('still says what the proxy reports while its clock is not known', () => {
    const failing = account({ status: { state: 'auth_failed', detail: 'HTTP 401', at: 1 } });
    expect(freshnessOf(failing, open, 10_000, false).kind).toBe('auth_failed');
    expect(freshnessOf(account({ lastGood: null }), open, 10_000, false).kind).toBe('waiting');
  });
});

describe('lacksCurrentFigures', () => {
  it.each([
    ['live', false],
    ['starting', false],
    ['connecting', false],
    ['reconnecting', false],
    ['rejected', false],
    ['stale', true],
    ['proxy-stale', true],
    ['auth_failed', true],
    ['error', true],
    ['waiting', true],
    ['offline', true],
  ] as const)('%s → %s', (kind, expected) => {
    expect(lacksCurrentFigures({ kind, live: kind === 'live', since: 1 })).toBe(expected);
  });
});
