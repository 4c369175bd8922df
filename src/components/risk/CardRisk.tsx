// An account card's price-move lines: the nearest danger in words, and the what-if estimate while the overview's
// control is set. The prices come from the overview's estimate (one request for every card); the totals, balances,
// lines and level from the card's live figures, so the words agree with the level and zone beside them.
import { useId, useMemo } from 'react';
import { Link } from 'wouter';
import type { Dec } from '../../domain/decimal.ts';
import { formatChosenMove, formatLevel, formatPercent } from '../../domain/format.ts';
import type { LevelUnit } from '../../domain/model.ts';
import { useOverviewRisk } from '../../hooks/queries.ts';
import { ZONE_WORDS } from '../words.ts';
import { cardDangerWords, cardEstimateOf, type LiveFigures } from './live-estimate.ts';
import { whatIfOf } from './what-if.ts';
import { stalePriceCurrencies } from './words.ts';

/** "≈" for an estimate whose balances × prices do not reconcile with the venue's totals, said in words too. */
export function Approximate() {
  return (
    <>
      <span
        className="approx"
        aria-hidden="true"
        title="Approximate: balances × prices differ from the venue's totals"
      >
        ≈{' '}
      </span>
      <span className="sr-only">approximately </span>
    </>
  );
}

/** "stale price: BTC" beside an estimate that uses a price older than three polls. */
export function StalePrices({ currencies }: { currencies: readonly string[] }) {
  if (currencies.length === 0) return null;
  return (
    <>
      {' '}
      <span className="tag tag--warn" data-testid="stale-prices">
        stale price{currencies.length > 1 ? 's' : ''}: {currencies.join(', ')}
      </span>
    </>
  );
}

/**
 * Why a card has no estimate, said on the card: the short phrase, the reason on one line (cut with "…" when long,
 * whole on hover and while the link beside it has the focus, and read in full by screen readers, which also hear
 * it as the link's description) and a link to the drill-down, which writes the reason in full with the prices.
 */
function NoEstimate({
  accountId,
  accountLabel,
  kind,
  text,
  reason,
}: {
  accountId: string;
  accountLabel: string;
  kind: 'unavailable' | 'error';
  text: string;
  reason: string;
}) {
  const reasonId = useId();
  return (
    <div className={`danger danger--${kind} danger--why`} data-testid="danger" data-kind={kind}>
      <p className="danger__text">{text}</p>
      <p className="danger__why">
        <span className="danger__reason" id={reasonId} data-testid="danger-reason" title={reason}>
          {reason}
        </span>
        <Link
          href={`/accounts/${encodeURIComponent(accountId)}`}
          aria-label={`Details of ${accountLabel}'s price moves`}
          aria-describedby={reasonId}
          data-testid="danger-details"
        >
          Details
        </Link>
      </p>
    </div>
  );
}

export interface DangerLineProps {
  accountId: string;
  exchangeName: string;
  /** The account's name, for the link to its drill-down. */
  accountLabel: string;
  /** The account's live figures (its snapshot); null before the first. */
  live: LiveFigures | null;
}

/**
 * The nearest danger: "BTC −23 % → margin call", "Already below margin call", or why there is no estimate. One
 * line whatever the estimate says, so the card keeps its height as the estimate arrives; two when there is none
 * (the phrase, then why).
 */
export function DangerLine({ accountId, exchangeName, accountLabel, live }: DangerLineProps) {
  const query = useOverviewRisk(accountId);
  const report = query.data;
  const estimate = useMemo(() => cardEstimateOf(report, live), [report, live]);
  if (query.isPending) {
    return (
      <p className="danger muted" data-testid="danger" data-kind="loading">
        Estimating price moves…
      </p>
    );
  }
  if (query.isError && query.data === undefined) {
    return (
      <NoEstimate
        accountId={accountId}
        accountLabel={accountLabel}
        kind="error"
        text="Price estimate not loaded"
        reason={query.error.message}
      />
    );
  }
  const words = cardDangerWords(estimate, exchangeName);
  if (words.kind === 'unavailable') {
    return (
      <NoEstimate
        accountId={accountId}
        accountLabel={accountLabel}
        kind="unavailable"
        text={words.text}
        reason={words.reason}
      />
    );
  }
  // "≈" marks the estimated move only: "Already below …" is the live level's own say.
  const approximate = words.kind === 'move' && estimate.kind === 'estimate' && estimate.approximate;
  return (
    <p className={`danger danger--${words.kind}`} data-testid="danger" data-kind={words.kind}>
      {(words.kind === 'move' || words.kind === 'below') && <span className="sr-only">Nearest danger: </span>}
      {words.kind === 'move' && words.lead !== null && (
        <span className="danger__lead">{`${words.lead} · `}</span>
      )}
      {approximate && <Approximate />}
      <span className="danger__text">{words.kind === 'move' ? words.phrase : words.text}</span>
      {words.kind === 'move' && <StalePrices currencies={stalePriceCurrencies(report)} />}
      {query.isRefetchError && (
        <span className="tag" title={query.error.message}>
          not updated
        </span>
      )}
    </p>
  );
}

export interface WhatIfEstimateProps {
  accountId: string;
  exchangeName: string;
  /** The market move, in percent. */
  move: Dec;
  /** The account's live figures (its snapshot); null before the first. */
  live: LiveFigures | null;
  unit: LevelUnit | null;
  levelText: string | null;
}

/** The account's level, zone and cushion if the market moved by `move` %, marked as an estimate. */
export function WhatIfEstimate({
  accountId,
  exchangeName,
  move,
  live,
  unit,
  levelText,
}: WhatIfEstimateProps) {
  const query = useOverviewRisk(accountId);
  const report = query.data;
  const estimate = useMemo(() => cardEstimateOf(report, live), [report, live]);
  const fraction = move.div(100);
  const outcome = whatIfOf(estimate, { unit, levelText }, fraction);
  const chosen = formatChosenMove(fraction);
  return (
    <div
      role="group"
      className="what-if-estimate"
      aria-label={`Estimate if the market moves ${chosen}`}
      data-testid="what-if"
      data-kind={outcome.kind}
      {...(outcome.kind === 'estimate' ? { 'data-zone': outcome.zone } : {})}
    >
      <p className="what-if-estimate__title">Estimate · market {chosen}</p>
      {outcome.kind === 'estimate' ? (
        <dl className="pairs pairs--inline">
          <div>
            <dt>Level</dt>
            <dd data-testid="what-if-level">
              {outcome.approximate ? <Approximate /> : null}
              {formatLevel(outcome.level, { unit })}
            </dd>
          </div>
          <div>
            <dt>Zone</dt>
            <dd>
              <span className={`zone-badge zone-${outcome.zone}`} data-testid="what-if-zone">
                <span className="zone-badge__dot" aria-hidden="true" />
                {ZONE_WORDS[outcome.zone].name}
              </span>
            </dd>
          </div>
          <div>
            <dt>Cushion</dt>
            <dd data-testid="what-if-cushion">
              {outcome.belowLiquidation
                ? 'below liquidation'
                : outcome.cushion === null
                  ? 'unknown'
                  : formatPercent(outcome.cushion)}
            </dd>
          </div>
        </dl>
      ) : outcome.kind === 'unavailable' ? (
        <p className="muted" title={outcome.reason}>
          No price estimate for {exchangeName}
        </p>
      ) : query.isError ? (
        <p className="muted" title={query.error.message}>
          Price estimate not loaded
        </p>
      ) : (
        <p className="muted">No price estimate yet</p>
      )}
    </div>
  );
}
