import { describe, expect, it, vi } from 'vitest';
import { accountInfo, fakeModule, riskFrame, TestProxy } from '../app/testing/fake-exchange.ts';
import type { FrameScheduler } from './frame-batcher.ts';
import { MarginStores } from './margin-stores.ts';

/** Runs nothing by itself; the test flushes. */
const never: FrameScheduler = { schedule: () => () => {} };

describe('MarginStores', () => {
  it('files snapshot frames by account at once, whatever the exchange, before the account list arrives', () => {
    const proxy = new TestProxy(
      [fakeModule('fakex'), fakeModule('fakey', 'FakeY')],
      [accountInfo('x1', 'fakex'), accountInfo('y1', 'fakey')],
    );
    const stores = new MarginStores(never);
    for (const frame of proxy.frames(riskFrame('y1', '2.5', 100))) stores.frameReceived(frame);
    stores.frameReceived({ type: 'status', accountId: 'y1', state: 'live', at: 100 });
    stores.flushAll();
    expect(stores.account('y1')?.snapshot?.level).toMatchObject({ text: '2.5' });
    expect(stores.account('y1')?.snapshot?.exchange).toBe('fakey');
    expect(stores.account('y1')?.status?.state).toBe('live');

    stores.accountsLoaded([
      { ...accountInfo('x1', 'fakex'), status: { state: 'connecting', at: 1 } },
      { ...accountInfo('y1', 'fakey'), status: { state: 'connecting', at: 1 } },
    ]);
    stores.flushAll();
    // The list's status is only a start: the stream's word stands.
    expect(stores.account('y1')?.status?.state).toBe('live');
    expect(stores.account('x1')).toMatchObject({ snapshot: null, status: { state: 'connecting' } });

    for (const frame of proxy.frames(riskFrame('x1', '1.25', 200))) stores.frameReceived(frame);
    stores.flushAll();
    expect(stores.account('x1')?.snapshot?.level).toMatchObject({ text: '1.25' });
  });

  it('learns the proxy clock from pings, not from status times (a replayed status is old)', () => {
    const stores = new MarginStores(never);
    stores.accountsLoaded([accountInfo('a')]);
    const now = Date.now();
    stores.frameReceived({ type: 'status', accountId: 'a', state: 'live', at: now - 60_000 });
    expect(stores.connection.getState()).toMatchObject({ clockOffsetMs: 0, clockKnown: false });
    stores.frameReceived({ type: 'ping', at: now + 5_000 });
    expect(Math.round(stores.connection.getState().clockOffsetMs / 1000)).toBe(5);
    expect(stores.connection.getState().clockKnown).toBe(true);
  });

  it('knows the clock after the first ping even when it agrees with the browser to the millisecond', () => {
    const stores = new MarginStores(never);
    stores.frameReceived({ type: 'ping', at: Date.now() });
    expect(stores.connection.getState().clockKnown).toBe(true);
  });

  it('commits a burst across accounts and exchanges in one frame callback (one React commit per frame)', () => {
    const runs: (() => void)[] = [];
    const scheduler: FrameScheduler = {
      schedule(run) {
        runs.push(run);
        return () => {};
      },
    };
    const proxy = new TestProxy(
      [fakeModule('fakex'), fakeModule('fakey', 'FakeY')],
      [accountInfo('x1', 'fakex'), accountInfo('y1', 'fakey')],
    );
    const stores = new MarginStores(scheduler);
    stores.accountsLoaded([accountInfo('x1', 'fakex'), accountInfo('y1', 'fakey')]);
    runs.splice(0).forEach((run) => run());
    let commits = 0;
    stores.subscribeAll(() => (commits += 1));
    for (let i = 0; i < 20; i += 1) {
      const frames = proxy.frames(riskFrame('x1', `2.${i}`, 1000 + i), riskFrame('y1', `3.${i}`, 1000 + i));
      for (const frame of frames) stores.frameReceived(frame);
    }
    expect(runs).toHaveLength(1);
    expect(commits).toBe(0);
    runs[0]?.();
    expect(commits).toBe(1);
    expect(stores.account('x1')?.snapshot?.level).toMatchObject({ text: '2.19' });
    expect(stores.account('y1')?.snapshot?.level).toMatchObject({ text: '3.19' });
    stores.dispose();
  });

  it('drops what is queued on dispose', () => {
    const cancel = vi.fn();
    const stores = new MarginStores({ schedule: () => cancel });
    stores.accountsLoaded([accountInfo('a')]);
    stores.dispose();
    expect(cancel).toHaveBeenCalledOnce();
    stores.flushAll();
    expect(stores.account('a')).toBeUndefined();
  });
});
