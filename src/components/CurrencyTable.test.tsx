// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../domain/decimal.ts';
import type { CurrencyBalance } from '../domain/model.ts';
import { CurrencyTable, isZeroRow, sortBalances } from './CurrencyTable.tsx';

afterEach(cleanup);

const rows: CurrencyBalance[] = [
  { currency: 'USDT', total: dec('1200.5'), borrowed: dec('100'), decimals: 2 },
  { currency: 'BTC', total: dec('0.5'), borrowed: dec('0'), decimals: 8 },
  { currency: 'ETH', total: dec('0'), borrowed: dec('0'), decimals: 8 },
  { currency: 'SOL', total: dec('3'), decimals: 4 },
  { currency: 'ADA', borrowed: dec('0'), decimals: 6 },
];

function bodyRows(): string[][] {
  const table = within(screen.getByTestId('currency-table')).getByRole('table');
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent ?? ''));
}

describe('isZeroRow / sortBalances', () => {
  it.each([
    ['USDT', false],
    ['BTC', false],
    ['ETH', true],
    ['ADA', true],
  ])('%s zero: %s', (currency, zero) => {
    const row = rows.find((r) => r.currency === currency);
    expect(row && isZeroRow(row)).toBe(zero);
  });

  it('does not call a row with no reported figure a zero row (nothing is known about it)', () => {
    expect(isZeroRow({ currency: 'XRP', decimals: 0 })).toBe(false);
  });

  it('sorts by a figure, missing figures last in both directions', () => {
    expect(sortBalances(rows, 'borrowed', 'descending').map((r) => r.currency)).toEqual([
      'USDT',
      'ADA',
      'BTC',
      'ETH',
      'SOL',
    ]);
    expect(sortBalances(rows, 'borrowed', 'ascending').map((r) => r.currency)).toEqual([
      'ADA',
      'BTC',
      'ETH',
      'USDT',
      'SOL',
    ]);
    expect(sortBalances(rows, 'total', 'ascending').map((r) => r.currency)).toEqual([
      'ETH',
      'BTC',
      'SOL',
      'USDT',
      'ADA',
    ]);
  });
});

describe('CurrencyTable', () => {
  it('hides zero rows by default, at the exchange precision with grouping, and can show them', () => {
    render(<CurrencyTable balances={rows} />);
    expect(bodyRows()).toEqual([
      ['BTC', '0.50000000', '0.00000000'],
      ['SOL', '3.0000', '—not reported'],
      ['USDT', '1,200.50', '100.00'],
    ]);
    expect(screen.getByTestId('zero-rows')).toHaveTextContent('2 zero rows hidden');
    fireEvent.click(screen.getByLabelText('Hide zero rows'));
    expect(bodyRows().map((r) => r[0])).toEqual(['ADA', 'BTC', 'ETH', 'SOL', 'USDT']);
    expect(bodyRows()[0]).toEqual(['ADA', '—not reported', '0.000000']);
  });

  it('only shows columns some row reports, and sorts by a column header', () => {
    render(<CurrencyTable balances={rows} />);
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['Currency▲', 'Total', 'Borrowed']);
    const total = screen.getByRole('button', { name: 'Total' });
    fireEvent.click(total);
    expect(bodyRows().map((r) => r[0])).toEqual(['USDT', 'SOL', 'BTC']);
    expect(screen.getAllByRole('columnheader')[1]).toHaveAttribute('aria-sort', 'descending');
    fireEvent.click(total);
    expect(bodyRows().map((r) => r[0])).toEqual(['BTC', 'SOL', 'USDT']);
    expect(screen.getAllByRole('columnheader')[1]).toHaveAttribute('aria-sort', 'ascending');
    expect(screen.getAllByRole('columnheader')[0]).toHaveAttribute('aria-sort', 'none');
  });
});
