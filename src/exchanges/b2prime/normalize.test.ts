import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { AccountUpdate, ThresholdOverrides } from '../../domain/model.ts';
import { applyUpdate } from '../../domain/risk.ts';
import type { NormalizeContext, ParseOutcome, WireError } from '../types.ts';
import fullBalanceFixture from './fixtures/full-balance-message.json' with { type: 'json' };
import marginDataFixture from './fixtures/margin-data-message.json' with { type: 'json' };
import { b2prime } from './index.ts';
import { interpretMarginLevel, normalizeB2prime } from './normalize.ts';

const DEMO_THRESHOLDS: ThresholdOverrides = { marginCall: dec('100'), liquidation: dec('50') };
const ctx: NormalizeContext = { accountId: 'b2prime-main', receivedAt: 1_763_700_000_000 };
const demoCtx: NormalizeContext = { ...ctx, thresholds: DEMO_THRESHOLDS };

/** The seed's equity / used margin, 64 significant digits. */
const SEED_RATIO = '4969.390596925534038730285486124975044919145538031543222200039928';
/** The same × 100: the margin level in percent, as B2Trader's terminal shows it. */
const SEED_PERCENT = '496939.0596925534038730285486124975044919145538031543222200039928';

function update(outcome: ParseOutcome): AccountUpdate {
  if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
  return outcome.update;
}

function failure(outcome: ParseOutcome): WireError {
  if (outcome.kind !== 'error') throw new Error(`expected an error, got ${outcome.kind}`);
  expect(outcome.error.exchange).toBe('b2prime');
  return outcome.error;
}

function marginData(item: Record<string, unknown>): Record<string, unknown> {
  return { type: 2, invocationId: '1', item };
}

const seedItem = marginDataFixture.item;

function withItem(patch: Record<string, unknown>): Record<string, unknown> {
  return marginData({ ...seedItem, ...patch });
}

function withoutItemField(field: string): Record<string, unknown> {
  const item: Record<string, unknown> = { ...seedItem };
  delete item[field];
  return marginData(item);
}

function balanceMessage(rows: unknown): Record<string, unknown> {
  return { type: 2, invocationId: '0', item: rows };
}

describe('b2prime MarginData fixture (doc example)', () => {
  const result = update(normalizeB2prime('MarginData', marginDataFixture, demoCtx));

  it('reads the ×1 example in percent with its own digits and computes equity / used margin × 100 exactly', () => {
    expect(result.risk?.level).toEqual({ kind: 'value', value: dec(SEED_PERCENT), text: '496939.05' });
    if (result.risk?.level.kind !== 'value') throw new Error('level');
    expect(result.risk.level.value.toFixed()).toBe(SEED_PERCENT);
    expect(result.risk.level.value.div(100).toFixed()).toBe(SEED_RATIO);
    expect(result.risk.unit).toEqual({ name: 'Margin level', kind: 'percent' });
    expect(result.warnings).toBeUndefined();
  });

  it('carries account, channel and the received time', () => {
    expect(result.accountId).toBe('b2prime-main');
    expect(result.exchange).toBe('b2prime');
    expect(result.channel).toBe('MarginData');
    expect(result.time).toBe(1_763_700_000_000);
    expect(result.balances).toBeUndefined();
  });

  it('takes bands only from config, in percent, named as B2Prime names them', () => {
    const bands = result.risk?.bands ?? [];
    expect(bands.map((b) => [b.kind, b.threshold.toFixed(), b.label, b.source])).toEqual([
      ['caution', '100', 'margin call', 'config'],
      ['liquidation', '50', 'stop-out', 'config'],
    ]);
    const bare = update(normalizeB2prime('MarginData', marginDataFixture, ctx));
    expect(bare.risk?.bands).toEqual([]);
    const snapshot = applyUpdate(undefined, bare);
    expect(snapshot.zone).toBe('unknown');
    expect(snapshot.cushion).toBeNull();
  });

  it('is safe with the demo thresholds, with the exact cushion (a pure fraction)', () => {
    const snapshot = applyUpdate(undefined, result);
    expect(snapshot.zone).toBe('safe');
    expect(snapshot.cushion?.toFixed()).toBe(
      '0.9998993840411117330280371823072189489840530032578157900366497999',
    );
  });

  it('reports totals in RAT: equity and margin balance', () => {
    const totals = result.risk?.totals;
    expect(totals?.currency).toBe('RAT');
    expect(totals?.equity?.toFixed(2)).toBe('497833.55');
    expect(totals?.assets?.toFixed(1)).toBe('497838.8');
    expect(totals?.liabilities).toBeUndefined();
    expect(totals?.decimals).toBe(2);
  });

  it('lists every figure as a RAT detail', () => {
    const details = (result.details ?? []).map((d) =>
      d.value.kind === 'decimal'
        ? [d.key, d.label, d.value.value.toFixed(d.value.decimals), d.value.decimals, d.value.currency]
        : [d.key, d.label, d.value.value],
    );
    expect(details).toEqual([
      ['marginBalance', 'Margin balance', '497838.8', 1, 'RAT'],
      ['unrealizedPnl', 'Unrealized PnL', '-5.25', 2, 'RAT'],
      ['equity', 'Equity', '497833.55', 2, 'RAT'],
      ['usedMargin', 'Used margin', '100.18', 2, 'RAT'],
      ['freeMargin', 'Free margin', '497733.37', 2, 'RAT'],
    ]);
  });
});

describe('b2prime FullBalance fixture (doc example)', () => {
  const result = update(normalizeB2prime('FullBalance', fullBalanceFixture, demoCtx));

  it('replaces the balances with every row exact', () => {
    expect(result.channel).toBe('FullBalance');
    expect(result.balancesMode).toBe('replace');
    expect(result.risk).toBeUndefined();
    expect(result.warnings).toBeUndefined();
    expect(result.balances?.length).toBe(1);
    const [row] = result.balances ?? [];
    expect(row?.currency).toBe('eur');
    expect(row?.total?.toFixed(1)).toBe('497838.8');
    expect(row?.available?.toFixed(1)).toBe('497838.8');
    expect(row?.locked?.toFixed(0)).toBe('0');
    expect(row?.decimals).toBe(1);
    expect(row?.borrowed).toBeUndefined();
    expect(row?.interest).toBeUndefined();
  });
});

describe('b2prime margin level unit detection (always shown in percent)', () => {
  const equity = dec('497833.55');
  const used = dec('100.18');
  const mismatch = (wire: string): string =>
    `marginLevel ${wire} disagrees with equity/used margin: neither 4969.3905 (×1) nor 496939.05 % (×100)`;
  it.each([
    ['×1, truncated to 4 dp (the example)', '4969.3905', '496939.05', []],
    ['×1, rounded up (within one unit)', '4969.3906', '496939.06', []],
    ['×1 to 2 dp', '4969.39', '496939', []],
    ['×1 to 6 dp', '4969.390596', '496939.0596', []],
    ['×100 to 2 dp (the terminal)', '496939.05', '496939.05', []],
    ['×100 to 4 dp', '496939.0596', '496939.0596', []],
    ['×100 rounded up (within one unit)', '496939.06', '496939.06', []],
    ['neither', '123', '496939.05', [mismatch('123')]],
    ['×1, two units off', '4969.3907', '496939.05', [mismatch('4969.3907')]],
    ['×100, two units off', '496939.07', '496939.05', [mismatch('496939.07')]],
  ] as const)('%s', (_name, wire, text, warnings) => {
    const read = interpretMarginLevel(equity, used, wire);
    expect(read.level).toEqual({ kind: 'value', value: dec(SEED_PERCENT), text });
    expect(read.warnings).toEqual(warnings);
  });

  it('never picks silently when both readings fit a tiny level', () => {
    const read = interpretMarginLevel(dec('1'), dec('100'), '1');
    expect(read.level).toEqual({ kind: 'value', value: dec('1'), text: '1.00' });
    expect(read.warnings).toEqual([
      'marginLevel 1 fits both equity/used margin (0.0100) and that × 100 (1.00 %); showing 1.00 %',
    ]);
  });

  it('a missing level is computed in percent, with a warning', () => {
    const read = interpretMarginLevel(equity, used, null);
    expect(read.level).toEqual({ kind: 'value', value: dec(SEED_PERCENT), text: '496939.05' });
    expect(read.warnings).toEqual(['marginLevel missing; showing equity/used margin × 100 = 496939.05 %']);
  });

  it.each([
    ['×1', '4969.3905'],
    ['×100', '496939.05'],
  ])('the %s wire reads the same through normalize, with no warning', (_name, wire) => {
    const result = update(normalizeB2prime('MarginData', withItem({ marginLevel: wire }), demoCtx));
    expect(result.risk?.level).toEqual({ kind: 'value', value: dec(SEED_PERCENT), text: '496939.05' });
    expect(result.risk?.unit.kind).toBe('percent');
    expect(result.warnings).toBeUndefined();
    expect(applyUpdate(undefined, result).zone).toBe('safe');
  });

  it('a disagreeing level flows through normalize as a warning', () => {
    const result = update(normalizeB2prime('MarginData', withItem({ marginLevel: '123' }), demoCtx));
    expect(result.risk?.level).toEqual({ kind: 'value', value: dec(SEED_PERCENT), text: '496939.05' });
    expect(result.warnings).toEqual([mismatch('123')]);
  });

  it('percent thresholds put a level near the lines in the right zone', () => {
    const at = (equityText: string) =>
      applyUpdate(
        undefined,
        update(
          normalizeB2prime(
            'MarginData',
            marginData({
              marginBalanceInRAT: equityText,
              unrealizedPnlInRAT: '0',
              equityInRAT: equityText,
              usedMarginInRAT: '1000',
              freeMarginInRAT: dec(equityText).minus(1000).toFixed(),
              marginLevel: dec(equityText).div(1000).toFixed(4),
            }),
            demoCtx,
          ),
        ),
      );
    expect([at('1200').zone, at('1000').zone, at('700').zone, at('499').zone]).toEqual([
      'safe',
      'caution',
      'caution',
      'liquidation',
    ]);
    expect(at('1000').level).toEqual({ kind: 'value', value: dec('100'), text: '100.00' });
    expect(at('700').cushion?.toFixed()).toBe(
      dec('1')
        .minus(dec('50').div(dec('70')))
        .toFixed(),
    );
  });
});

describe('b2prime zero used margin', () => {
  it.each([
    ['"0" level', { usedMarginInRAT: '0', marginLevel: '0' }],
    ['"0.00" used, empty level', { usedMarginInRAT: '0.00', marginLevel: '' }],
    ['null level', { usedMarginInRAT: '0', marginLevel: null }],
    ['a stale level', { usedMarginInRAT: '0', marginLevel: '4969.3905' }],
    ['a numeric level', { usedMarginInRAT: '0', marginLevel: 0 }],
    ['a text level', { usedMarginInRAT: '0.00', marginLevel: 'Infinity' }],
    ['an object level', { usedMarginInRAT: '0', marginLevel: { value: '1' } }],
  ] as const)('%s ⇒ no-debt, cushion 1', (_name, patch) => {
    const free = { freeMarginInRAT: '497833.55' };
    const result = update(normalizeB2prime('MarginData', withItem({ ...patch, ...free }), demoCtx));
    expect(result.risk?.level).toEqual({ kind: 'no-debt', text: 'no margin in use' });
    expect(result.warnings).toBeUndefined();
    const snapshot = applyUpdate(undefined, result);
    expect(snapshot.zone).toBe('safe');
    expect(snapshot.cushion?.toFixed()).toBe('1');
  });

  it('an absent level with zero used margin ⇒ no-debt', () => {
    const item: Record<string, unknown> = { ...seedItem, usedMarginInRAT: '0', freeMarginInRAT: '497833.55' };
    delete item.marginLevel;
    const result = update(normalizeB2prime('MarginData', marginData(item), demoCtx));
    expect(result.risk?.level).toEqual({ kind: 'no-debt', text: 'no margin in use' });
  });
});

describe('b2prime consistency checks', () => {
  it('warns when equity is not margin balance + unrealized PnL', () => {
    const result = update(
      normalizeB2prime(
        'MarginData',
        withItem({ equityInRAT: '497833.75', freeMarginInRAT: '497733.57', marginLevel: '4969.3925' }),
        demoCtx,
      ),
    );
    expect(result.warnings).toEqual([
      'equityInRAT 497833.75 disagrees with marginBalanceInRAT + unrealizedPnlInRAT = 497833.55',
    ]);
  });

  it('warns when free margin is not equity − used margin', () => {
    const result = update(
      normalizeB2prime('MarginData', withItem({ freeMarginInRAT: '497733.39' }), demoCtx),
    );
    expect(result.warnings).toEqual([
      'freeMarginInRAT 497733.39 disagrees with equityInRAT − usedMarginInRAT = 497733.37',
    ]);
  });

  it('tolerates one unit in the last written place', () => {
    const result = update(
      normalizeB2prime('MarginData', withItem({ freeMarginInRAT: '497733.38' }), demoCtx),
    );
    expect(result.warnings).toBeUndefined();
  });

  it('warns when available is not total − locked', () => {
    const result = update(
      normalizeB2prime(
        'FullBalance',
        balanceMessage([
          { assetId: 'usd', total: '100.50', available: '90.00', locked: '10.00' },
          { assetId: 'eur', total: '10', available: '7.5', locked: '2.5' },
        ]),
        demoCtx,
      ),
    );
    expect(result.warnings).toEqual(['usd: available 90.00 disagrees with total − locked = 90.5']);
    expect(result.balances?.map((b) => [b.currency, b.decimals])).toEqual([
      ['usd', 2],
      ['eur', 1],
    ]);
  });
});

describe('b2prime exact figures', () => {
  it('keeps 30-digit values exact', () => {
    const result = update(
      normalizeB2prime(
        'MarginData',
        marginData({
          marginBalanceInRAT: '123456789012345678901234567890.12',
          unrealizedPnlInRAT: '-0.02',
          equityInRAT: '123456789012345678901234567890.10',
          usedMarginInRAT: '61728394506172839450617283945.05',
          freeMarginInRAT: '61728394506172839450617283945.05',
          marginLevel: '2.0000',
        }),
        demoCtx,
      ),
    );
    expect(result.warnings).toBeUndefined();
    expect(result.risk?.level).toEqual({ kind: 'value', value: dec('200'), text: '200.00' });
    expect(result.risk?.totals?.equity?.toFixed(2)).toBe('123456789012345678901234567890.10');
    expect(result.risk?.totals?.assets?.toFixed(2)).toBe('123456789012345678901234567890.12');
    const used = result.details?.find((d) => d.key === 'usedMargin')?.value;
    expect(used?.kind === 'decimal' ? used.value.toFixed(2) : used).toBe('61728394506172839450617283945.05');
  });

  it('keeps 30-digit balances exact', () => {
    const result = update(
      normalizeB2prime(
        'FullBalance',
        balanceMessage([
          {
            assetId: 'btc',
            total: '999999999999999999999999.999999',
            available: '999999999999999999999999.999998',
            locked: '0.000001',
          },
        ]),
        demoCtx,
      ),
    );
    const [row] = result.balances ?? [];
    expect(row?.total?.toFixed(6)).toBe('999999999999999999999999.999999');
    expect(row?.available?.toFixed(6)).toBe('999999999999999999999999.999998');
    expect(row?.locked?.toFixed(6)).toBe('0.000001');
    expect(row?.decimals).toBe(6);
    expect(result.warnings).toBeUndefined();
  });

  it('keeps negative figures exact and puts a negative level in liquidation', () => {
    const result = update(
      normalizeB2prime(
        'MarginData',
        marginData({
          marginBalanceInRAT: '100',
          unrealizedPnlInRAT: '-150.5',
          equityInRAT: '-50.5',
          usedMarginInRAT: '25.25',
          freeMarginInRAT: '-75.75',
          marginLevel: '-2.0000',
        }),
        demoCtx,
      ),
    );
    expect(result.warnings).toBeUndefined();
    expect(result.risk?.level).toEqual({ kind: 'value', value: dec('-200'), text: '-200.00' });
    expect(result.risk?.totals?.equity?.toFixed(1)).toBe('-50.5');
    const snapshot = applyUpdate(undefined, result);
    expect(snapshot.zone).toBe('liquidation');
    expect(snapshot.cushion).toBeNull();
  });

  it('keeps a negative balance exact', () => {
    const result = update(
      normalizeB2prime(
        'FullBalance',
        balanceMessage([{ assetId: 'usdt', total: '-12.5', available: '-12.5', locked: '0' }]),
        demoCtx,
      ),
    );
    expect(result.balances?.[0]?.total?.toFixed(1)).toBe('-12.5');
    expect(result.balances?.[0]?.available?.toFixed(1)).toBe('-12.5');
  });

  it('accepts an empty balance list', () => {
    const result = update(normalizeB2prime('FullBalance', balanceMessage([]), demoCtx));
    expect(result.balances).toEqual([]);
    expect(result.balancesMode).toBe('replace');
  });
});

describe('b2prime bad input', () => {
  it.each([
    ['marginBalanceInRAT'],
    ['unrealizedPnlInRAT'],
    ['equityInRAT'],
    ['usedMarginInRAT'],
    ['freeMarginInRAT'],
    ['marginLevel'],
  ])('missing item.%s', (field) => {
    const error = failure(normalizeB2prime('MarginData', withoutItemField(field), demoCtx));
    expect(error.channel).toBe('MarginData');
    expect(error.field).toBe(`item.${field}`);
    expect(error.message).toBe('expected a decimal string, got nothing (field missing)');
  });

  it('missing item', () => {
    const error = failure(normalizeB2prime('MarginData', { type: 2, invocationId: '0' }, demoCtx));
    expect(error.field).toBe('item');
  });

  it('missing invocationId', () => {
    const error = failure(normalizeB2prime('FullBalance', { type: 2, item: [] }, demoCtx));
    expect(error.field).toBe('invocationId');
  });

  it('missing type', () => {
    const error = failure(normalizeB2prime('MarginData', { invocationId: '0', item: seedItem }, demoCtx));
    expect(error.field).toBe('type');
    expect(error.message).toBe('expected the SignalR message type number, got nothing (field missing)');
  });

  it('missing balance field', () => {
    const error = failure(
      normalizeB2prime(
        'FullBalance',
        balanceMessage([{ assetId: 'eur', total: '1', available: '1' }]),
        demoCtx,
      ),
    );
    expect(error.channel).toBe('FullBalance');
    expect(error.field).toBe('item[0].locked');
  });

  it('number where a decimal string is expected', () => {
    const error = failure(normalizeB2prime('MarginData', withItem({ usedMarginInRAT: 100.18 }), demoCtx));
    expect(error.field).toBe('item.usedMarginInRAT');
    expect(error.message).toBe('expected a decimal string, got the number 100.18');
  });

  it('number as the margin level', () => {
    const error = failure(normalizeB2prime('MarginData', withItem({ marginLevel: 4969.3905 }), demoCtx));
    expect(error.field).toBe('item.marginLevel');
    expect(error.message).toBe('expected a decimal string, got the number 4969.3905');
  });

  it('number as a balance', () => {
    const error = failure(
      normalizeB2prime(
        'FullBalance',
        balanceMessage([{ assetId: 'eur', total: 1, available: '1', locked: '0' }]),
        demoCtx,
      ),
    );
    expect(error.field).toBe('item[0].total');
  });

  it('string where the message type number is expected', () => {
    const error = failure(normalizeB2prime('MarginData', { ...marginDataFixture, type: '2' }, demoCtx));
    expect(error.field).toBe('type');
    expect(error.message).toBe('expected the SignalR message type number, got the string "2"');
  });

  it('number where the invocation id string is expected', () => {
    const error = failure(normalizeB2prime('MarginData', { ...marginDataFixture, invocationId: 0 }, demoCtx));
    expect(error.field).toBe('invocationId');
  });

  it('number where the asset id string is expected', () => {
    const error = failure(
      normalizeB2prime(
        'FullBalance',
        balanceMessage([{ assetId: 7, total: '1', available: '1', locked: '0' }]),
        demoCtx,
      ),
    );
    expect(error.field).toBe('item[0].assetId');
  });

  it.each([['NaN'], [''], ['1,234.5'], ['1e5'], ['Infinity'], [' ']])('decimal text %j', (text) => {
    const error = failure(normalizeB2prime('MarginData', withItem({ equityInRAT: text }), demoCtx));
    expect(error.field).toBe('item.equityInRAT');
    expect(error.message).toBe(`expected a decimal string, got the string ${JSON.stringify(text)}`);
  });

  it.each([['NaN'], [''], ['1,234.5']])('margin level text %j with margin in use', (text) => {
    const error = failure(normalizeB2prime('MarginData', withItem({ marginLevel: text }), demoCtx));
    expect(error.field).toBe('item.marginLevel');
  });

  it.each([['NaN'], [''], ['1,234.5']])('balance text %j', (text) => {
    const error = failure(
      normalizeB2prime(
        'FullBalance',
        balanceMessage([{ assetId: 'eur', total: '1', available: text, locked: '0' }]),
        demoCtx,
      ),
    );
    expect(error.field).toBe('item[0].available');
  });

  it('negative used margin', () => {
    const error = failure(
      normalizeB2prime(
        'MarginData',
        withItem({ usedMarginInRAT: '-1', freeMarginInRAT: '497834.55' }),
        demoCtx,
      ),
    );
    expect(error.field).toBe('item.usedMarginInRAT');
    expect(error.message).toBe('used margin cannot be negative, got -1');
  });

  it('a balance item that is not an array', () => {
    const error = failure(normalizeB2prime('FullBalance', balanceMessage({ assetId: 'eur' }), demoCtx));
    expect(error.field).toBe('item');
    expect(error.message).toBe('expected an array of balances, got object');
  });

  it('a non-JSON raw string payload', () => {
    const error = failure(normalizeB2prime('MarginData', '{"type":2,"item":', demoCtx));
    expect(error.field).toBe('(message)');
    expect(error.message).toBe('not valid JSON (malformed frame)');
  });

  it('accepts extra unknown fields and does not pass them on', () => {
    const extra = {
      ...marginDataFixture,
      target: 'MarginData',
      extra: 1,
      item: { ...seedItem, marginCallLevel: '100', note: 'x' },
    };
    const withExtras = update(normalizeB2prime('MarginData', extra, demoCtx));
    const plain = update(normalizeB2prime('MarginData', marginDataFixture, demoCtx));
    expect(withExtras).toEqual(plain);
    const rows = balanceMessage([{ ...fullBalanceFixture.item[0], haircut: '0.9' }]);
    const balances = update(normalizeB2prime('FullBalance', rows, demoCtx));
    expect(balances).toEqual(update(normalizeB2prime('FullBalance', fullBalanceFixture, demoCtx)));
    expect(Object.keys(balances.balances?.[0] ?? {})).toEqual([
      'currency',
      'total',
      'available',
      'locked',
      'decimals',
    ]);
  });
});

describe('b2prime messages without margin data', () => {
  it.each([
    [{ type: 6 }, 'SignalR message type 6 (Ping) carries no stream item'],
    [{ type: 3, invocationId: '0' }, 'SignalR message type 3 (Completion) carries no stream item'],
    [{ type: 7, error: 'bye' }, 'SignalR message type 7 (Close) carries no stream item'],
    [{ type: 42, item: {} }, 'SignalR message type 42 (unknown) carries no stream item'],
  ])('ignores %j', (payload, reason) => {
    expect(normalizeB2prime('MarginData', payload, demoCtx)).toEqual({ kind: 'ignored', reason });
  });

  it('ignores other channels', () => {
    expect(normalizeB2prime('OpenPositions', marginDataFixture, demoCtx)).toEqual({
      kind: 'ignored',
      reason: 'channel OpenPositions is not used by the margin view',
    });
  });
});

describe('b2prime normalize never throws', () => {
  it('a payload whose getter throws', () => {
    const hostile = {
      get type(): number {
        throw new Error('boom');
      },
    };
    const error = failure(normalizeB2prime('MarginData', hostile, demoCtx));
    expect(error.channel).toBe('MarginData');
    expect(error.field).toBe('(message)');
  });

  it.each([
    [null],
    [undefined],
    [42],
    [true],
    [[]],
    [{}],
    ['x'],
    [''],
    [{ type: 2 }],
    [{ type: 2, invocationId: '0', item: null }],
    [{ type: 2, invocationId: '0', item: [null] }],
    [{ type: 2, invocationId: '0', item: 'x' }],
    [{ type: 2.5 }],
    [{ type: null }],
    [[{ type: 2 }]],
  ])('%j', (payload) => {
    for (const channel of ['MarginData', 'FullBalance']) {
      const outcome = normalizeB2prime(channel, payload, demoCtx);
      expect(outcome.kind).toBe('error');
      if (outcome.kind === 'error') {
        expect(outcome.error.exchange).toBe('b2prime');
        expect(outcome.error.channel).toBe(channel);
        expect(outcome.error.field.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('b2prime module', () => {
  it('describes the streams and the read-only REST paths', () => {
    expect(b2prime.id).toBe('b2prime');
    expect(b2prime.name).toBe('B2Prime');
    expect(b2prime.unit).toEqual({ name: 'Margin level', kind: 'percent' });
    expect(b2prime.channels.map((c) => [c.id, c.cadence])).toEqual([
      ['MarginData', 10_000],
      ['FullBalance', 10_000],
    ]);
    expect(b2prime.restPaths).toEqual(['frontoffice/api/v3/accounts', 'frontoffice/api/v3/assets']);
    expect(b2prime.normalize('MarginData', marginDataFixture, demoCtx).kind).toBe('update');
  });
});
