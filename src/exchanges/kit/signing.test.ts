import { describe, expect, it } from 'vitest';
import type { AccountConfig } from '../server-types.ts';
import { constantTimeEqual, KeyedLock, requestPathOf, requiredCredential } from './signing.ts';
import { pause } from './testing/session-harness.ts';

describe('KeyedLock', () => {
  it('grants one holder per key, in the order asked; other keys run alongside', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      lock.run(key, async () => {
        order.push(`${name}+`);
        await pause(ms);
        order.push(`${name}-`);
        return name;
      });
    const results = await Promise.all([
      job('a', 'a1', 30),
      job('a', 'a2', 1),
      job('a', 'a3', 1),
      job('b', 'b1', 1),
    ]);
    expect(results).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(order.filter((e) => e.startsWith('a'))).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    expect(order.indexOf('b1-')).toBeLessThan(order.indexOf('a1-'));
    expect(lock.isHeld('a')).toBe(false);
  });

  it('releases after a failing task', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.run('k', async () => 'next')).toBe('next');
  });

  it('a waiter whose signal aborts gets null and leaves the queue', async () => {
    const lock = new KeyedLock();
    const release = await lock.acquire('k');
    const controller = new AbortController();
    const waiting = lock.acquire('k', controller.signal);
    controller.abort();
    expect(await waiting).toBeNull();
    await expect(lock.run('k', async () => 1, controller.signal)).rejects.toThrow('stopped');
    release?.();
    release?.();
    expect(lock.isHeld('k')).toBe(false);
    expect(await lock.run('k', async () => 'free')).toBe('free');
  });
});

describe('signing helpers', () => {
  it.each([
    ['https://api.bitso.com/margin_trading/v1alpha/account', '/margin_trading/v1alpha/account'],
    [
      'https://api.bitso.com/margin_trading/v1alpha/movements?page_size=50&page_token=abc',
      '/margin_trading/v1alpha/movements?page_size=50&page_token=abc',
    ],
    ['http://127.0.0.1:4000/margin_trading/v1alpha/loans?', '/margin_trading/v1alpha/loans'],
    [
      'https://api.valr.com/v1/account/balances?excludeZeroBalances=true',
      '/v1/account/balances?excludeZeroBalances=true',
    ],
  ])('requestPathOf(%s) = %s', (url, path) => {
    expect(requestPathOf(new URL(url))).toBe(path);
  });

  it('requiredCredential names a missing field, never a value', () => {
    const account: AccountConfig = {
      id: 'acc-1',
      exchange: 'demo',
      label: 'Demo',
      credentials: { apiKey: 'k', apiSecret: '' },
      endpoints: { rest: 'https://example.invalid' },
      pollSeconds: 5,
      options: {},
    };
    expect(requiredCredential(account, 'apiKey')).toBe('k');
    expect(() => requiredCredential(account, 'apiSecret')).toThrow(
      'account acc-1: credentials.apiSecret is missing',
    );
    expect(() => requiredCredential(account, 'identity')).toThrow(
      'account acc-1: credentials.identity is missing',
    );
  });
});

describe('constantTimeEqual', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', '', true],
    ['', 'x', false],
    ['é', 'é', true],
  ])('%j vs %j → %s', (a, b, same) => {
    expect(constantTimeEqual(a, b)).toBe(same);
  });
});
