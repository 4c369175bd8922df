// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeModule } from '../app/testing/fake-exchange.ts';
import { dec } from '../domain/decimal.ts';
import { createExchangeStore, reduceExchangeEvents, type ExchangeEvent } from './exchange-store.ts';
import { browserScheduler, FrameBatcher, HIDDEN_FLUSH_MS, type FrameScheduler } from './frame-batcher.ts';
import { MarginStores } from './margin-stores.ts';

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

const module = fakeModule();

function message(accountId: string, channel: string, payload: unknown, receivedAt: number): ExchangeEvent {
  return { type: 'messageReceived', accountId, channel, payload, receivedAt, origin: 'stream' };
}

describe('coalescing', () => {
  it('commits a burst of messages once per frame', () => {
    const clock = manualScheduler();
    const exchange = createExchangeStore(module, clock.scheduler);
    const commits = vi.fn();
    exchange.store.subscribe(commits);
    for (let i = 0; i < 50; i += 1) {
      exchange.messageReceived({
        accountId: i % 2 ? 'a' : 'b',
        channel: 'risk',
        payload: { level: `1.${i}`, liquidation: '1.1' },
        receivedAt: 1000 + i,
        origin: 'stream',
      });
    }
    expect(commits).not.toHaveBeenCalled();
    expect(clock.scheduled).toBe(1);
    clock.frame();
    expect(commits).toHaveBeenCalledTimes(1);
    const accounts = exchange.store.getState().accounts;
    expect(accounts.a?.snapshot?.level).toMatchObject({ text: '1.49' });
    expect(accounts.b?.snapshot?.level).toMatchObject({ text: '1.48' });
    // The next burst schedules the next frame.
    exchange.messageReceived({
      accountId: 'a',
      channel: 'risk',
      payload: { level: '2' },
      receivedAt: 5000,
      origin: 'stream',
    });
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
    const stores = new MarginStores([module], clock.scheduler);
    stores.accountsLoaded([{ id: 'a', exchange: 'fakex', label: 'A' }]);
    stores.frameReceived({
      type: 'message',
      accountId: 'a',
      channel: 'risk',
      receivedAt: 1,
      payload: { level: '3' },
    });
    const store = stores.storeFor('fakex')?.store;
    expect(store?.getState().accounts.a?.snapshot).toBeUndefined();
    document.dispatchEvent(new Event('visibilitychange'));
    expect(store?.getState().accounts.a?.snapshot?.level).toMatchObject({ text: '3' });
    stores.dispose();
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('reduceExchangeEvents', () => {
  const empty = { accounts: {} };

  it('keeps untouched accounts identical (narrow selectors stay asleep)', () => {
    const s1 = reduceExchangeEvents(module, empty, [
      message('a', 'risk', { level: '2.00', liquidation: '1.1' }, 1),
      message('b', 'risk', { level: '3.00', liquidation: '1.1' }, 1),
    ]);
    const s2 = reduceExchangeEvents(module, s1, [
      message('a', 'risk', { level: '1.90', liquidation: '1.1' }, 2),
    ]);
    expect(s2.accounts.b).toBe(s1.accounts.b);
    expect(s2.accounts.a).not.toBe(s1.accounts.a);
    expect(s2.accounts.a?.snapshot?.cushion?.toFixed(6)).toBe(
      dec('1').minus(dec('1.1').div('1.9')).toFixed(6),
    );
  });

  it('ignores replays and older messages of a channel', () => {
    const s1 = reduceExchangeEvents(module, empty, [message('a', 'risk', { level: '2' }, 10)]);
    const s2 = reduceExchangeEvents(module, s1, [
      message('a', 'risk', { level: '2' }, 10),
      message('a', 'risk', { level: '9' }, 5),
    ]);
    expect(s2).toBe(s1);
  });

  it('keeps the last good figures on a rejected message and marks it recovered on the next good one', () => {
    const s1 = reduceExchangeEvents(module, empty, [
      message('a', 'risk', { level: '1.80', liquidation: '1.1' }, 10),
    ]);
    const s2 = reduceExchangeEvents(module, s1, [message('a', 'risk', { level: 1.7 }, 20)]);
    const a2 = s2.accounts.a;
    expect(a2?.snapshot?.level).toMatchObject({ text: '1.80' });
    expect(a2?.lastGood).toEqual({ channel: 'risk', at: 10 });
    expect(a2?.rejection).toEqual({
      channel: 'risk',
      at: 20,
      recoveredAt: null,
      error: {
        exchange: 'fakex',
        channel: 'risk',
        field: 'level',
        message: 'expected a decimal string, got the number 1.7',
      },
    });
    expect(a2?.raw.risk).toMatchObject({ receivedAt: 20, outcome: 'error', payload: { level: 1.7 } });
    const s3 = reduceExchangeEvents(module, s2, [
      message('a', 'risk', { level: '1.75', liquidation: '1.1' }, 30),
    ]);
    expect(s3.accounts.a?.rejection).toMatchObject({ channel: 'risk', at: 20, recoveredAt: 30 });
    // A good message on another channel does not count as recovery.
    const s4 = reduceExchangeEvents(module, s2, [message('a', 'balances', { rows: [] }, 40)]);
    expect(s4.accounts.a?.rejection?.recoveredAt).toBeNull();
    expect(s3.accounts.a?.lastGood).toEqual({ channel: 'risk', at: 30 });
  });

  it('turns an exception thrown by a parser into a rejection', () => {
    const throwing = {
      ...module,
      normalize: () => {
        throw new Error('boom');
      },
    };
    const s = reduceExchangeEvents(throwing, empty, [message('a', 'risk', {}, 1)]);
    expect(s.accounts.a?.rejection?.error).toEqual({
      exchange: 'fakex',
      channel: 'risk',
      field: '(message)',
      message: 'could not be read: boom',
    });
  });

  it('merges balances from another channel without moving the headline freshness', () => {
    const s = reduceExchangeEvents(module, empty, [
      message('a', 'risk', { level: '2' }, 10),
      message('a', 'balances', { rows: [{ currency: 'BTC', total: '0.50000000' }] }, 20),
    ]);
    expect(s.accounts.a?.lastGood).toEqual({ channel: 'risk', at: 10 });
    expect(s.accounts.a?.snapshot?.balances?.[0]).toMatchObject({ currency: 'BTC', decimals: 8 });
    expect(s.accounts.a?.snapshot?.balances?.[0]?.total?.toFixed()).toBe('0.5');
  });

  it('keeps the level snapshot of the newest level message, stamped with its time; other channels leave it', () => {
    const s1 = reduceExchangeEvents(module, empty, [
      message('a', 'risk', { level: '2.50', liquidation: '1.1' }, 10),
    ]);
    const level1 = s1.accounts.a?.levelSnapshot;
    expect(level1).toMatchObject({ time: 10, level: { text: '2.50' } });
    const s2 = reduceExchangeEvents(module, s1, [
      message('a', 'balances', { rows: [{ currency: 'BTC', total: '1' }] }, 500),
    ]);
    expect(s2.accounts.a?.snapshot?.time).toBe(500);
    expect(s2.accounts.a?.levelSnapshot).toBe(level1);
    const s3 = reduceExchangeEvents(module, s2, [
      {
        type: 'messageReceived',
        accountId: 'a',
        channel: 'balances',
        payload: { rows: [] },
        receivedAt: 900,
        origin: 'rest',
      },
    ]);
    expect(s3.accounts.a?.levelSnapshot).toBe(level1);
    const s4 = reduceExchangeEvents(module, s3, [
      message('a', 'risk', { level: '2.40', liquidation: '1.1' }, 1000),
    ]);
    expect(s4.accounts.a?.levelSnapshot).toMatchObject({ time: 1000, level: { text: '2.40' } });
  });

  it('records statuses, ignoring older ones', () => {
    const s1 = reduceExchangeEvents(module, empty, [
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

  it('re-reads the latest messages when config thresholds arrive', () => {
    const s1 = reduceExchangeEvents(module, empty, [message('a', 'risk', { level: '1.30' }, 10)]);
    expect(s1.accounts.a?.snapshot?.zone).toBe('unknown');
    const s2 = reduceExchangeEvents(module, s1, [
      {
        type: 'accountsLoaded',
        accounts: [
          { id: 'a', thresholds: { marginCall: dec('1.5'), liquidation: dec('1.2') }, pollSeconds: 7 },
        ],
      },
    ]);
    const a = s2.accounts.a;
    expect(a?.snapshot?.zone).toBe('caution');
    expect(a?.snapshot?.bands.map((b) => `${b.kind}:${b.threshold.toFixed()}:${b.source}`)).toEqual([
      'caution:1.5:config',
      'liquidation:1.2:config',
    ]);
    expect(a?.pollSeconds).toBe(7);
    expect(a?.lastGood).toEqual({ channel: 'risk', at: 10 });
    // The same settings again change nothing.
    const s3 = reduceExchangeEvents(module, s2, [
      {
        type: 'accountsLoaded',
        accounts: [
          { id: 'a', thresholds: { marginCall: dec('1.50'), liquidation: dec('1.2') }, pollSeconds: 7 },
        ],
      },
    ]);
    expect(s3).toBe(s2);
  });
});
