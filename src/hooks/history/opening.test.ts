// The chart's first view, as pure functions: which preset it opens on, and where the risk-line labels go.
import { describe, expect, it } from 'vitest';
import { bucket, history } from '../../contract/testing/history.ts';
import { HOUR_MS, DAY_MS, fittingPreset } from './model.ts';
import { LABEL_HEIGHT_PX, lineLabelPositions, lowestLabelPosition, type ThresholdLine } from './series.ts';

const NOW = 1_800_000_000_000;

describe('fittingPreset', () => {
  const since = (ageMs: number) => history([bucket(NOW - ageMs, '2.0'), bucket(NOW - 60_000, '2.1')]);

  it('opens on the smallest preset that holds the oldest sample', () => {
    expect(fittingPreset(since(5 * 60_000), NOW, '24h')).toBe('1h');
    expect(fittingPreset(since(3 * HOUR_MS), NOW, '24h')).toBe('24h');
    expect(fittingPreset(since(3 * DAY_MS), NOW, 'all')).toBe('7d');
    expect(fittingPreset(since(60 * DAY_MS), NOW, 'all')).toBe('all');
  });

  it('never goes past the chosen preset, and keeps it when nothing is recorded', () => {
    expect(fittingPreset(since(3 * HOUR_MS), NOW, '1h')).toBe('1h');
    expect(fittingPreset(since(10 * DAY_MS), NOW, '7d')).toBe('7d');
    expect(fittingPreset(history([]), NOW, '24h')).toBe('24h');
  });
});

describe('lineLabelPositions', () => {
  const line = (kind: ThresholdLine['kind'], y: number): ThresholdLine => ({
    kind,
    y,
    label: kind,
    threshold: String(y),
  });
  const lines = [line('caution', 1.5), line('liquidation', 1.1), line('takeover', 1.05)];

  it('puts each label above its line at the right end when there is room', () => {
    expect(lineLabelPositions(lines.slice(0, 2), [0, 3], 260, null)).toEqual([
      'insideBottomRight',
      'insideBottomRight',
    ]);
  });

  it('puts a label under its line when the line above leaves no room', () => {
    // 1.1 and 1.05 are 4 px apart on a 260 px plot of 0–3: the takeover label goes below its line.
    expect(lineLabelPositions(lines, [0, 3], 260, null)).toEqual([
      'insideBottomRight',
      'insideBottomRight',
      'insideTopRight',
    ]);
  });

  it('moves labels to the left end when the lowest mark sits under them at the right', () => {
    // The lowest point at 1.2, right of the middle: its label (under the point) would cover the liquidation
    // label above 1.1.
    const positions = lineLabelPositions(lines, [0, 3], 260, { x: 0.95, y: 1.2 });
    expect(positions[1]).toMatch(/Left$/);
    expect(lineLabelPositions(lines, [0, 3], 260, { x: 0.05, y: 1.2 })[1]).toBe('insideBottomRight');
  });

  it('keeps labels inside the plot', () => {
    // A line at the very top has no room above it.
    expect(lineLabelPositions([line('caution', 3)], [0, 3], 260, null)).toEqual(['insideTopRight']);
    expect(LABEL_HEIGHT_PX).toBeGreaterThan(11);
  });
});

describe('lowestLabelPosition', () => {
  it('keeps the label inside the plot: beside the point near an edge, else under it', () => {
    expect(lowestLabelPosition(0.99)).toBe('left');
    expect(lowestLabelPosition(1)).toBe('left');
    expect(lowestLabelPosition(0.5)).toBe('bottom');
    expect(lowestLabelPosition(0.02)).toBe('right');
  });
});
