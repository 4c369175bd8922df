import { describe, expect, it } from 'vitest';
import { parseAccounts, parseRawMessages } from './accounts.ts';

describe('parseAccounts', () => {
  it('reads thresholds as exact decimals and the status in either form', () => {
    const [a, b] = parseAccounts([
      {
        id: 'b2prime-main',
        exchange: 'b2prime',
        label: 'B2Prime',
        thresholds: { marginCall: '1.0', liquidation: '0.50' },
        status: 'live',
        pollSeconds: 5,
      },
      { id: 'valr', exchange: 'valr', label: 'VALR', status: { state: 'auth_failed', detail: 'HTTP 401' } },
    ]);
    expect(a?.thresholds?.marginCall?.toFixed()).toBe('1');
    expect(a?.thresholds?.liquidation?.toFixed(2)).toBe('0.50');
    expect(a?.thresholds?.takeover).toBeUndefined();
    expect(a?.status).toEqual({ state: 'live' });
    expect(a?.pollSeconds).toBe(5);
    expect(b?.status).toEqual({ state: 'auth_failed', detail: 'HTTP 401' });
    // Without the exchange's display name, the id stands in for it.
    expect([a?.exchangeName, b?.exchangeName]).toEqual(['b2prime', 'valr']);
  });

  it('takes the display name and unit the proxy gives', () => {
    const [a] = parseAccounts([
      {
        id: 'b',
        exchange: 'b2prime',
        exchangeName: 'B2Prime',
        unit: { name: 'Margin level', kind: 'percent' },
        label: 'B',
      },
    ]);
    expect(a).toEqual({
      id: 'b',
      exchange: 'b2prime',
      exchangeName: 'B2Prime',
      unit: { name: 'Margin level', kind: 'percent' },
      label: 'B',
    });
  });

  it('says where the response is wrong', () => {
    expect(() =>
      parseAccounts([{ id: 'x', exchange: 'valr', label: 'X', thresholds: { liquidation: 1.1 } }]),
    ).toThrow(/at 0\.thresholds\.liquidation/);
    expect(() => parseAccounts({})).toThrow(/unexpected \/api\/accounts response/);
  });
});

describe('parseRawMessages', () => {
  it('keeps each payload as received, and says where the body is wrong', () => {
    const body = {
      accountId: 'a',
      messages: [{ channel: 'c', receivedAt: 3, outcome: 'error', payload: 'not { json' }],
    };
    expect(parseRawMessages(body)).toEqual(body);
    expect(() => parseRawMessages({ accountId: 'a', messages: [{ channel: 'c' }] })).toThrow(
      /at messages\.0\.receivedAt/,
    );
  });
});
