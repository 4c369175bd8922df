// One account on the overview. Reads only its own account from the snapshot store; knows no exchange.
import { memo, useId, useMemo, useState } from 'react';
import { Link } from 'wouter';
import type { Dec } from '../domain/decimal.ts';
import type { LevelUnit, LevelUnitKind, RiskZone } from '../domain/model.ts';
import { useAccountState, useFreshness } from '../hooks/useAccountView.ts';
import { CushionBar } from './CushionBar.tsx';
import { CushionSparkline } from './history/CushionSparkline.tsx';
import { FreshnessLine } from './FreshnessLine.tsx';
import { Headline } from './Headline.tsx';
import { RejectionNotice, Warnings } from './Notices.tsx';
import { DangerLine, WhatIfEstimate } from './risk/CardRisk.tsx';
import { ThresholdList } from './Thresholds.tsx';
import { TotalsList } from './Totals.tsx';
import { ZoneBadge } from './ZoneBadge.tsx';
import { ZONE_WORDS } from './words.ts';

/** Plain values only, so the memoised card is not re-rendered by a refetched account list. */
export interface AccountCardProps {
  accountId: string;
  exchange: string;
  /** The exchange's display name, from /api/accounts. */
  exchangeName: string;
  label: string;
  /** The headline figure's name and kind before the first snapshot (from /api/accounts). */
  unitName?: string | undefined;
  unitKind?: LevelUnitKind | undefined;
  /** The overview's what-if market move, in percent; null (or absent) for live figures only. */
  whatIf?: Dec | null | undefined;
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

function AccountCardView({
  accountId,
  exchange,
  exchangeName,
  label,
  unitName,
  unitKind,
  whatIf,
}: AccountCardProps) {
  const headingId = useId();
  const state = useAccountState(accountId);
  const freshness = useFreshness(accountId);
  const listedUnit = useMemo<LevelUnit | null>(
    () => (unitName !== undefined && unitKind !== undefined ? { name: unitName, kind: unitKind } : null),
    [unitName, unitKind],
  );
  const snapshot = state?.snapshot ?? null;
  const unit = snapshot?.unit ?? listedUnit;
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
          <p className="card__exchange">{exchangeName}</p>
          <h3 className="card__title" id={headingId}>
            <Link href={`/accounts/${encodeURIComponent(accountId)}`}>{label}</Link>
          </h3>
        </div>
        <ZoneBadge zone={zone} dated={dated} venue={snapshot?.venueStatus} />
      </header>
      <ZoneAnnouncer label={label} zone={zone} />
      {state?.rejection && (
        <RejectionNotice rejection={state.rejection} lastGoodAt={state.lastGood?.at ?? null} />
      )}
      <div
        className={`card__figures${dated ? ' is-dated' : ''}`}
        data-testid="figures"
        data-live={freshness.live}
      >
        <Headline level={snapshot?.level ?? null} unit={unit} />
        <CushionBar cushion={snapshot?.cushion ?? null} zone={zone} />
        <DangerLine accountId={accountId} exchangeName={exchangeName} accountLabel={label} live={snapshot} />
        <CushionSparkline accountId={accountId} live={state?.levelSnapshot ?? null} />
        <ThresholdList bands={snapshot?.bands ?? []} unit={unit} />
        <TotalsList totals={snapshot?.totals ?? null} />
        <Warnings warnings={snapshot?.warnings ?? []} byChannel={snapshot?.channelWarnings} />
      </div>
      {whatIf != null && (
        <WhatIfEstimate
          accountId={accountId}
          exchangeName={exchangeName}
          move={whatIf}
          live={snapshot}
          unit={unit}
          levelText={snapshot?.level?.text ?? null}
        />
      )}
      <footer className="card__foot">
        <FreshnessLine freshness={freshness} />
      </footer>
    </article>
  );
}

/** The card, memoised: it re-renders for its own account's news, not for its neighbours'. */
export const AccountCard = memo(AccountCardView);
