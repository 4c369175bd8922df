// The alert history: newest first, a page at a time.
import { useAccounts } from '../../hooks/queries.ts';
import { useAlertHistory } from '../../hooks/useAlerts.ts';
import { QueryProblem } from '../QueryProblem.tsx';
import { ZoneBadge } from '../ZoneBadge.tsx';
import { formatLocalTime, formatUtc } from '../words.ts';
import { RULE_WORDS } from '../../contract/alerts.ts';

/** The alert history table with a "Load older" button. */
export function AlertList({ accountId }: { accountId?: string }) {
  const history = useAlertHistory(accountId === undefined ? {} : { accountId });
  const labels = new Map((useAccounts().data ?? []).map((a) => [a.id, a.label]));
  const alerts = history.data?.pages.flatMap((p) => p.alerts) ?? [];

  return (
    <section className="panel" aria-labelledby="alert-list-title" data-testid="alert-list">
      <h3 id="alert-list-title">{accountId === undefined ? 'Alert history' : 'Alerts for this account'}</h3>
      {history.isPending && <p className="muted">Loading alerts…</p>}
      {history.isError && (
        <QueryProblem error={history.error} what="the alert history" onRetry={() => void history.refetch()} />
      )}
      {history.isSuccess && alerts.length === 0 && (
        <p className="muted" data-testid="alert-list-empty">
          No alerts yet.
        </p>
      )}
      {alerts.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Alerts table">
          <table className="table alert-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Account</th>
                <th scope="col">Alert</th>
                <th scope="col">Zone</th>
                <th scope="col" className="right">
                  Level
                </th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((alert) => (
                <tr
                  key={alert.id}
                  data-testid="alert-row"
                  data-rule={alert.rule}
                  data-kind={alert.kind}
                  data-account={alert.accountId}
                >
                  <td>
                    <time dateTime={new Date(alert.at).toISOString()} title={formatUtc(alert.at)}>
                      {formatLocalTime(alert.at)}
                    </time>
                  </td>
                  <td>{labels.get(alert.accountId) ?? alert.accountId}</td>
                  <td>
                    <span className={`alert-kind alert-kind--${alert.kind}`}>
                      {alert.kind === 'fired' ? 'Fired' : 'Recovered'}
                    </span>{' '}
                    {RULE_WORDS[alert.rule].name}
                  </td>
                  <td>
                    <ZoneBadge zone={alert.zone} />
                  </td>
                  <td className="right">{alert.level ?? <span className="missing">—</span>}</td>
                  <td>{alert.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {history.hasNextPage && (
        <p>
          <button
            type="button"
            className="button"
            disabled={history.isFetchingNextPage}
            onClick={() => void history.fetchNextPage()}
          >
            {history.isFetchingNextPage ? 'Loading…' : 'Load older alerts'}
          </button>
        </p>
      )}
    </section>
  );
}
