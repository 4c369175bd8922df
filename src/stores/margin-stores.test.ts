import { describe, expect, it } from 'vitest';
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
    expect(stores.connection.getState().clockOffsetMs).toBe(0);
    stores.frameReceived({ type: 'ping', at: now + 5_000 });
    expect(Math.round(stores.connection.getState().clockOffsetMs / 1000)).toBe(5);
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
