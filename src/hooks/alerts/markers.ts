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

/** How a marker's label is drawn: beside its line (to the right or, near the right edge, to the left) and in a row. */
export interface MarkerLabelPlace {
  position: 'insideTopLeft' | 'insideTopRight';
  /** Distance from the top of the plot (px): one label row is 14 px. */
  offset: number;
  /** False when the marker is too crowded for a label of its own (its line is still drawn). */
  shown: boolean;
}

/** Width of a label of `text` at 11 px (about 6.5 px a character) plus its padding. */
const labelWidthPx = (text: string): number => text.length * 6.5 + 8;
const ROW_PX = 14;
const MAX_ROWS = 3;

/**
 * Where each marker's label goes so that labels never overlap nor run past the plot: to the right of the line,
 * or to its left when it would run past the right edge, in the first row where it clears the labels already
 * placed; a marker with no clear row among MAX_ROWS gets no label. `markers` oldest first, `x` from 0 to 1.
 */
export function markerLabelPlaces(
  markers: readonly { x: number; label: string }[],
  plotWidthPx: number,
): MarkerLabelPlace[] {
  const rows: { left: number; right: number }[][] = Array.from({ length: MAX_ROWS }, () => []);
  return markers.map(({ x, label }) => {
    const at = x * plotWidthPx;
    const width = labelWidthPx(label);
    const toLeft = at + width > plotWidthPx;
    const box = toLeft ? { left: at - width, right: at } : { left: at, right: at + width };
    const row = rows.findIndex((placed) => placed.every((p) => box.right <= p.left || box.left >= p.right));
    if (row < 0 || box.left < 0) return { position: 'insideTopLeft', offset: 5, shown: false };
    rows[row]?.push(box);
    return { position: toLeft ? 'insideTopRight' : 'insideTopLeft', offset: 5 + row * ROW_PX, shown: true };
  });
}
