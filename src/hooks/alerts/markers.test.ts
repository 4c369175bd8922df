import { describe, expect, it } from 'vitest';
import { alertMarkers } from './markers.ts';
import { makeAlert } from '../../contract/testing/alerts.ts';

describe('alertMarkers', () => {
  const alerts = [
    makeAlert(3, 300, { rule: 'fast-fall', zone: 'caution' }),
    makeAlert(1, 100, { zone: 'caution' }),
    makeAlert(2, 200, { kind: 'recovered', zone: 'safe' }),
    makeAlert(4, 400, { accountId: 'valr-demo', rule: 'stale' }),
    makeAlert(5, 500),
  ];

  it('returns the markers within the range, oldest first, with short labels', () => {
    expect(alertMarkers(alerts, { from: 100, to: 400 })).toEqual([
      { t: 100, label: 'Zone: Caution', kind: 'fired', rule: 'zone-worse', id: 'a1' },
      { t: 200, label: 'Zone cleared', kind: 'recovered', rule: 'zone-worse', id: 'a2' },
      { t: 300, label: 'Fall', kind: 'fired', rule: 'fast-fall', id: 'a3' },
      { t: 400, label: 'Stale', kind: 'fired', rule: 'stale', id: 'a4' },
    ]);
  });

  it('keeps only one account when asked', () => {
    expect(alertMarkers(alerts, { from: 0, to: 1000 }, 'bitso-demo').map((m) => m.id)).toEqual([
      'a1',
      'a2',
      'a3',
      'a5',
    ]);
    expect(alertMarkers(alerts, { from: 401, to: 499 })).toEqual([]);
  });

  it('names every zone a zone alert can enter in the dashboard’s words', () => {
    const zones = ['caution', 'liquidation', 'takeover', 'unknown'] as const;
    const labels = alertMarkers(
      zones.map((zone, i) => makeAlert(i, i, { zone })),
      { from: 0, to: 10 },
    ).map((m) => m.label);
    expect(labels).toEqual(['Zone: Caution', 'Zone: Liquidation', 'Zone: Takeover', 'Zone: Unknown']);
  });

  it('does not reorder its input', () => {
    const copy = [...alerts];
    alertMarkers(alerts, { from: 0, to: 1000 });
    expect(alerts).toEqual(copy);
  });
});
