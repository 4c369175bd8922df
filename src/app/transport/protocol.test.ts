import { describe, expect, it } from 'vitest';
import { parseAccounts, parseStreamFrame } from './protocol.ts';

describe('parseStreamFrame', () => {
  it.each([
    ['{"type":"ping","at":1}', { type: 'ping', at: 1 }],
    [
      '{"type":"status","accountId":"a","state":"auth_failed","detail":"HTTP 401","at":2}',
      { type: 'status', accountId: 'a', state: 'auth_failed', detail: 'HTTP 401', at: 2 },
    ],
    [
      '{"type":"message","accountId":"a","channel":"c","receivedAt":3,"payload":"raw text"}',
      { type: 'message', accountId: 'a', channel: 'c', receivedAt: 3, payload: 'raw text' },
    ],
    ['{"type":"status","accountId":"a","state":"sleeping","at":2}', null],
    ['{"type":"message","accountId":"a"}', null],
    ['[1,2]', null],
    ['not json', null],
  ])('%s', (text, expected) => {
    expect(parseStreamFrame(text)).toEqual(expected);
  });
});

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
  });

  it('says where the response is wrong', () => {
    expect(() =>
      parseAccounts([{ id: 'x', exchange: 'valr', label: 'X', thresholds: { liquidation: 1.1 } }]),
    ).toThrow(/at 0\.thresholds\.liquidation/);
    expect(() => parseAccounts({})).toThrow(/unexpected \/api\/accounts response/);
  });
});
