import { describe, expect, it, vi } from 'vitest';
import { accountInfo, fakeModule, riskFrame } from '../app/testing/fake-exchange.ts';
import type { FrameScheduler } from './frame-batcher.ts';
import { MarginStores } from './margin-stores.ts';

/** Runs nothing by itself; the test flushes. */
const never: FrameScheduler = { schedule: () => () => {} };

describe('MarginStores', () => {
  it('holds frames of an account until its exchange is known, then routes them to that store', () => {
    const stores = new MarginStores([fakeModule('fakex'), fakeModule('fakey', 'FakeY')], never);
    stores.frameReceived(riskFrame('y1', '2.5', 100));
    stores.frameReceived({ type: 'status', accountId: 'y1', state: 'live', at: 100 });
    stores.flushAll();
    expect(stores.account('fakey', 'y1')).toBeUndefined();

    stores.accountsLoaded([accountInfo('x1', 'fakex'), accountInfo('y1', 'fakey')]);
    stores.flushAll();
    expect(stores.account('fakey', 'y1')?.snapshot?.level).toMatchObject({ text: '2.5' });
    expect(stores.account('fakey', 'y1')?.status?.state).toBe('live');
    expect(stores.account('fakex', 'y1')).toBeUndefined();
    expect(stores.account('fakex', 'x1')?.snapshot).toBeNull();

    stores.frameReceived(riskFrame('x1', '1.25', 200));
    stores.flushAll();
    expect(stores.account('fakex', 'x1')?.snapshot?.level).toMatchObject({ text: '1.25' });
  });

  it('learns the proxy clock from pings, not from status times (a replayed status is old)', () => {
    const stores = new MarginStores([fakeModule()], never);
    stores.accountsLoaded([accountInfo('a')]);
    const now = Date.now();
    stores.frameReceived({ type: 'status', accountId: 'a', state: 'live', at: now - 60_000 });
    expect(stores.connection.getState()).toMatchObject({ clockOffsetMs: 0, clockKnown: false });
    stores.frameReceived({ type: 'ping', at: now + 5_000 });
    expect(Math.round(stores.connection.getState().clockOffsetMs / 1000)).toBe(5);
    expect(stores.connection.getState().clockKnown).toBe(true);
  });

  it('knows the clock after the first ping even when it agrees with the browser to the millisecond', () => {
    const stores = new MarginStores([fakeModule()], never);
    stores.frameReceived({ type: 'ping', at: Date.now() });
    expect(stores.connection.getState().clockKnown).toBe(true);
  });

  it('commits a burst across exchanges in one frame callback (one React commit per frame)', () => {
    const runs: (() => void)[] = [];
    const scheduler: FrameScheduler = {
      schedule(run) {
        runs.push(run);
        return () => {};
      },
    };
    const stores = new MarginStores([fakeModule('fakex'), fakeModule('fakey', 'FakeY')], scheduler);
    stores.accountsLoaded([accountInfo('x1', 'fakex'), accountInfo('y1', 'fakey')]);
    runs.splice(0).forEach((run) => run());
    const commits: string[] = [];
    stores.storeFor('fakex')?.store.subscribe(() => commits.push('fakex'));
    stores.storeFor('fakey')?.store.subscribe(() => commits.push('fakey'));
    for (let i = 0; i < 20; i += 1) {
      stores.frameReceived(riskFrame('x1', `2.${i}`, 1000 + i));
      stores.frameReceived(riskFrame('y1', `3.${i}`, 1000 + i));
    }
    expect(runs).toHaveLength(1);
    expect(commits).toEqual([]);
    runs[0]?.();
    expect(commits).toEqual(['fakex', 'fakey']);
    expect(stores.account('fakex', 'x1')?.snapshot?.level).toMatchObject({ text: '2.19' });
    expect(stores.account('fakey', 'y1')?.snapshot?.level).toMatchObject({ text: '3.19' });
    stores.dispose();
  });

  it('drops what is queued on dispose', () => {
    const cancel = vi.fn();
    const stores = new MarginStores([fakeModule()], { schedule: () => cancel });
    stores.accountsLoaded([accountInfo('a')]);
    stores.dispose();
    expect(cancel).toHaveBeenCalledOnce();
    stores.flushAll();
    expect(stores.account('fakex', 'a')).toBeUndefined();
  });

  it('drops frames of accounts on an exchange this build does not know', () => {
    const stores = new MarginStores([fakeModule()], never);
    stores.accountsLoaded([accountInfo('z', 'nowhere')]);
    stores.frameReceived(riskFrame('z', '2', 1));
    stores.flushAll();
    expect(stores.account('nowhere', 'z')).toBeUndefined();
    expect(stores.account('fakex', 'z')).toBeUndefined();
  });

  it('merges REST detail like a stream message', () => {
    const stores = new MarginStores([fakeModule()], never);
    stores.accountsLoaded([accountInfo('a')]);
    stores.restReceived('fakex', 'a', 'balances', { rows: [{ currency: 'USDT', total: '10.00' }] }, 50);
    stores.flushAll();
    const a = stores.account('fakex', 'a');
    expect(a?.raw.balances).toMatchObject({ origin: 'rest', outcome: 'update' });
    expect(a?.snapshot?.balances?.[0]?.total?.toFixed(2)).toBe('10.00');
  });
});
