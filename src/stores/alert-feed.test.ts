import { describe, expect, it } from 'vitest';
import { makeAlert } from '../contract/testing/alerts.ts';
import { DISMISSED_KEY, createAlertFeed } from './alert-feed.ts';

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
  };
}

describe('createAlertFeed', () => {
  it('keeps each live alert once, the newest 200', () => {
    const feed = createAlertFeed(() => undefined);
    feed.received(makeAlert(1, 1000));
    feed.received(makeAlert(1, 1000));
    expect(feed.state.getState().live.map((a) => a.id)).toEqual(['a1']);
    for (let n = 2; n <= 250; n += 1) feed.received(makeAlert(n, 1000 + n));
    const live = feed.state.getState().live;
    expect(live).toHaveLength(200);
    expect(live[0]?.id).toBe('a51');
  });

  it('remembers dismissals in its storage, and a new feed (a reload) reads them back', () => {
    const storage = memoryStorage();
    const feed = createAlertFeed(() => storage);
    feed.dismiss(['a1', 'a2']);
    expect(feed.state.getState().dismissed).toEqual({ a1: true, a2: true });
    expect(JSON.parse(storage.items.get(DISMISSED_KEY) ?? '[]')).toEqual(['a1', 'a2']);
    expect(createAlertFeed(() => storage).state.getState().dismissed).toEqual({ a1: true, a2: true });
  });

  it('is independent of every other feed', () => {
    const one = createAlertFeed(() => undefined);
    const two = createAlertFeed(() => undefined);
    one.received(makeAlert(1, 1000));
    expect(two.state.getState().live).toEqual([]);
  });

  it('works on when storage is refused or holds something else', () => {
    const refusing = (): Storage => {
      throw new Error('SecurityError');
    };
    const feed = createAlertFeed(refusing);
    feed.dismiss(['a1']);
    expect(feed.state.getState().dismissed).toEqual({ a1: true });
    const storage = memoryStorage();
    storage.items.set(DISMISSED_KEY, '{"not":"a list"}');
    expect(createAlertFeed(() => storage).state.getState().dismissed).toEqual({});
  });
});
