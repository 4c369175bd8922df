// The worst account, how many accounts with current figures are in each zone, and which have none.
import { Link } from 'wouter';
import type { AccountInfo } from '../contract/accounts.ts';
import { formatPercent } from '../domain/format.ts';
import { ZONES } from '../domain/model.ts';
import { useAccountState, useFreshness, useZoneSummary, type ZoneSummary } from '../hooks/useAccountView.ts';
import { AgeText } from './Figures.tsx';
import { ZoneBadge } from './ZoneBadge.tsx';
import { FRESHNESS_SHORT, ZONE_WORDS } from './words.ts';

/** The account with the least cushion; its figures are marked with their age when they are not current. */
function Worst({ account }: { account: AccountInfo }) {
  const state = useAccountState(account.id);
  const freshness = useFreshness(account.id);
  const snapshot = state?.snapshot;
  const zone = snapshot?.zone ?? 'unknown';
  const since = freshness.since;
  return (
    <p
      className="summary__worst"
      data-testid="summary-worst"
      data-account-id={account.id}
      data-live={freshness.live}
    >
      <span className="muted">Most at risk: </span>
      <Link href={`/accounts/${encodeURIComponent(account.id)}`}>{account.label}</Link>{' '}
      <ZoneBadge zone={zone} dated={!freshness.live} venue={snapshot?.venueStatus} />
      {snapshot?.cushion ? (
        <span className={freshness.live ? 'muted' : 'muted is-dated'}>
          {' '}
          cushion {formatPercent(snapshot.cushion)}
        </span>
      ) : null}
      {!freshness.live && (
        <span className="summary__dated" data-testid="summary-worst-dated">
          {' '}
          ({FRESHNESS_SHORT[freshness.kind]}
          {since !== null && freshness.kind !== 'starting' && (
            <>
              , figures from <AgeText since={since} /> ago
            </>
          )}
          )
        </span>
      )}
    </p>
  );
}

/** The accounts without current figures, named, so they are never silently counted in a zone. */
function NoCurrent({ accounts, summary }: { accounts: readonly AccountInfo[]; summary: ZoneSummary }) {
  if (summary.noCurrent.length === 0) return null;
  const byId = new Map(accounts.map((a) => [a.id, a]));
  return (
    <p className="summary__no-current" data-testid="summary-no-current">
      <span className="muted">No current figures: </span>
      {summary.noCurrent.map(({ id, kind }, i) => {
        const account = byId.get(id);
        return (
          <span key={id}>
            {i > 0 && ', '}
            <Link href={`/accounts/${encodeURIComponent(id)}`}>{account?.label ?? id}</Link> (
            {FRESHNESS_SHORT[kind]})
          </span>
        );
      })}
    </p>
  );
}

/** The worst account, a count per zone of the accounts with current figures, and those without any. */
export function SummaryStrip({ accounts }: { accounts: readonly AccountInfo[] }) {
  const summary = useZoneSummary(accounts);
  const { counts, worstId, noCurrent } = summary;
  const worst = accounts.find((a) => a.id === worstId);
  return (
    <section className="summary" aria-labelledby="summary-heading" data-testid="summary">
      <h2 id="summary-heading" className="sr-only">
        Summary
      </h2>
      {worst ? <Worst account={worst} /> : <p className="muted">No figures yet.</p>}
      <ul className="zone-counts" aria-label="Accounts per zone">
        {ZONES.map((zone) => (
          <li key={zone} className={`zone-count zone-${zone}`} data-testid={`zone-count-${zone}`}>
            <span className="zone-badge__dot" aria-hidden="true" />
            {ZONE_WORDS[zone].name} <strong>{counts[zone]}</strong>
          </li>
        ))}
        <li
          className={`zone-count zone-count--none${noCurrent.length > 0 ? ' is-attention' : ''}`}
          data-testid="zone-count-no-current"
        >
          <span className="zone-badge__dot zone-badge__dot--hollow" aria-hidden="true" />
          No current figures <strong>{noCurrent.length}</strong>
        </li>
      </ul>
      <NoCurrent accounts={accounts} summary={summary} />
    </section>
  );
}
