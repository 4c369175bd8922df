// @vitest-environment jsdom
// The chart's tooltip speaks the level's unit: a level in percent (B2Prime) and its lines carry " %".
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { T0, bucket, value } from '../../contract/testing/history.ts';
import { BucketDetails } from './HistoryChart.tsx';
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
