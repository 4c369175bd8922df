// @vitest-environment jsdom
// The chart's tooltip: exact figures in words, in the level's unit (a level in percent carries " %").
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { PROFILE, T0, bucket, value } from '../../contract/testing/history.ts';
import { BucketDetails } from './BucketDetails.tsx';
import type { ProfileDto } from '../../hooks/history/model.ts';

afterEach(cleanup);

const PERCENT_PROFILE: ProfileDto = {
  unit: { name: 'Margin level', kind: 'percent' },
  bands: [
    { kind: 'caution', threshold: '100', label: 'margin call', source: 'config' },
    { kind: 'liquidation', threshold: '50', label: 'stop-out', source: 'config' },
  ],
  currency: 'RAT',
};

describe('BucketDetails with a level in percent', () => {
  it('shows the levels and the lines with " %", the cushion as a percentage of collateral', () => {
    render(
      <BucketDetails
        bucket={bucket(T0, '4969.39', { min: value('45.50'), max: value('496939.05'), cushion: '0.2' })}
        profile={PERCENT_PROFILE}
      />,
    );
    expect(screen.getByTestId('tooltip-last').textContent).toBe('4,969.39 %');
    expect(screen.getByTestId('tooltip-min').textContent).toBe('45.50 %');
    expect(screen.getByText('496,939.05 %')).toBeTruthy();
    const bands = [...document.querySelectorAll('.history-tooltip__band dd')].map((dd) => dd.textContent);
    expect(bands).toEqual(['100 % (margin call)', '50 % (stop-out)']);
  });
});

describe('BucketDetails (the tooltip)', () => {
  it('shows the exact figures and the zone in words', () => {
    render(
      <BucketDetails
        bucket={bucket(T0, '2.3000', {
          min: value('1.0400'),
          zone: 'safe',
          worstZone: 'takeover',
          cushion: '0.52173913',
        })}
        profile={PROFILE}
      />,
    );
    const tip = screen.getByTestId('history-tooltip');
    expect(tip).toHaveTextContent('2026-11-20 10:00:01 UTC – 2026-11-20 10:00:59 UTC · 10 samples');
    expect(screen.getByTestId('tooltip-last')).toHaveTextContent('2.3000');
    expect(screen.getByTestId('tooltip-min')).toHaveTextContent('1.0400');
    expect(screen.getByTestId('tooltip-zone')).toHaveTextContent('Safe (worst: Takeover)');
    expect(tip).toHaveTextContent('52.2%');
    expect(tip).toHaveTextContent('Liquidation1.1 (maintenance)');
  });
});
