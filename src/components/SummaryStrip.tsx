// The worst account and how many accounts are in each zone.
import { Link } from 'wouter';
import type { AccountInfo } from '../app/transport/protocol.ts';
import { formatPercent } from '../domain/format.ts';
import { ZONES } from '../domain/model.ts';
import { useAccountState, useZoneSummary } from '../hooks/useAccountView.ts';
import { ZoneBadge } from './ZoneBadge.tsx';
import { ZONE_WORDS } from './words.ts';

function Worst({ account }: { account: AccountInfo }) {
  const snapshot = useAccountState(account.exchange, account.id)?.snapshot;
  const zone = snapshot?.zone ?? 'unknown';
  return (
    <p className="summary__worst" data-testid="summary-worst" data-account-id={account.id}>
      <span className="muted">Most at risk: </span>
      <Link href={`/accounts/${encodeURIComponent(account.id)}`}>{account.label}</Link>{' '}
      <ZoneBadge zone={zone} />
      {snapshot?.cushion ? <span className="muted"> cushion {formatPercent(snapshot.cushion)}</span> : null}
    </p>
  );
}

/** The worst account and a count per zone. */
export function SummaryStrip({ accounts }: { accounts: readonly AccountInfo[] }) {
  const { counts, worstId } = useZoneSummary(accounts);
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
      </ul>
    </section>
  );
}
