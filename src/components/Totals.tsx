// Totals in the reference currency.
import type { Totals } from '../domain/model.ts';
import { Amount } from './Figures.tsx';

const ROWS = [
  ['assets', 'Assets'],
  ['liabilities', 'Liabilities'],
  ['equity', 'Equity'],
] as const;

/** Assets, liabilities and equity that the exchange reports, in its reference currency. */
export function TotalsList({ totals }: { totals: Totals | null }) {
  if (!totals) return null;
  const rows = ROWS.filter(([key]) => totals[key] !== undefined);
  if (rows.length === 0) return null;
  return (
    <dl className="pairs" data-testid="totals">
      {rows.map(([key, name]) => (
        <div key={key}>
          <dt>{name}</dt>
          <dd>
            <Amount value={totals[key]} decimals={totals.decimals} currency={totals.currency} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
