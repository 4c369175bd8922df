// One account in full: every headline figure, balances per currency, exchange-specific figures (the snapshot's
// labelled details), thresholds with their source, and the latest raw messages for support (fetched on demand).
import { Suspense, useEffect } from 'react';
import { Link } from 'wouter';
import type { AccountInfo } from '../contract/accounts.ts';
import type { Detail } from '../domain/model.ts';
import { useAccountInfo } from '../hooks/queries.ts';
import { useAccountState, useFreshness } from '../hooks/useAccountView.ts';
import { CurrencyTable } from './CurrencyTable.tsx';
import { CushionBar } from './CushionBar.tsx';
import { CardErrorBoundary, ErrorBoundary } from './ErrorBoundary.tsx';
import { Amount, LocalTime } from './Figures.tsx';
import { FreshnessLine } from './FreshnessLine.tsx';
import { Headline } from './Headline.tsx';
import { AlertList } from './alerts/AlertList.tsx';
import { LazyHistoryChart } from './history/lazy.ts';
import { RejectionNotice, Warnings } from './Notices.tsx';
import { QueryProblem } from './QueryProblem.tsx';
import { RawMessages } from './RawMessages.tsx';
import { RiskPanel } from './risk/RiskPanel.tsx';
import { ThresholdTable } from './Thresholds.tsx';
import { TotalsList } from './Totals.tsx';
import { ZoneBadge } from './ZoneBadge.tsx';
import { ZONE_WORDS } from './words.ts';

function DetailValue({ detail }: { detail: Detail }) {
  const v = detail.value;
  if (v.kind === 'text') return <>{v.value}</>;
  return <Amount value={v.value} decimals={v.decimals} {...(v.currency ? { currency: v.currency } : {})} />;
}

function AccountDetail({ account }: { account: AccountInfo }) {
  useEffect(() => {
    document.title = `${account.label} · Margin Watch`;
    return () => {
      document.title = 'Margin Watch';
    };
  }, [account.label]);
  const state = useAccountState(account.id);
  const freshness = useFreshness(account.id);
  const snapshot = state?.snapshot ?? null;
  const unit = snapshot?.unit ?? account.unit ?? null;
  const zone = snapshot?.zone ?? 'unknown';
  const dated = !freshness.live;
  return (
    <article
      className="drill"
      aria-labelledby="account-heading"
      data-testid="drill-down"
      data-account-id={account.id}
    >
      <header className="drill__head">
        <div>
          <p className="card__exchange">{account.exchangeName}</p>
          <h2 id="account-heading">{account.label}</h2>
        </div>
        <ZoneBadge zone={zone} dated={dated} venue={snapshot?.venueStatus} />
      </header>
      <FreshnessLine freshness={freshness} />
      {state?.rejection && (
        <RejectionNotice rejection={state.rejection} lastGoodAt={state.lastGood?.at ?? null} />
      )}

      <div className="drill__grid">
        <section
          aria-labelledby="headline-heading"
          className={`panel${dated ? ' is-dated' : ''}`}
          data-testid="headline"
        >
          <h3 id="headline-heading">Headline</h3>
          <Headline level={snapshot?.level ?? null} unit={unit} />
          <p>
            Zone: <strong>{ZONE_WORDS[zone].name}</strong>{' '}
            <span className="muted">({snapshot?.venueStatus?.text ?? ZONE_WORDS[zone].meaning})</span>
          </p>
          <CushionBar cushion={snapshot?.cushion ?? null} zone={zone} />
          <TotalsList totals={snapshot?.totals ?? null} />
          {snapshot && (
            <p className="muted small">
              As of <LocalTime at={snapshot.time} />
            </p>
          )}
          <Warnings warnings={snapshot?.warnings ?? []} byChannel={snapshot?.channelWarnings} />
        </section>

        <section aria-labelledby="thresholds-heading" className="panel">
          <h3 id="thresholds-heading">Thresholds</h3>
          <ThresholdTable bands={snapshot?.bands ?? []} unit={unit} />
        </section>

        <section aria-labelledby="details-heading" className={`panel${dated ? ' is-dated' : ''}`}>
          <h3 id="details-heading">{account.exchangeName} figures</h3>
          {snapshot && snapshot.details.length > 0 ? (
            <dl className="pairs" data-testid="details">
              {snapshot.details.map((d) => (
                <div key={d.key}>
                  <dt>{d.label}</dt>
                  <dd>
                    <DetailValue detail={d} />
                  </dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="muted">No exchange-specific figures reported yet.</p>
          )}
        </section>
      </div>

      <section aria-labelledby="balances-heading" className={`panel${dated ? ' is-dated' : ''}`}>
        <h3 id="balances-heading">Balances per currency</h3>
        {snapshot?.balances ? (
          <CurrencyTable balances={snapshot.balances} />
        ) : (
          <p className="muted">No per-currency balances reported yet.</p>
        )}
      </section>

      <RiskPanel
        accountId={account.id}
        exchangeName={account.exchangeName}
        bands={snapshot?.bands ?? []}
        unit={unit}
      />

      <div data-testid="drill-history">
        <ErrorBoundary
          fallback={(error, reset) => <QueryProblem what="the history chart" error={error} onRetry={reset} />}
        >
          <Suspense fallback={<p className="panel muted">Loading the history chart…</p>}>
            <LazyHistoryChart accountId={account.id} live={state?.levelSnapshot ?? null} />
          </Suspense>
        </ErrorBoundary>
      </div>

      <AlertList accountId={account.id} />

      <section aria-labelledby="raw-heading" className="panel">
        <h3 id="raw-heading">Latest raw messages</h3>
        <RawMessages accountId={account.id} />
      </section>
    </article>
  );
}

/** The drill-down route: /accounts/:id. */
export function DrillDown({ id }: { id: string }) {
  const { account, query } = useAccountInfo(id);
  return (
    <div className="drill-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/">← All accounts</Link>
      </nav>
      {query.isPending ? (
        <p className="muted" role="status">
          Loading account…
        </p>
      ) : query.isError ? (
        <QueryProblem what="the account list" error={query.error} onRetry={() => void query.refetch()} />
      ) : account ? (
        <CardErrorBoundary label={account.label}>
          <AccountDetail account={account} />
        </CardErrorBoundary>
      ) : (
        <div className="empty" data-testid="unknown-account">
          <h2>No such account</h2>
          <p>
            There is no account with the id <code>{id}</code>.
          </p>
        </div>
      )}
    </div>
  );
}
