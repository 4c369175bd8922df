// @vitest-environment jsdom
// The documented MarginData example, rendered as a trader sees it: the level in percent, as B2Trader's terminal
// shows it, and the config's margin-call and stop-out lines in percent.
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Headline } from '../../components/Headline.tsx';
import { ThresholdList, ThresholdTable } from '../../components/Thresholds.tsx';
import { dec } from '../../domain/decimal.ts';
import { applyUpdate } from '../../domain/risk.ts';
import marginDataFixture from './fixtures/margin-data-message.json' with { type: 'json' };
import { normalizeB2prime } from './normalize.ts';

afterEach(cleanup);

function fixtureSnapshot() {
  const outcome = normalizeB2prime('MarginData', marginDataFixture, {
    accountId: 'b2prime-main',
    receivedAt: 0,
    thresholds: { marginCall: dec('100'), liquidation: dec('50') },
  });
  if (outcome.kind !== 'update') throw new Error(`expected an update, got ${outcome.kind}`);
  return applyUpdate(undefined, outcome.update);
}

describe('B2Prime headline of the documented example', () => {
  it('reads 496,939.05 % with the unit name', () => {
    const snapshot = fixtureSnapshot();
    render(<Headline level={snapshot.level} unit={snapshot.unit} />);
    expect(screen.getByTestId('level').textContent).toBe('496,939.05 %');
    expect(screen.getByText('Margin level')).toBeTruthy();
  });

  it('lists the lines in percent, named as B2Prime names them', () => {
    const snapshot = fixtureSnapshot();
    render(
      <>
        <ThresholdList bands={snapshot.bands} unit={snapshot.unit} />
        <ThresholdTable bands={snapshot.bands} unit={snapshot.unit} />
      </>,
    );
    const list = [...screen.getByTestId('thresholds').querySelectorAll('dd')].map((dd) => dd.textContent);
    expect(list).toEqual(['100 %config', '50 %config']);
    const rows = [...screen.getByTestId('threshold-table').querySelectorAll('tbody tr')].map((tr) =>
      [...tr.children].map((cell) => cell.textContent),
    );
    expect(rows).toEqual([
      ['Margin call', '100 %', 'margin call', 'Config'],
      ['Liquidation', '50 %', 'stop-out', 'Config'],
    ]);
  });
});
