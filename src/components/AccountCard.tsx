// One account on the overview. Reads only its own account from its exchange's store.
import { memo, useId, useState } from 'react';
import { Link } from 'wouter';
import type { RiskZone } from '../domain/model.ts';
import { useAccountState, useFreshness } from '../hooks/useAccountView.ts';
import { useMarginStores } from '../hooks/stores-context.tsx';
import { CushionBar } from './CushionBar.tsx';
import { CushionSparkline } from './history/CushionSparkline.tsx';
import { FreshnessLine } from './FreshnessLine.tsx';
import { Headline } from './Headline.tsx';
import { RejectionNotice, Warnings } from './Notices.tsx';
import { ThresholdList } from './Thresholds.tsx';
import { TotalsList } from './Totals.tsx';
import { ZoneBadge } from './ZoneBadge.tsx';
import { ZONE_WORDS } from './words.ts';

/** Plain values only, so the memoised card is not re-rendered by a refetched account list. */
export interface AccountCardProps {
  accountId: string;
  exchange: string;
  label: string;
}

/** Announces zone changes (not the first zone) to screen readers, politely. */
function ZoneAnnouncer({ label, zone }: { label: string; zone: RiskZone }) {
  const [previous, setPrevious] = useState(zone);
  const [message, setMessage] = useState('');
  if (zone !== previous) {
    setPrevious(zone);
    if (previous !== 'unknown')
      setMessage(`${label}: zone changed from ${ZONE_WORDS[previous].name} to ${ZONE_WORDS[zone].name}`);
  }
  return (
    <p className="sr-only" aria-live="polite" aria-atomic="true">
      {message}
    </p>
  );
}

function AccountCardView({ accountId, exchange, label }: AccountCardProps) {
  const headingId = useId();
  const module = useMarginStores().moduleFor(exchange);
  const state = useAccountState(exchange, accountId);
  const freshness = useFreshness(exchange, accountId);
  const snapshot = state?.snapshot ?? null;
  const zone = snapshot?.zone ?? 'unknown';
  const dated = !freshness.live;
  return (
    <article
      className={`card zone-edge-${zone}`}
      aria-labelledby={headingId}
      data-testid="account-card"
      data-account-id={accountId}
      data-exchange={exchange}
      data-zone={zone}
      data-freshness={freshness.kind}
    >
      <header className="card__head">
        <div>
          <p className="card__exchange">{module?.name ?? exchange}</p>
          <h3 className="card__title" id={headingId}>
            <Link href={`/accounts/${encodeURIComponent(accountId)}`}>{label}</Link>
          </h3>
        </div>
        <ZoneBadge zone={zone} dated={dated} venue={snapshot?.venueStatus} />
      </header>
      <ZoneAnnouncer label={label} zone={zone} />
      {!module && <p className="notice notice--error">This build does not know the exchange “{exchange}”.</p>}
      {state?.rejection && (
        <RejectionNotice rejection={state.rejection} lastGoodAt={state.lastGood?.at ?? null} />
      )}
      <div
        className={`card__figures${dated ? ' is-dated' : ''}`}
        data-testid="figures"
        data-live={freshness.live}
      >
        <Headline level={snapshot?.level ?? null} unit={snapshot?.unit ?? module?.unit ?? null} />
        <CushionBar cushion={snapshot?.cushion ?? null} zone={zone} />
        <CushionSparkline accountId={accountId} live={state?.levelSnapshot ?? null} />
        <ThresholdList bands={snapshot?.bands ?? []} unit={snapshot?.unit ?? module?.unit ?? null} />
        <TotalsList totals={snapshot?.totals ?? null} />
        <Warnings warnings={snapshot?.warnings ?? []} byChannel={snapshot?.channelWarnings} />
      </div>
      <footer className="card__foot">
        <FreshnessLine freshness={freshness} />
      </footer>
    </article>
  );
}

/** The card, memoised: it re-renders for its own account's news, not for its neighbours'. */
export const AccountCard = memo(AccountCardView);
