import { describe, expect, it } from 'vitest';
import { alertMarkers, markerLabelPlaces } from './markers.ts';
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

  it('labels the move-to-liquidation rule short, fired and cleared', () => {
    const moves = [
      makeAlert(6, 600, { rule: 'move-below', zone: 'caution' }),
      makeAlert(7, 700, { rule: 'move-below', kind: 'recovered', zone: 'safe' }),
    ];
    expect(alertMarkers(moves, { from: 0, to: 1000 }).map((m) => [m.rule, m.label])).toEqual([
      ['move-below', 'Move'],
      ['move-below', 'Move cleared'],
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

describe('markerLabelPlaces', () => {
  // 'Zone: Caution' is about 93 px wide, 'Fall' about 34 px, in a 700 px plot.
  it('puts two alerts at the same moment in two rows, never on top of each other', () => {
    const places = markerLabelPlaces(
      [
        { x: 0.4, label: 'Fall' },
        { x: 0.4, label: 'Zone: Caution' },
      ],
      700,
    );
    expect(places).toEqual([
      { position: 'insideTopLeft', offset: 5, shown: true },
      { position: 'insideTopLeft', offset: 19, shown: true },
    ]);
  });

  it('turns a label near the right edge to the left of its line, so it stays inside the plot', () => {
    expect(markerLabelPlaces([{ x: 0.98, label: 'Zone: Caution' }], 700)).toEqual([
      { position: 'insideTopRight', offset: 5, shown: true },
    ]);
  });

  it('shares a row when labels are apart, and leaves a label out rather than overlap beyond three rows', () => {
    const places = markerLabelPlaces(
      [
        { x: 0.1, label: 'Fall' },
        { x: 0.6, label: 'Fall' },
        { x: 0.59, label: 'Stale' },
        { x: 0.59, label: 'Stale' },
        { x: 0.59, label: 'Stale' },
      ],
      700,
    );
    expect(places.map((p) => [p.offset, p.shown])).toEqual([
      [5, true],
      [5, true],
      [19, true],
      [33, true],
      [5, false],
    ]);
  });
});
