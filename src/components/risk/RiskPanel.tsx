// The drill-down's price moves: per currency, the price (its source and age), holdings, debts and the move that
// brings the account to each line; the market row; the gaps when the figures do not reconcile; the trend; or why
// there is no estimate. A wide screen gets a table; a narrow one the same figures stacked per currency (the one
// not shown is hidden from everyone by the style, so a screen reader meets the figures once).
import { useId, type ReactNode } from 'react';
import type { CurrencyMovesDto, PriceDto, RiskReport } from '../../contract/risk.ts';
import { parseDecimal, type Dec } from '../../domain/decimal.ts';
import { formatDecimal, formatMoveFraction } from '../../domain/format.ts';
import type { Band, LevelUnit } from '../../domain/model.ts';
import { useAccountRisk } from '../../hooks/queries.ts';
import { Age } from '../Figures.tsx';
import { QueryProblem } from '../QueryProblem.tsx';
import { Approximate, StalePrices } from './CardRisk.tsx';
import {
  LINES,
  LINE_HEADINGS,
  LINE_WORDS,
  dangerWords,
  gapWords,
  lineMovesOf,
  stalePriceCurrencies,
  trendWords,
  type Line,
} from './words.ts';

/** A decimal text of the report, grouped, every digit it has; a dash when missing. */
function Figure({ text, currency }: { text: string | null | undefined; currency?: string | null }) {
  const value = text == null ? null : parseDecimal(text);
  if (value === null) {
    return (
      <span className="missing">
        <span aria-hidden="true">—</span>
        <span className="sr-only">not known</span>
      </span>
    );
  }
  return (
    <span className="num">
      {formatDecimal(value)}
      {currency ? <span className="ccy"> {currency}</span> : null}
    </span>
  );
}

/** Decimals a value in the reference currency is shown with (its usual cents), whatever the wire carries. */
const REFERENCE_DECIMALS = 2;

/**
 * A value in the reference currency, said to be one where it stands beside amounts of coins: "worth
 * 20,827.52 USDT", rounded to cents for reading.
 */
function Worth({ text, reference }: { text: string | null | undefined; reference: string }) {
  const value = text == null ? null : parseDecimal(text);
  if (value === null) return <Figure text={null} />;
  return (
    <span className="num" title={`${formatDecimal(value)} ${reference}`}>
      worth {formatDecimal(value, { decimals: REFERENCE_DECIMALS })}
      <span className="ccy"> {reference}</span>
    </span>
  );
}

/** An amount of the reference currency, rounded to cents for reading (every digit on hover). */
function Amount({ text, reference }: { text: string | null; reference: string }) {
  const value = text === null ? null : parseDecimal(text);
  if (value === null) return <Figure text={null} />;
  return (
    <span className="num" title={`${formatDecimal(value)} ${reference}`}>
      {formatDecimal(value, { decimals: REFERENCE_DECIMALS })}
      <span className="ccy"> {reference}</span>
    </span>
  );
}

/** A move to one line: the percentage, "already below", or "not reachable" (null: this move cannot reach it). */
function MoveCell({ move, line }: { move: Dec | null; line: Line }) {
  if (move === null) {
    return (
      <span className="muted" title={`No move of this price (down to −100 %) reaches ${LINE_WORDS[line]}`}>
        not reachable
      </span>
    );
  }
  if (move.isZero()) return <strong>already below</strong>;
  return <span className="num">{formatMoveFraction(move)}</span>;
}

/** The price with where it comes from and how old it is; said to be stale, or missing with the reason. */
function PriceCell({ price, reference }: { price: PriceDto | undefined; reference: string }) {
  if (!price) return <Figure text={null} />;
  return (
    <>
      {price.price === null ? (
        <span className="muted">no price{price.problem ? `: ${price.problem}` : ''}</span>
      ) : (
        <Figure text={price.price} currency={reference} />
      )}{' '}
      <span className="risk-table__source muted small">
        {price.source}
        {price.at !== null ? (
          <>
            {' · '}
            <Age since={price.at} />
          </>
        ) : (
          ' · never received'
        )}
        {price.stale && (
          <>
            {' '}
            <span className="tag tag--warn">stale</span>
          </>
        )}
      </span>
    </>
  );
}

interface Row {
  currency: string;
  price: PriceDto | undefined;
  moves: CurrencyMovesDto | undefined;
}

/** Every currency with a price or a move, in the report's order (prices first, then moves without a price). */
function rowsOf(report: RiskReport): Row[] {
  const moves = new Map(report.moves.map((m) => [m.currency, m]));
  const rows: Row[] = report.prices.map((price) => ({
    currency: price.currency,
    price,
    moves: moves.get(price.currency),
  }));
  for (const m of report.moves) {
    if (!rows.some((r) => r.currency === m.currency))
      rows.push({ currency: m.currency, price: undefined, moves: m });
  }
  return rows;
}

function RiskTable({ report, lines }: { report: RiskReport; lines: readonly Line[] }) {
  const reference = report.reference ?? '';
  const rows = rowsOf(report);
  const market = report.market ? lineMovesOf(report.market) : null;
  return (
    <div
      className="table-scroll risk-wide"
      tabIndex={0}
      role="region"
      aria-label="Price moves table, scrolls sideways"
    >
      <table className="table risk-table" data-testid="risk-table">
        <caption className="sr-only">
          Price moves that bring the account to each line, per currency and for the whole market, in{' '}
          {reference}
        </caption>
        <thead>
          <tr>
            <th scope="col">Currency</th>
            <th scope="col">Price</th>
            <th scope="col" className="right">
              Held
            </th>
            <th scope="col" className="right">
              Owed
            </th>
            {lines.map((line) => (
              <th key={line} scope="col" className="right">
                {LINE_HEADINGS[line]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const moves = row.moves ? lineMovesOf(row.moves) : null;
            return (
              <tr key={row.currency} data-currency={row.currency}>
                <th scope="row">{row.currency}</th>
                <td>
                  <PriceCell price={row.price} reference={reference} />
                </td>
                <td className="right">
                  <Figure text={row.moves?.held} />
                </td>
                <td className="right">
                  <Figure text={row.moves?.owed} />
                </td>
                {lines.map((line) => (
                  <td key={line} className="right">
                    {moves ? (
                      <MoveCell move={moves[line]} line={line} />
                    ) : (
                      <span className="muted">no estimate</span>
                    )}
                  </td>
                ))}
              </tr>
            );
          })}
          {rows.length === 0 && (
            <tr>
              <td colSpan={4 + lines.length} className="muted">
                Nothing but {reference || 'the reference currency'} is held or owed.
              </td>
            </tr>
          )}
        </tbody>
        {report.market && market && (
          <tfoot>
            <tr data-currency="market">
              <th scope="row">Market</th>
              <td className="muted small">every currency but {reference} together</td>
              <td className="right">
                <Worth text={report.market.heldValue} reference={reference} />
              </td>
              <td className="right">
                <Worth text={report.market.owedValue} reference={reference} />
              </td>
              {lines.map((line) => (
                <td key={line} className="right">
                  <MoveCell move={market[line]} line={line} />
                </td>
              ))}
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

/** One pair of the stacked view: a figure's name and its value. */
function Pair({ name, children }: { name: string; children: ReactNode }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The table's figures stacked per currency, for a narrow screen: every figure in view, each with its name. */
function RiskStack({ report, lines }: { report: RiskReport; lines: readonly Line[] }) {
  const reference = report.reference ?? '';
  const rows = rowsOf(report);
  const market = report.market ? lineMovesOf(report.market) : null;
  const moveCells = (moves: ReturnType<typeof lineMovesOf> | null) =>
    lines.map((line) => (
      <Pair key={line} name={LINE_HEADINGS[line]}>
        {moves ? <MoveCell move={moves[line]} line={line} /> : <span className="muted">no estimate</span>}
      </Pair>
    ));
  return (
    <ul className="risk-stack risk-narrow" aria-label="Price moves per currency" data-testid="risk-stack">
      {rows.map((row) => (
        <li key={row.currency} data-currency={row.currency}>
          <h4 className="risk-stack__name">{row.currency}</h4>
          <dl className="pairs">
            <Pair name="Price">
              <PriceCell price={row.price} reference={reference} />
            </Pair>
            <Pair name="Held">
              <Figure text={row.moves?.held} currency={row.currency} />
            </Pair>
            <Pair name="Owed">
              <Figure text={row.moves?.owed} currency={row.currency} />
            </Pair>
            {moveCells(row.moves ? lineMovesOf(row.moves) : null)}
          </dl>
        </li>
      ))}
      {rows.length === 0 && (
        <li className="muted">Nothing but {reference || 'the reference currency'} is held or owed.</li>
      )}
      {report.market && market && (
        <li data-currency="market" className="risk-stack__market">
          <h4 className="risk-stack__name">Market</h4>
          <p className="muted small">every currency but {reference} together</p>
          <dl className="pairs">
            <Pair name="Held">
              <Worth text={report.market.heldValue} reference={reference} />
            </Pair>
            <Pair name="Owed">
              <Worth text={report.market.owedValue} reference={reference} />
            </Pair>
            {moveCells(market)}
          </dl>
        </li>
      )}
    </ul>
  );
}

/** The prices alone, for a venue whose data supports no estimate: shown for what they are worth. */
function PriceTable({ report }: { report: RiskReport }) {
  const reference = report.reference ?? '';
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Prices table, scrolls sideways">
      <table className="table risk-table" data-testid="price-table">
        <caption className="sr-only">Prices{reference ? ` in ${reference}` : ''}</caption>
        <thead>
          <tr>
            <th scope="col">Currency</th>
            <th scope="col">Price</th>
          </tr>
        </thead>
        <tbody>
          {report.prices.map((price) => (
            <tr key={price.currency} data-currency={price.currency}>
              <th scope="row">{price.currency}</th>
              <td>
                <PriceCell price={price} reference={reference} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The lines to show: margin call and liquidation always, takeover when the account has one or a move reaches it. */
function linesOf(report: RiskReport, bands: readonly Band[]): Line[] {
  const takeover =
    bands.some((b) => b.kind === 'takeover') ||
    report.moves.some((m) => m.toTakeover !== null) ||
    report.market?.toTakeover != null;
  return LINES.filter((line) => line !== 'toTakeover' || takeover);
}

function Estimate({
  report,
  exchangeName,
  bands,
  unit,
}: {
  report: RiskReport;
  exchangeName: string;
  bands: readonly Band[];
  unit: LevelUnit | null;
}) {
  const trend = trendWords(report.trend, unit);
  const trendLine = trend !== null && <p data-testid="risk-trend">{trend}.</p>;
  if (report.unavailable !== null) {
    return (
      <>
        <p data-testid="risk-unavailable">
          <strong>No price estimate for {exchangeName}.</strong> {report.unavailable}
        </p>
        {report.prices.length > 0 && <PriceTable report={report} />}
        {trendLine}
      </>
    );
  }
  if (report.reference === null || report.assets === null || report.liabilities === null) {
    return (
      <>
        <p className="muted">No price estimate yet: waiting for the account&apos;s first figures.</p>
        {trendLine}
      </>
    );
  }
  const danger = dangerWords(report, exchangeName);
  const gaps = gapWords(report);
  return (
    <>
      <p className="danger" data-testid="risk-nearest">
        Nearest danger:{' '}
        {danger.kind === 'move' ? (
          <strong>
            {danger.lead !== null && `${danger.lead} · `}
            {gaps !== null && <Approximate />}
            {danger.phrase}
          </strong>
        ) : (
          <strong>{danger.text}</strong>
        )}
        {danger.kind === 'move' && <StalePrices currencies={stalePriceCurrencies(report)} />}
      </p>
      <p className="muted small">
        From assets <Amount text={report.assets} reference={report.reference} /> and liabilities{' '}
        <Amount text={report.liabilities} reference={report.reference} /> as the venue reports them.
      </p>
      <RiskTable report={report} lines={linesOf(report, bands)} />
      <RiskStack report={report} lines={linesOf(report, bands)} />
      {gaps !== null && (
        <p className="notice notice--warn" data-testid="risk-gaps">
          {gaps}
        </p>
      )}
      {trendLine}
    </>
  );
}

export interface RiskPanelProps {
  accountId: string;
  exchangeName: string;
  bands: readonly Band[];
  unit: LevelUnit | null;
}

/** The drill-down's "Price moves" panel. */
export function RiskPanel({ accountId, exchangeName, bands, unit }: RiskPanelProps) {
  const headingId = useId();
  const query = useAccountRisk(accountId);
  return (
    <section aria-labelledby={headingId} className="panel" data-testid="risk-panel">
      <h3 id={headingId}>Price moves</h3>
      {query.isPending ? (
        <p className="muted" role="status">
          Loading the price-move estimate…
        </p>
      ) : query.isError && query.data === undefined ? (
        <QueryProblem
          what="the price-move estimate"
          error={query.error}
          onRetry={() => void query.refetch()}
        />
      ) : query.data ? (
        <Estimate report={query.data} exchangeName={exchangeName} bands={bands} unit={unit} />
      ) : null}
      <p className="muted small" data-testid="risk-method">
        <strong>How this is estimated:</strong> each move is the change of one price (or of every price but
        the reference together, “Market”) that would bring assets ÷ liabilities to the line, all else
        unchanged; the venue’s haircuts, fees and other prices moving are not modelled. See “Price-move
        estimates” in the README.
      </p>
    </section>
  );
}
