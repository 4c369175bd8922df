import { describe, expect, it } from 'vitest';
import { T0, bucket, history } from './testing/history.ts';
import { historyResponseSchema } from './history.ts';

describe('historyResponseSchema', () => {
  it('accepts what the proxy sends and keeps decimals as strings', () => {
    const body = history([bucket(T0, '1.7000')]);
    const parsed = historyResponseSchema.parse(JSON.parse(JSON.stringify(body)));
    expect(parsed).toEqual(body);
    expect(parsed.buckets[0]?.last).toEqual({ kind: 'value', text: '1.7000' });
  });

  const bad: [string, unknown, string, string?][] = [
    ['a number level', { ...bucket(T0, '1.7'), last: { kind: 'value', text: 1.7 } }, 'buckets.0.last.text'],
    ['an exponent', { ...bucket(T0, '1.7'), min: { kind: 'value', text: '1e3' } }, 'buckets.0.min.text'],
    ['an unknown zone', { ...bucket(T0, '1.7'), zone: 'danger' }, 'buckets.0.zone'],
    ['a missing profile', { ...bucket(T0, '1.7'), profile: 3 }, 'buckets', 'a bucket refers to a profile'],
  ];
  it.each(bad)('rejects %s, naming the field', (_, broken, path, message) => {
    const result = historyResponseSchema.safeParse({ ...history([]), buckets: [broken] });
    const issue = result.error?.issues[0];
    expect(issue?.path.join('.')).toBe(path);
    if (message) expect(issue?.message).toContain(message);
  });
});
