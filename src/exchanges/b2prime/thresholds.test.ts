import { describe, expect, it } from 'vitest';
import { checkB2primeThresholds } from './thresholds.ts';

describe('B2Prime config thresholds are percent', () => {
  it('accepts the broker-style percent lines', () => {
    expect(checkB2primeThresholds({ marginCall: '100', liquidation: '50' })).toEqual([]);
    expect(checkB2primeThresholds({ marginCall: '10.01', liquidation: '10.000001' })).toEqual([]);
    expect(checkB2primeThresholds({})).toEqual([]);
  });

  it.each([
    ['marginCall', '1.0', '100'],
    ['liquidation', '0.5', '50'],
    ['takeover', '0.25', '25'],
    ['marginCall', '1.5', '150'],
    ['liquidation', '10', '1000'],
  ] as const)('refuses %s %s, suggesting %s', (key, text, suggestion) => {
    expect(checkB2primeThresholds({ [key]: text })).toEqual([
      {
        key,
        message: `B2Prime levels are in percent; ${text} looks like a ratio — did you mean ${suggestion}?`,
      },
    ]);
  });

  it('names every offending line, in config order', () => {
    expect(
      checkB2primeThresholds({ marginCall: '1.2', liquidation: '0.8', takeover: '0.1' }).map((p) => p.key),
    ).toEqual(['marginCall', 'liquidation', 'takeover']);
  });
});
