// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { messageFrame, TestProxy } from '../app/testing/fake-exchange.ts';
import { dec } from '../domain/decimal.ts';
import { browserScheduler, FrameBatcher, HIDDEN_FLUSH_MS, type FrameScheduler } from './frame-batcher.ts';
import { MarginStores } from './margin-stores.ts';
import { createSnapshotStore, reduceSnapshotEvents, type SnapshotEvent } from './snapshot-store.ts';

/** A scheduler the test drives by hand: `frame()` runs what was scheduled. */
function manualScheduler() {
  let pending: (() => void) | null = null;
  let scheduled = 0;
  const scheduler: FrameScheduler = {
    schedule(run) {
      scheduled += 1;
      pending = run;
      return () => {
        pending = null;
      };
    },
  };
  return {
    scheduler,
    frame() {
      const run = pending;
      pending = null;
      run?.();
    },
    get scheduled() {
      return scheduled;
    },
  };
}

/**
 * Snapshot events for exchange messages, as the proxy (its reader over the fake exchange) would send them; one
 * proxy per test, so an account's snapshot builds up across calls like it does on the proxy.
 */
function reader() {
  const proxy = new TestProxy();
  return (accountId: string, channel: string, payload: unknown, receivedAt: number): SnapshotEvent[] =>
    proxy
      .frames(messageFrame(accountId, channel, payload, receivedAt))
      .flatMap((frame) => (frame.type === 'snapshot' ? [{ type: 'snapshotReceived' as const, frame }] : []));
}

describe('coalescing', () => {
  it('commits a burst of frames once per frame', () => {
    const clock = manualScheduler();
    const snapshots = createSnapshotStore(clock.scheduler);
    const message = reader();
    const commits = vi.fn();
    snapshots.store.subscribe(commits);
    for (let i = 0; i < 50; i += 1) {
      for (const event of message(
        i % 2 ? 'a' : 'b',
        'risk',
        { level: `1.${i}`, liquidation: '1.1' },
        1000 + i,
      )) {
        if (event.type === 'snapshotReceived') snapshots.snapshotReceived(event.frame);
      }
    }
    expect(commits).not.toHaveBeenCalled();
    expect(clock.scheduled).toBe(1);
    clock.frame();
    expect(commits).toHaveBeenCalledTimes(1);
    const accounts = snapshots.store.getState().accounts;
    expect(accounts.a?.snapshot?.level).toMatchObject({ text: '1.49' });
    expect(accounts.b?.snapshot?.level).toMatchObject({ text: '1.48' });
    // The next burst schedules the next frame.
    snapshots.statusChanged({ accountId: 'a', state: 'live', at: 5000 });
    expect(clock.scheduled).toBe(2);
    clock.frame();
    expect(commits).toHaveBeenCalledTimes(2);
  });

  it('uses animation frames while visible and a slow timer while hidden', () => {
    vi.useFakeTimers();
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => frames.push(cb));
    vi.stubGlobal('cancelAnimationFrame', vi.fn());
    const commit = vi.fn();
    const batcher = new FrameBatcher<number>(commit, browserScheduler);
    batcher.push(1);
    batcher.push(2);
    expect(frames).toHaveLength(1);
    frames[0]?.(0);
    expect(commit).toHaveBeenCalledWith([1, 2]);

    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    batcher.push(3);
    expect(frames).toHaveLength(1);
    vi.advanceTimersByTime(HIDDEN_FLUSH_MS - 1);
    expect(commit).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(commit).toHaveBeenLastCalledWith([3]);
    visibility.mockRestore();
  });

  it('flushes queued events when the page visibility changes (hidden tabs pause frames)', () => {
    const clock = manualScheduler();
    const stores = new MarginStores(clock.scheduler);
    const [event] = reader()('a', 'risk', { level: '3' }, 1);
    if (event?.type === 'snapshotReceived') stores.frameReceived(event.frame);
    expect(stores.account('a')).toBeUndefined();
    document.dispatchEvent(new Event('visibilitychange'));
    expect(stores.account('a')?.snapshot?.level).toMatchObject({ text: '3' });
    stores.dispose();
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('reduceSnapshotEvents', () => {
  const empty = { accounts: {} };

  it('keeps untouched accounts identical (narrow selectors stay asleep)', () => {
    const message = reader();
    const s1 = reduceSnapshotEvents(empty, [
      ...message('a', 'risk', { level: '2.00', liquidation: '1.1' }, 1),
      ...message('b', 'risk', { level: '3.00', liquidation: '1.1' }, 1),
    ]);
    const s2 = reduceSnapshotEvents(s1, message('a', 'risk', { level: '1.90', liquidation: '1.1' }, 2));
    expect(s2.accounts.b).toBe(s1.accounts.b);
    expect(s2.accounts.a).not.toBe(s1.accounts.a);
    expect(s2.accounts.a?.snapshot?.cushion?.toFixed(6)).toBe(
      dec('1').minus(dec('1.1').div('1.9')).toFixed(6),
    );
  });

  it('takes the newest frame to arrive as the reading, even when its message was stamped earlier', () => {
    const message = reader();
    const s1 = reduceSnapshotEvents(empty, [
      ...message('a', 'risk', { level: '2' }, 20),
      // A poll answered late: stamped before the push, folded in after it by the proxy.
      ...message('a', 'balances', { rows: [{ currency: 'BTC', total: '1' }] }, 10),
    ]);
    expect(s1.accounts.a?.snapshot?.level).toMatchObject({ text: '2' });
    expect(s1.accounts.a?.snapshot?.balances?.[0]?.currency).toBe('BTC');
  });

  it('keeps the last good figures on a rejected message and marks it recovered on the next good one', () => {
    const message = reader();
    const s1 = reduceSnapshotEvents(empty, message('a', 'risk', { level: '1.80', liquidation: '1.1' }, 10));
    const s2 = reduceSnapshotEvents(s1, message('a', 'risk', { level: 1.7 }, 20));
    const a2 = s2.accounts.a;
    expect(a2?.snapshot?.level).toMatchObject({ text: '1.80' });
    expect(a2?.lastGood).toEqual({ channel: 'risk', at: 10, staleAfterMs: 3000 });
    expect(a2?.rejection).toEqual({
      exchange: 'fakex',
      channel: 'risk',
      field: 'level',
      message: 'expected a decimal string, got the number 1.7',
      at: 20,
      recoveredAt: null,
    });
    const s3 = reduceSnapshotEvents(s2, message('a', 'risk', { level: '1.75', liquidation: '1.1' }, 30));
    expect(s3.accounts.a?.rejection).toMatchObject({ channel: 'risk', at: 20, recoveredAt: 30 });
    expect(s3.accounts.a?.lastGood).toEqual({ channel: 'risk', at: 30, staleAfterMs: 3000 });
  });

  it('a good message on another channel does not count as recovery', () => {
    const message = reader();
    const s1 = reduceSnapshotEvents(empty, [
      ...message('a', 'risk', { level: '1.80' }, 10),
      ...message('a', 'risk', { level: 1.7 }, 20),
      ...message('a', 'balances', { rows: [] }, 40),
    ]);
    expect(s1.accounts.a?.rejection?.recoveredAt).toBeNull();
  });

  it('merges balances from another channel without moving the headline freshness', () => {
    const message = reader();
    const s = reduceSnapshotEvents(empty, [
      ...message('a', 'risk', { level: '2' }, 10),
      ...message('a', 'balances', { rows: [{ currency: 'BTC', total: '0.50000000' }] }, 20),
    ]);
    expect(s.accounts.a?.lastGood).toEqual({ channel: 'risk', at: 10, staleAfterMs: 3000 });
    expect(s.accounts.a?.snapshot?.balances?.[0]).toMatchObject({ currency: 'BTC', decimals: 8 });
    expect(s.accounts.a?.snapshot?.balances?.[0]?.total?.toFixed()).toBe('0.5');
  });

  it('keeps the level snapshot of the newest level message, stamped with its time; other channels leave it', () => {
    const message = reader();
    const s1 = reduceSnapshotEvents(empty, message('a', 'risk', { level: '2.50', liquidation: '1.1' }, 10));
    const level1 = s1.accounts.a?.levelSnapshot;
    expect(level1).toMatchObject({ time: 10, level: { text: '2.50' } });
    const s2 = reduceSnapshotEvents(
      s1,
      message('a', 'balances', { rows: [{ currency: 'BTC', total: '1' }] }, 500),
    );
    expect(s2.accounts.a?.snapshot?.time).toBe(500);
    expect(s2.accounts.a?.levelSnapshot).toBe(level1);
    const s3 = reduceSnapshotEvents(s2, message('a', 'risk', { level: '2.40', liquidation: '1.1' }, 1000));
    expect(s3.accounts.a?.levelSnapshot).toMatchObject({ time: 1000, level: { text: '2.40' } });
  });

  it('records statuses, ignoring older ones', () => {
    const s1 = reduceSnapshotEvents(empty, [
      {
        type: 'statusChanged',
        accountId: 'a',
        state: 'reconnecting',
        detail: 'upstream closed (1006)',
        at: 20,
      },
      { type: 'statusChanged', accountId: 'a', state: 'live', at: 10 },
    ]);
    expect(s1.accounts.a?.status).toEqual({
      state: 'reconnecting',
      detail: 'upstream closed (1006)',
      at: 20,
    });
  });

  it('takes the status of the account list only until the stream says something', () => {
    const s1 = reduceSnapshotEvents(empty, [
      {
        type: 'accountsLoaded',
        accounts: [{ id: 'a', status: { state: 'auth_failed', detail: 'HTTP 401' } }],
      },
    ]);
    expect(s1.accounts.a?.status).toEqual({ state: 'auth_failed', detail: 'HTTP 401', at: 0 });
    const s2 = reduceSnapshotEvents(s1, [{ type: 'statusChanged', accountId: 'a', state: 'live', at: 5 }]);
    const s3 = reduceSnapshotEvents(s2, [
      { type: 'accountsLoaded', accounts: [{ id: 'a', status: { state: 'connecting', at: 1 } }] },
    ]);
    expect(s3).toBe(s2);
  });
});
