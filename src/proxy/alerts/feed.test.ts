import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { MarginSnapshot } from '../../domain/model.ts';
import type { ParseOutcome } from '../../exchanges/types.ts';
import { createAlertFeed } from './feed.ts';

/** A normalizer reading {level} on channel "risk", with a liquidation line from the thresholds. */
function normalize(
  channel: string,
  payload: unknown,
  ctx: { accountId: string; receivedAt: number },
): ParseOutcome {
  if (channel !== 'risk') return { kind: 'ignored', reason: 'other channel' };
  const level = (payload as { level?: unknown }).level;
  if (typeof level !== 'string') {
    return { kind: 'error', error: { exchange: 'fake', channel, field: 'level', message: 'missing' } };
  }
  return {
    kind: 'update',
    update: {
      accountId: ctx.accountId,
      exchange: 'fake',
      channel,
      time: ctx.receivedAt,
      risk: {
        level: { kind: 'value', value: dec(level), text: level },
        unit: { name: 'Ratio', kind: 'ratio' },
        bands: [{ kind: 'liquidation', threshold: dec('1.1'), label: 'liquidation', source: 'config' }],
      },
    },
  };
}

describe('alert feed', () => {
  it('folds each update into the account snapshot and hands it to the service', () => {
    const seen: [string, MarginSnapshot][] = [];
    const feed = createAlertFeed({
      service: { onSnapshot: (id, s) => seen.push([id, s]) },
      normalizeFor: (id) => (id === 'a' ? { normalize } : undefined),
    });
    feed.message('a', 'risk', { level: '1.375' }, 1000);
    feed.message('a', 'other', {}, 1001);
    feed.message('a', 'risk', { nope: 1 }, 1002);
    feed.message('b', 'risk', { level: '2' }, 1003);
    expect(seen.map(([id, s]) => [id, s.level?.text, s.zone, s.cushion?.toFixed()])).toEqual([
      ['a', '1.375', 'safe', '0.2'],
    ]);
    expect(feed.snapshotOf('a')?.time).toBe(1000);
  });

  it('never throws, even when the service does', () => {
    const errors: string[] = [];
    const feed = createAlertFeed({
      service: {
        onSnapshot: () => {
          throw new Error('boom');
        },
      },
      normalizeFor: () => ({ normalize }),
      log: { info: () => {}, warn: () => {}, error: (msg) => errors.push(msg) },
    });
    expect(() => feed.message('a', 'risk', { level: '1.2' }, 1)).not.toThrow();
    expect(errors).toEqual(['alerts: evaluating a message failed']);
  });
});
