// Every account at a glance, most at risk first.
import { useMemo, useState } from 'react';
import { useSearchParams } from 'wouter';
import type { AccountInfo } from '../contract/accounts.ts';
import type { Dec } from '../domain/decimal.ts';
import { useAccounts } from '../hooks/queries.ts';
import { SORT_KEYS, useSortedAccountIds, type SortKey } from '../hooks/useAccountView.ts';
import { AccountCard } from './AccountCard.tsx';
import { CardErrorBoundary } from './ErrorBoundary.tsx';
import { QueryProblem } from './QueryProblem.tsx';
import { WhatIfControl } from './risk/WhatIfControl.tsx';
import { SummaryStrip } from './SummaryStrip.tsx';

const SORT_LABELS: Record<SortKey, string> = {
  risk: 'Risk (worst first)',
  name: 'Name',
  exchange: 'Exchange',
  updated: 'Least recently updated',
};

function isSortKey(value: string | null): value is SortKey {
  return value !== null && (SORT_KEYS as readonly string[]).includes(value);
}

function AccountGrid({
  accounts,
  sort,
  whatIf,
}: {
  accounts: readonly AccountInfo[];
  sort: SortKey;
  whatIf: Dec | null;
}) {
  const ids = useSortedAccountIds(accounts, sort);
  const byId = useMemo(() => new Map(accounts.map((a) => [a.id, a])), [accounts]);
  return (
    <ul className="cards" data-testid="account-list">
      {ids.map((id) => {
        const account = byId.get(id);
        if (!account) return null;
        return (
          <li key={id}>
            <CardErrorBoundary label={account.label}>
              <AccountCard
                accountId={account.id}
                exchange={account.exchange}
                exchangeName={account.exchangeName}
                label={account.label}
                unitName={account.unit?.name}
                unitKind={account.unit?.kind}
                whatIf={whatIf}
              />
            </CardErrorBoundary>
          </li>
        );
      })}
    </ul>
  );
}

/** The overview route: summary strip and one card per account, sorted (`?sort=` in the URL). */
export function Overview() {
  const query = useAccounts();
  const [params, setParams] = useSearchParams();
  const requested = params.get('sort');
  const sort: SortKey = isSortKey(requested) ? requested : 'risk';
  const accounts = query.data;
  const [whatIf, setWhatIf] = useState<Dec | null>(null);
  return (
    <section aria-labelledby="accounts-heading" className="overview">
      <div className="toolbar">
        <h2 id="accounts-heading">Accounts</h2>
        {accounts && accounts.length > 0 && (
          <label className="field">
            <span>Sort by</span>
            <select
              value={sort}
              data-testid="sort"
              onChange={(e) =>
                setParams(
                  (p) => {
                    const next = new URLSearchParams(p);
                    if (e.target.value === 'risk') next.delete('sort');
                    else next.set('sort', e.target.value);
                    return next;
                  },
                  { replace: true },
                )
              }
            >
              {SORT_KEYS.map((key) => (
                <option key={key} value={key}>
                  {SORT_LABELS[key]}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {query.isPending ? (
        <p className="muted" role="status">
          Loading accounts…
        </p>
      ) : query.isError ? (
        <QueryProblem what="the account list" error={query.error} onRetry={() => void query.refetch()} />
      ) : accounts && accounts.length === 0 ? (
        <div className="empty" data-testid="no-accounts">
          <p>No account is connected yet.</p>
          <p className="muted">
            Add accounts to <code>margin-watch.config.json</code> and restart, or start without a config for
            the demo.
          </p>
        </div>
      ) : accounts ? (
        <>
          <SummaryStrip accounts={accounts} />
          <WhatIfControl move={whatIf} onMove={setWhatIf} />
          <AccountGrid accounts={accounts} sort={sort} whatIf={whatIf} />
        </>
      ) : null}
    </section>
  );
}
