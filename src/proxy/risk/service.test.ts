import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { Band, MarginSnapshot } from '../../domain/model.ts';
import { levelOf, snapshotOf } from '../../domain/testing/snapshots.ts';
import type { AccountConfig, TickerSpec } from '../../exchanges/server-types.ts';
import type { AccountMessage } from '../accounts.ts';
import { catalogOf } from '../exchanges.ts';
import { createLogger, Redactor } from '../log.ts';
import { fakeEntry } from '../testing/fake-exchange.ts';
import { PriceBook } from './prices.ts';
import { createRiskService, TREND_WINDOW_MS } from './service.ts';

const BANDS: Band[] = [
  { kind: 'caution', threshold: dec('1.5'), label: 'safe', source: 'exchange' },
  { kind: 'liquidation', threshold: dec('1.1'), label: 'maintenance', source: 'exchange' },
];
const NOW = 1_700_000_000_000;
const REST = 'http://sim.test/api';

const account: AccountConfig = {
  id: 'desk-1',
  exchange: 'fakex',
  label: 'Desk 1',
  credentials: { apiKey: 'demo-k', apiSecret: 'demo-s' },
  endpoints: { rest: REST },
  pollSeconds: 5,
  options: {},
};

const ticker: TickerSpec = {
  pair: (c, r) => `${c}_${r}`,
  path: (pair) => `ticker/${pair}`,
  parse: (_status, body) => ({ ok: true, price: dec(String((body as { p: string }).p)), field: 'p' }),
  perMinute: 600,
};

function message(snapshot: MarginSnapshot): AccountMessage {
  return {
    account,
    channel: 'account',
    payload: {},
    receivedAt: NOW,
    outcome: { kind: 'ignored', reason: 'test' },
    snapshot,
    carriesLevel: true,
    carriesVenueStatus: false,
    frame: null,
  };
}

function setup(method: 'assets-over-liabilities' | 'unavailable') {
  const asked: string[] = [];
  const catalog = catalogOf([
    {
      ...fakeEntry,
      server: {
        ...fakeEntry.server,
        ticker,
        priceMoves:
          method === 'unavailable'
            ? { kind: 'unavailable', reason: 'Not tied to prices.' }
            : { kind: method },
      },
    },
  ]);
  const prices = new PriceBook({
    catalog,
    log: createLogger({ redactor: new Redactor(), write: () => {} }),
    now: () => NOW,
    get: async (url) => {
      asked.push(url.pathname);
      return {
        status: 200,
        json: { p: url.pathname.endsWith('btc_usd') ? '14000' : '1000' },
        text: '',
        headers: new Headers(),
      };
    },
  });
  const windows: [number, number][] = [];
  const risk = createRiskService({
    accounts: { list: () => [account], get: (id: string) => (id === account.id ? account : undefined) },
    catalog,
    prices,
    now: () => NOW,
    // A steady fall from 2.8 to 2.5 over the last 30 minutes, one sample a minute.
    recentLevels: (_id, from, to) => {
      windows.push([from, to]);
      return Array.from({ length: 31 }, (_, i) => ({
        at: NOW - (30 - i) * 60_000,
        value: dec('2.8').minus(dec('0.01').times(i)),
      }));
    },
  });
  return { risk, prices, asked, windows };
}

const snapshot = snapshotOf({
  accountId: 'desk-1',
  exchange: 'fakex',
  level: levelOf('2.5'),
  bands: BANDS,
  totals: { currency: 'usd', assets: dec('10000'), liabilities: dec('4000'), decimals: 2 },
  balances: [
    { currency: 'btc', net: dec('0.5'), decimals: 8 },
    { currency: 'eth', net: dec('3'), decimals: 8 },
    { currency: 'usd', net: dec('-4000'), decimals: 2 },
  ],
});

describe('risk service', () => {
  it('asks for the pairs an account holds (never the reference) and reports moves and trend', async () => {
    const t = setup('assets-over-liabilities');
    t.risk.onMessage(message(snapshot));
    await t.prices.pollDue();
    await t.prices.pollDue();
    expect(t.asked.sort()).toEqual(['/api/ticker/btc_usd', '/api/ticker/eth_usd']);
    const report = await t.risk.report('desk-1');
    expect(report?.market).toMatchObject({ toMarginCall: '-0.4', toLiquidation: '-0.56' });
    expect(t.windows).toEqual([[NOW - TREND_WINDOW_MS, NOW]]);
    // −0.3 over 30 minutes: −0.6 an hour; from 2.5, 1 h 40 min to 1.5 and 2 h 20 min to 1.1.
    expect(report?.trend).toEqual({
      perHour: '-0.6',
      window: TREND_WINDOW_MS,
      toMarginCallMs: 6_000_000,
      toLiquidationMs: 8_400_000,
    });
    expect(t.risk.nearestLiquidationMove('desk-1')).toEqual({
      move: dec('-0.56'),
      currency: null,
      approximate: false,
      stale: false,
    });
    expect(await t.risk.reports()).toHaveLength(1);
    expect(t.windows).toHaveLength(1); // the trend is reused for a while, not queried per request
    expect(await t.risk.report('nobody')).toBeUndefined();
  });

  it('gives the reason, and no alert estimate, where the venue cannot be tied to prices', async () => {
    const t = setup('unavailable');
    t.risk.onMessage(message(snapshot));
    const report = await t.risk.report('desk-1');
    expect(report?.unavailable).toBe('Not tied to prices.');
    expect(report?.trend).not.toBeNull();
    expect(t.risk.nearestLiquidationMove('desk-1')).toBeNull();
  });

  it('asks for no pair of an empty row, and says when no move can reach liquidation', async () => {
    const t = setup('assets-over-liabilities');
    // 0.01 BTC against 4000 USD owed and 25000 of assets: no fall of BTC (nor rise) reaches 1.1.
    const safe = snapshotOf({
      ...snapshot,
      level: levelOf('6.25'),
      totals: { currency: 'usd', assets: dec('25000'), liabilities: dec('4000'), decimals: 2 },
      balances: [
        { currency: 'btc', net: dec('0.01'), decimals: 8 },
        { currency: 'eth', net: dec('0'), decimals: 8 },
        { currency: 'usd', net: dec('24860'), decimals: 2 },
      ],
    });
    t.risk.onMessage(message(safe));
    await t.prices.pollDue();
    await t.prices.pollDue();
    expect(t.asked).toEqual(['/api/ticker/btc_usd']);
    expect(t.risk.nearestLiquidationMove('desk-1')).toEqual({
      move: null,
      currency: null,
      approximate: true,
      stale: false,
    });
  });
});
