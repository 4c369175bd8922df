// Per-currency balances: sortable by any column, zero rows hideable.
import { useId, useMemo, useState } from 'react';
import type { CurrencyBalance } from '../domain/model.ts';
import { Amount } from './Figures.tsx';

/** The per-currency figures, in display order. */
export const BALANCE_COLUMNS = ['total', 'available', 'locked', 'borrowed', 'interest', 'net'] as const;
type AmountColumn = (typeof BALANCE_COLUMNS)[number];
type SortColumn = 'currency' | AmountColumn;

const COLUMN_NAMES: Record<SortColumn, string> = {
  currency: 'Currency',
  total: 'Total',
  available: 'Available',
  locked: 'Locked',
  borrowed: 'Borrowed',
  interest: 'Interest',
  net: 'Net',
};

/** True when the exchange reported at least one figure for the row and every one it reported is zero. */
export function isZeroRow(row: CurrencyBalance): boolean {
  const reported = BALANCE_COLUMNS.flatMap((key) => {
    const value = row[key];
    return value === undefined ? [] : [value];
  });
  return reported.length > 0 && reported.every((value) => value.isZero());
}

/** Sorts rows by a column; rows missing the figure go last in either direction. */
export function sortBalances(
  rows: readonly CurrencyBalance[],
  column: SortColumn,
  direction: 'ascending' | 'descending',
): CurrencyBalance[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    if (column === 'currency') return sign * a.currency.localeCompare(b.currency);
    const va = a[column];
    const vb = b[column];
    if (va === undefined && vb === undefined) return a.currency.localeCompare(b.currency);
    if (va === undefined) return 1;
    if (vb === undefined) return -1;
    return sign * va.comparedTo(vb) || a.currency.localeCompare(b.currency);
  });
}

/** Balances per currency; zero rows hidden by default; columns only for figures some row reports. */
export function CurrencyTable({ balances }: { balances: readonly CurrencyBalance[] }) {
  const [sort, setSort] = useState<{ column: SortColumn; direction: 'ascending' | 'descending' }>({
    column: 'currency',
    direction: 'ascending',
  });
  const [hideZero, setHideZero] = useState(true);
  const checkboxId = useId();
  const columns = BALANCE_COLUMNS.filter((key) => balances.some((row) => row[key] !== undefined));
  const zeroCount = balances.filter(isZeroRow).length;
  const rows = useMemo(() => {
    const visible = hideZero ? balances.filter((row) => !isZeroRow(row)) : balances;
    return sortBalances(visible, sort.column, sort.direction);
  }, [balances, hideZero, sort]);

  const header = (column: SortColumn) => {
    const active = sort.column === column;
    const next = active && sort.direction === 'ascending' ? 'descending' : 'ascending';
    return (
      <th
        key={column}
        scope="col"
        className={column === 'currency' ? '' : 'right'}
        aria-sort={active ? sort.direction : 'none'}
      >
        <button
          type="button"
          className="sort-button"
          onClick={() =>
            setSort({ column, direction: active ? next : column === 'currency' ? 'ascending' : 'descending' })
          }
        >
          {COLUMN_NAMES[column]}
          <span aria-hidden="true" className="sort-mark">
            {active ? (sort.direction === 'ascending' ? '▲' : '▼') : ''}
          </span>
        </button>
      </th>
    );
  };

  return (
    <div className="balances" data-testid="currency-table">
      <div className="toolbar toolbar--small">
        <label className="check" htmlFor={checkboxId}>
          <input
            id={checkboxId}
            type="checkbox"
            checked={hideZero}
            onChange={(e) => setHideZero(e.target.checked)}
          />
          Hide zero rows
        </label>
        <span className="muted small" data-testid="zero-rows">
          {zeroCount === 0
            ? 'no zero rows'
            : hideZero
              ? `${zeroCount} zero rows hidden`
              : `${zeroCount} zero rows`}
        </span>
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Balances table, scrolls sideways">
        <table className="table">
          <caption className="sr-only">Balances per currency, sorted by {COLUMN_NAMES[sort.column]}</caption>
          <thead>
            <tr>
              {header('currency')}
              {columns.map((c) => header(c))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.currency}>
                <th scope="row">{row.currency}</th>
                {columns.map((c) => (
                  <td key={c} className="right">
                    <Amount value={row[c]} decimals={row.decimals} />
                  </td>
                ))}
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={columns.length + 1} className="muted">
                  {balances.length === 0 ? 'No balances reported.' : 'Every row is zero.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
