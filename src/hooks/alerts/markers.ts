// Alert markers for the history chart: where on the time axis each alert happened, with a short label.
import { ZONE_NAMES } from '../../domain/model.ts';
import { RULE_WORDS, type Alert, type AlertRuleId } from '../../contract/alerts.ts';

/** One marker: `t` is the alert's time (ms epoch, the chart's x coordinate). */
export interface AlertMarker {
  t: number;
  /** Short text for the marker, e.g. "Zone: Liquidation", "Fall cleared". */
  label: string;
  kind: 'fired' | 'recovered';
  rule: AlertRuleId;
  id: string;
}

function labelOf(alert: Alert): string {
  const short = RULE_WORDS[alert.rule].short;
  if (alert.kind === 'recovered') return `${short} cleared`;
  if (alert.rule === 'zone-worse') return `${short}: ${ZONE_NAMES[alert.zone]}`;
  return short;
}

/**
 * The markers of the alerts within `range` (inclusive), oldest first; only `accountId`'s when given.
 * Pure: the chart passes the alerts it fetched (useAlertMarkers does both).
 */
export function alertMarkers(
  alerts: readonly Alert[],
  range: { from: number; to: number },
  accountId?: string,
): AlertMarker[] {
  return alerts
    .filter(
      (a) => a.at >= range.from && a.at <= range.to && (accountId === undefined || a.accountId === accountId),
    )
    .sort((a, b) => a.at - b.at)
    .map((a) => ({ t: a.at, label: labelOf(a), kind: a.kind, rule: a.rule, id: a.id }));
}
