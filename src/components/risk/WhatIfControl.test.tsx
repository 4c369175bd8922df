// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { accountInfo, riskFrame } from '../../app/testing/fake-exchange.ts';
import { renderWithStores, stubApi } from '../../app/testing/render.tsx';
import type { AccountInfo } from '../../contract/accounts.ts';
import { Overview } from '../Overview.tsx';
import { btcLong, unavailableReport } from './testing/reports.ts';

const accounts: AccountInfo[] = [
  accountInfo('alpha', 'fakex', 'Alpha'),
  accountInfo('bravo', 'fakex', 'Bravo'),
];

function card(accountId: string): HTMLElement {
  const el = document.querySelector(`[data-testid="account-card"][data-account-id="${accountId}"]`);
  if (!(el instanceof HTMLElement)) throw new Error(`no card for ${accountId}`);
  return el;
}

async function setup() {
  stubApi({
    accounts,
    risk: [
      btcLong({}, 'alpha'),
      unavailableReport('The stream does not say which positions hold the margin.', 'bravo'),
    ],
  });
  const h = renderWithStores(<Overview />, { accounts });
  await screen.findByTestId('account-list');
  // Alpha: 10 000 / 6 000 = 1.6667 (lines 1.5 and 1.1).
  h.send(riskFrame('alpha', '1.6667', Date.now()), riskFrame('bravo', '2.00', Date.now()));
  await waitFor(() =>
    expect(within(card('alpha')).getByTestId('danger')).toHaveAttribute('data-kind', 'move'),
  );
  return {
    h,
    slider: screen.getByRole('slider', { name: 'Market move' }),
    input: screen.getByRole('textbox', { name: 'Move in %' }),
    banner: screen.getByTestId('what-if-banner'),
  };
}

describe('the what-if control', () => {
  it('starts live: no estimate on any card, the slider at 0, the way back disabled', async () => {
    const { slider, input, banner } = await setup();
    expect(banner).toHaveTextContent('Live figures.');
    expect(banner).toHaveAttribute('data-active', 'false');
    expect(slider).toHaveValue('0');
    expect(input).toHaveValue('');
    expect(screen.queryAllByTestId('what-if')).toHaveLength(0);
    expect(screen.getByRole('button', { name: 'Back to live' })).toBeDisabled();
  });

  it("shows every account's level, zone in words and cushion under the slider's move, marked as an estimate", async () => {
    const { slider, input, banner } = await setup();
    fireEvent.change(slider, { target: { value: '-20' } });
    expect(banner).toHaveTextContent('Estimate: market −20 % — not live figures');
    expect(input).toHaveValue('-20');
    const alpha = within(card('alpha')).getByTestId('what-if');
    expect(alpha).toHaveAccessibleName(/^Estimate if the market moves −20\s%$/);
    expect(alpha).toHaveTextContent('Estimate · market −20 %');
    // (10 000 − 0.2 · 6 000) / 6 000 = 1.46666…: Caution; cushion 1 − 1.1 / 1.4666… = 25.0 %.
    expect(within(alpha).getByTestId('what-if-level')).toHaveTextContent('1.4666');
    expect(within(alpha).getByTestId('what-if-zone')).toHaveTextContent('Caution');
    expect(alpha).toHaveAttribute('data-zone', 'caution');
    expect(within(alpha).getByTestId('what-if-cushion')).toHaveTextContent('25.0%');
    // The live figures stay as they are.
    expect(within(card('alpha')).getByTestId('level')).toHaveTextContent('1.6667');
    expect(within(card('alpha')).getByTestId('zone')).toHaveTextContent('Safe');
    const bravo = within(card('bravo')).getByTestId('what-if');
    expect(bravo).toHaveAttribute('data-kind', 'unavailable');
    expect(bravo).toHaveTextContent('No price estimate for FakeX');
  });

  it('marks an estimate from balances that do not reconcile with "≈", in words too', async () => {
    stubApi({
      accounts,
      risk: [btcLong({ approximate: { assetsGap: '0.04', liabilitiesGap: '0' } }, 'alpha')],
    });
    const h = renderWithStores(<Overview />, { accounts });
    await screen.findByTestId('account-list');
    h.send(riskFrame('alpha', '1.6667', Date.now()));
    await waitFor(() =>
      expect(within(card('alpha')).getByTestId('danger')).toHaveAttribute('data-kind', 'move'),
    );
    fireEvent.change(screen.getByRole('slider', { name: 'Market move' }), { target: { value: '-20' } });
    const level = within(within(card('alpha')).getByTestId('what-if')).getByTestId('what-if-level');
    expect(level).toHaveTextContent('≈ approximately 1.4666');
  });

  it('follows a typed value, with decimals, and puts the slider on the nearest step', async () => {
    const { slider, input, banner } = await setup();
    fireEvent.change(input, { target: { value: '−57' } });
    expect(banner).toHaveTextContent('Estimate: market −57 %');
    const alpha = within(card('alpha')).getByTestId('what-if');
    // (10 000 − 0.57 · 6 000) / 6 000 = 1.09666…: below 1.1, Liquidation.
    expect(within(alpha).getByTestId('what-if-level')).toHaveTextContent('1.0966');
    expect(within(alpha).getByTestId('what-if-zone')).toHaveTextContent('Liquidation');
    expect(slider).toHaveValue('-57');
    fireEvent.change(input, { target: { value: '-12.5' } });
    expect(slider).toHaveValue('-13');
    // (10 000 − 0.125 · 6 000) / 6 000 = 1.541666…
    expect(within(alpha).getByTestId('what-if-level')).toHaveTextContent('1.5416');
  });

  it('echoes the chosen move exactly: banner, card boxes and the slider’s spoken value', async () => {
    const { slider, input, banner } = await setup();
    for (const [typed, words] of [
      ['−12.5', '−12.5'],
      ['-12.75', '−12.75'],
      ['0.5', '+0.5'],
      ['-9.99', '−9.99'],
    ] as const) {
      fireEvent.change(input, { target: { value: typed } });
      expect(banner).toHaveTextContent(`Estimate: market ${words} %`);
      expect(slider).toHaveAttribute('aria-valuetext', `market ${words}\u00a0%`);
      for (const id of ['alpha', 'bravo']) {
        const box = within(card(id)).getByRole('group', {
          name: `Estimate if the market moves ${words}\u00a0%`,
        });
        expect(box).toHaveTextContent(`Estimate · market ${words} %`);
      }
    }
    // The slider's own steps read the same way.
    fireEvent.change(slider, { target: { value: '-13' } });
    expect(slider).toHaveAttribute('aria-valuetext', 'market −13\u00a0%');
    expect(banner).toHaveTextContent('Estimate: market −13 %');
  });

  it('groups each card’s estimate without adding a landmark per card', async () => {
    const { slider } = await setup();
    const regions = screen.queryAllByRole('region').length;
    fireEvent.change(slider, { target: { value: '-20' } });
    expect(within(card('alpha')).getByRole('group', { name: /^Estimate if the market moves/ })).toBe(
      within(card('alpha')).getByTestId('what-if'),
    );
    expect(screen.queryAllByRole('region')).toHaveLength(regions);
  });

  it('shows no estimate while the typed text is not a valid move, and says why at once', async () => {
    const { input, banner, slider } = await setup();
    const problem = screen.getByTestId('what-if-problem');
    expect(problem).toHaveAttribute('aria-live', 'polite');
    fireEvent.change(input, { target: { value: '-25' } });
    expect(banner).toHaveTextContent('Estimate: market −25 %');
    expect(screen.getAllByTestId('what-if')).toHaveLength(2);
    // "abc" over "-25": no card keeps the −25 % estimate, and the problem is said without Enter or blur.
    fireEvent.change(input, { target: { value: 'abc' } });
    expect(problem).toHaveTextContent('“abc” is not a number of percent.');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription('“abc” is not a number of percent.');
    expect(screen.queryAllByTestId('what-if')).toHaveLength(0);
    expect(banner).toHaveTextContent(
      'No estimate while the typed move is not valid: the cards show live figures.',
    );
    expect(banner).not.toHaveTextContent('−25');
    expect(slider).toHaveValue('0');
    // "-150" (out of range) never shows the −15 % it passed through on the way.
    fireEvent.change(input, { target: { value: '-15' } });
    expect(banner).toHaveTextContent('Estimate: market −15 %');
    fireEvent.change(input, { target: { value: '-150' } });
    expect(problem).toHaveTextContent('Enter a move between −90 % and +90 %.');
    expect(screen.queryAllByTestId('what-if')).toHaveLength(0);
    expect(banner).not.toHaveTextContent('−15');
    // A valid move again: the estimate returns and the problem goes.
    fireEvent.change(input, { target: { value: '-30' } });
    expect(input).toHaveAttribute('aria-invalid', 'false');
    expect(problem).toBeEmptyDOMElement();
    expect(banner).toHaveTextContent('Estimate: market −30 %');
    expect(screen.getAllByTestId('what-if')).toHaveLength(2);
    // Emptying the box is live figures, at once.
    fireEvent.change(input, { target: { value: '' } });
    expect(banner).toHaveTextContent('Live figures.');
    expect(screen.queryAllByTestId('what-if')).toHaveLength(0);
  });

  it('clears a typed text that is not a move with Escape', async () => {
    const { input, banner } = await setup();
    fireEvent.change(input, { target: { value: '-' } });
    expect(screen.getByTestId('what-if-problem')).toHaveTextContent(
      'Type the number after the sign, e.g. −10.',
    );
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(input).toHaveValue('');
    expect(screen.getByTestId('what-if-problem')).toBeEmptyDOMElement();
    expect(banner).toHaveTextContent('Live figures.');
  });

  it('writes whole moves without decimals, typed or from the slider', async () => {
    const { input, banner, slider } = await setup();
    fireEvent.change(input, { target: { value: '-5.0' } });
    expect(banner).toHaveTextContent('Estimate: market −5 %');
    expect(slider).toHaveAttribute('aria-valuetext', 'market −5\u00a0%');
    expect(within(card('alpha')).getByTestId('what-if')).toHaveTextContent('Estimate · market −5 %');
    fireEvent.change(slider, { target: { value: '-7' } });
    expect(banner).toHaveTextContent('Estimate: market −7 %');
    expect(input).toHaveValue('-7');
  });

  it('says "below liquidation" instead of a negative cushion', async () => {
    const { slider } = await setup();
    // (10 000 − 0.9·6 000) / 6 000 = 0.7666…, under the 1.1 line.
    fireEvent.change(slider, { target: { value: '-90' } });
    const alpha = within(card('alpha')).getByTestId('what-if');
    expect(within(alpha).getByTestId('what-if-zone')).toHaveTextContent('Liquidation');
    expect(within(alpha).getByTestId('what-if-cushion')).toHaveTextContent('below liquidation');
    expect(within(alpha).getByTestId('what-if-cushion').textContent).not.toMatch(/[−-]|%/);
  });

  it('returns to live with Escape, wherever the focus is', async () => {
    const { slider, input, banner } = await setup();
    fireEvent.change(slider, { target: { value: '-20' } });
    expect(screen.getAllByTestId('what-if')).toHaveLength(2);
    const link = within(card('alpha')).getByRole('link', { name: 'Alpha' });
    link.focus();
    fireEvent.keyDown(link, { key: 'Escape' });
    expect(banner).toHaveTextContent('Live figures.');
    expect(screen.queryAllByTestId('what-if')).toHaveLength(0);
    expect(slider).toHaveValue('0');
    expect(input).toHaveValue('');
    expect(link).toHaveFocus();
  });

  it('leaves Escape to a dialog or a menu that has the focus, and to a handler that used it', async () => {
    const { slider, banner } = await setup();
    fireEvent.change(slider, { target: { value: '-20' } });
    const widgets = document.createElement('div');
    widgets.innerHTML = `
      <div role="dialog" aria-label="Settings"><button type="button">In a dialog</button></div>
      <dialog open><button type="button">In a native dialog</button></dialog>
      <ul role="menu" aria-label="Actions"><li role="menuitem" tabindex="-1">In a menu</li></ul>
      <select aria-label="Sort"><option>a</option></select>
      <button type="button">Handles Escape itself</button>`;
    document.body.append(widgets);
    try {
      const inside = [
        screen.getByRole('button', { name: 'In a dialog' }),
        screen.getByRole('button', { name: 'In a native dialog' }),
        screen.getByRole('menuitem', { name: 'In a menu' }),
        screen.getByRole('combobox', { name: 'Sort' }),
      ];
      for (const el of inside) {
        el.focus();
        const event = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
        el.dispatchEvent(event);
        expect(event.defaultPrevented).toBe(false);
        expect(banner).toHaveTextContent('Estimate: market −20 %');
      }
      const handler = screen.getByRole('button', { name: 'Handles Escape itself' });
      handler.addEventListener('keydown', (event) => event.preventDefault());
      handler.focus();
      fireEvent.keyDown(handler, { key: 'Escape' });
      expect(banner).toHaveTextContent('Estimate: market −20 %');
      // Anywhere else on the page it is the way back.
      const link = within(card('bravo')).getByRole('link', { name: 'Bravo' });
      link.focus();
      fireEvent.keyDown(link, { key: 'Escape' });
      expect(banner).toHaveTextContent('Live figures.');
    } finally {
      widgets.remove();
    }
  });

  it('returns to live with the button, and keeps the focus on the control', async () => {
    const { slider, input, banner } = await setup();
    fireEvent.change(input, { target: { value: '10' } });
    expect(banner).toHaveTextContent('Estimate: market +10 %');
    const button = screen.getByRole('button', { name: 'Back to live' });
    expect(button).toBeEnabled();
    fireEvent.click(button);
    expect(banner).toHaveTextContent('Live figures.');
    expect(screen.queryAllByTestId('what-if')).toHaveLength(0);
    expect(slider).toHaveFocus();
  });

  it('leaves Escape alone while live', async () => {
    const { banner } = await setup();
    const event = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    document.body.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(false);
    expect(banner).toHaveTextContent('Live figures.');
  });
});
