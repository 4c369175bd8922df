// What the alert banner shows, derived from the proxy's open alerts and the alerts that arrived live.
import type { Alert } from '../../contract/alerts.ts';

function keyOf(alert: Alert): string {
  return `${alert.accountId}\u0000${alert.rule}`;
}

/**
 * The banner's alerts, newest first: per account and rule, the newest of the open alerts (from the proxy)
 * and the live ones. A 'fired' is shown while it is the newest; a 'recovered' only when it arrived live (so the
 * trader sees the all-clear once). Dismissed ids are left out.
 */
export function bannerAlerts(
  open: readonly Alert[] | undefined,
  live: readonly Alert[],
  dismissed: Readonly<Record<string, true>>,
): Alert[] {
  const latest = new Map<string, Alert>();
  for (const alert of open ?? []) latest.set(keyOf(alert), alert);
  const liveIds = new Set<string>();
  for (const alert of live) {
    liveIds.add(alert.id);
    const previous = latest.get(keyOf(alert));
    if (!previous || previous.at <= alert.at) latest.set(keyOf(alert), alert);
  }
  return [...latest.values()]
    .filter((a) => !dismissed[a.id] && (a.kind === 'fired' || liveIds.has(a.id)))
    .sort((a, b) => b.at - a.at);
}
