// @vitest-environment jsdom
import { fireEvent, screen, within } from '@testing-library/react';
import { memo, Profiler } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { accountInfo, messageFrame, riskFrame } from '../app/testing/fake-exchange.ts';
import { renderWithStores, stubApi } from '../app/testing/render.tsx';
import type { AccountInfo } from '../contract/accounts.ts';
import type * as CardModule from './AccountCard.tsx';
import { RESORT_MS } from '../hooks/useAccountView.ts';
import { Overview } from './Overview.tsx';

const probe = vi.hoisted(() => ({ renders: new Map<string, number>(), broken: new Set<string>() }));

// Wraps the real card to count its renders (including its own store-driven ones) and to break one on demand.
vi.mock('./AccountCard.tsx', async (importOriginal) => {
  const real = await importOriginal<typeof CardModule>();
  const { useAccountState } = await import('../hooks/useAccountView.ts');
  function Fuse({ accountId }: CardModule.AccountCardProps) {
    const state = useAccountState(accountId);
    if (probe.broken.has(accountId) && state) throw new Error(`card ${accountId} exploded`);
    return null;
  }
  const Counted = memo(function Counted(props: CardModule.AccountCardProps) {
    return (
      <Profiler
        id={props.accountId}
        onRender={() => probe.renders.set(props.accountId, (probe.renders.get(props.accountId) ?? 0) + 1)}
      >
        <Fuse {...props} />
        <real.AccountCard {...props} />
      </Profiler>
    );
  });
  return { ...real, AccountCard: Counted };
});

const accounts: AccountInfo[] = [
  accountInfo('alpha', 'fakex', 'Alpha'),
  accountInfo('bravo', 'fakex', 'Bravo'),
  accountInfo('charlie', 'fakey', 'Charlie'),
  accountInfo('delta', 'fakey', 'Delta'),
];

async function setup() {
  stubApi({ accounts });
  const { fakeModule } = await import('../app/testing/fake-exchange.ts');
  const h = renderWithStores(<Overview />, {
    accounts,
    modules: [fakeModule('fakex', 'FakeX'), fakeModule('fakey', 'FakeY')],
  });
  await screen.findByTestId('account-list');
  const now = Date.now();
  // Cushions (liquidation 1.1): alpha 1 − 1.1/2 = 45%, bravo 1 − 1.1/1.2 ≈ 8.3%, charlie 1 − 1.1/5 = 78%; delta has none.
  h.send(
    riskFrame('alpha', '2.00', now),
    riskFrame('bravo', '1.20', now - 100),
    riskFrame('charlie', '5.00', now),
  );
  return h;
}

function order(): string[] {
  return screen.getAllByTestId('account-card').map((c) => c.getAttribute('data-account-id') ?? '');
}

describe('Overview', () => {
  it('says no account is connected yet when there is none', async () => {
    stubApi({ accounts: [] });
    renderWithStores(<Overview />);
    expect(await screen.findByText('No account is connected yet.')).toBeInTheDocument();
  });

  it('shows a failed account list in place with a retry', async () => {
    const fetchMock = stubApi({ accounts: { error: 'boom' }, accountsStatus: 500 });
    renderWithStores(<Overview />);
    const problem = await screen.findByTestId('query-problem');
    expect(problem).toHaveTextContent('Could not load the account list: HTTP 500: boom');
    const calls = fetchMock.mock.calls.length;
    fireEvent.click(within(problem).getByRole('button', { name: 'Retry' }));
    await vi.waitFor(() => expect(fetchMock.mock.calls.length).toBeGreaterThan(calls));
  });

  it('sorts by risk: accounts without current figures first, then least cushion, and follows zone changes', async () => {
    const h = await setup();
    expect(order()).toEqual(['delta', 'bravo', 'alpha', 'charlie']);
    h.send(riskFrame('charlie', '1.15', Date.now() + 1));
    expect(order()).toEqual(['delta', 'charlie', 'bravo', 'alpha']);
  });

  it('ranks an account whose figures are not current (authentication failed) above every current one', async () => {
    const h = await setup();
    h.send({
      type: 'status',
      accountId: 'charlie',
      state: 'auth_failed',
      detail: 'HTTP 401',
      at: Date.now(),
    });
    expect(order()).toEqual(['charlie', 'delta', 'bravo', 'alpha']);
    h.send({ type: 'status', accountId: 'charlie', state: 'live', at: Date.now() + 1 });
    expect(order()).toEqual(['delta', 'bravo', 'alpha', 'charlie']);
  });

  it('does not reshuffle on every tick: a cushion change within its zone waits for the next re-sort', async () => {
    const h = await setup();
    // Charlie's cushion falls below alpha's (42.1% < 45%) but both stay Safe: the order holds for now.
    h.send(riskFrame('charlie', '1.90', Date.now() + 1));
    expect(order()).toEqual(['delta', 'bravo', 'alpha', 'charlie']);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + RESORT_MS);
      const t = Date.now();
      h.send(riskFrame('alpha', '2.00', t), riskFrame('bravo', '1.20', t), riskFrame('charlie', '1.90', t));
      await vi.waitFor(() => expect(order()).toEqual(['delta', 'bravo', 'charlie', 'alpha']), {
        timeout: 3000,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps keyboard focus on a card that a new order moves', async () => {
    // Browsers drop focus from a node the DOM moves (it is removed, then inserted); jsdom does not, so this
    // does it here. React puts focus back after its commit, as long as the card's element is kept (keyed by id).
    const blurMoved = <T extends (this: Node, ...args: never[]) => Node>(original: T) =>
      function (this: Node, ...args: Parameters<T>): Node {
        const [node] = args as unknown as [Node];
        const focused = document.activeElement;
        const moving = node.isConnected && focused instanceof HTMLElement && node.contains(focused);
        const result = original.apply(this, args);
        if (moving) focused.blur();
        return result;
      };
    const insertBefore = Object.getOwnPropertyDescriptor(Node.prototype, 'insertBefore')
      ?.value as Node['insertBefore'];
    const appendChild = Object.getOwnPropertyDescriptor(Node.prototype, 'appendChild')
      ?.value as Node['appendChild'];
    vi.spyOn(Node.prototype, 'insertBefore').mockImplementation(blurMoved(insertBefore));
    vi.spyOn(Node.prototype, 'appendChild').mockImplementation(blurMoved(appendChild));
    const h = await setup();
    const link = within(screen.getByTestId('account-list')).getByRole('link', { name: 'Bravo' });
    link.focus();
    expect(document.activeElement).toBe(link);
    // Bravo leaves Caution for Safe (63.3%): it moves down, past alpha (the DOM node itself is moved).
    h.send(riskFrame('bravo', '3.00', Date.now() + 1));
    expect(order()).toEqual(['delta', 'alpha', 'bravo', 'charlie']);
    expect(document.activeElement).toBe(link);
    vi.restoreAllMocks();
  });

  it('offers other orders, kept in the URL', async () => {
    const h = await setup();
    const select = screen.getByLabelText('Sort by');
    fireEvent.change(select, { target: { value: 'name' } });
    expect(order()).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    expect(h.location.history.at(-1)).toBe('/?sort=name');
    fireEvent.change(select, { target: { value: 'updated' } });
    expect(order()).toEqual(['delta', 'bravo', 'alpha', 'charlie']);
    fireEvent.change(select, { target: { value: 'exchange' } });
    expect(order()).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    fireEvent.change(select, { target: { value: 'risk' } });
    expect(h.location.history.at(-1)).toBe('/');
  });

  it('summarises the worst account, the count per zone and the accounts without current figures', async () => {
    const h = await setup();
    const summary = screen.getByTestId('summary');
    expect(within(summary).getByTestId('summary-worst')).toHaveAttribute('data-account-id', 'bravo');
    expect(within(summary).getByTestId('summary-worst')).toHaveTextContent(
      /^Most at risk: Bravo\s*Caution\s*cushion 8\.3%$/,
    );
    expect(within(summary).getByTestId('zone-count-safe')).toHaveTextContent('Safe 2');
    expect(within(summary).getByTestId('zone-count-caution')).toHaveTextContent('Caution 1');
    expect(within(summary).getByTestId('zone-count-unknown')).toHaveTextContent('Unknown 0');
    expect(within(summary).getByTestId('zone-count-no-current')).toHaveTextContent('No current figures 1');
    expect(within(summary).getByTestId('summary-no-current')).toHaveTextContent(
      'No current figures: Delta (no figures yet)',
    );
    h.send(riskFrame('alpha', '1.05', Date.now() + 5));
    expect(within(summary).getByTestId('summary-worst')).toHaveAttribute('data-account-id', 'alpha');
    expect(within(summary).getByTestId('zone-count-liquidation')).toHaveTextContent('Liquidation 1');
    expect(within(summary).getByTestId('zone-count-safe')).toHaveTextContent('Safe 1');
  });

  it('ranks an account its venue is liquidating first, whatever its cushion', async () => {
    const h = await setup();
    h.send(
      messageFrame(
        'charlie',
        'risk',
        { level: '3.0', liquidation: '1.1', liquidatingBy: 'FakeX' },
        Date.now() + 5,
      ),
    );
    const summary = screen.getByTestId('summary');
    expect(within(summary).getByTestId('summary-worst')).toHaveAttribute('data-account-id', 'charlie');
    expect(within(summary).getByTestId('summary-worst')).toHaveTextContent(
      /Liquidation · being liquidated by FakeX/,
    );
    expect(within(summary).getByTestId('zone-count-liquidation')).toHaveTextContent('Liquidation 1');
  });

  it('never shows the worst account’s figures as current when they are not, nor counts them in a zone', async () => {
    const h = await setup();
    h.send({ type: 'status', accountId: 'bravo', state: 'auth_failed', detail: 'HTTP 401', at: Date.now() });
    const summary = screen.getByTestId('summary');
    const worst = within(summary).getByTestId('summary-worst');
    expect(worst).toHaveAttribute('data-account-id', 'bravo');
    expect(worst).toHaveAttribute('data-live', 'false');
    expect(within(worst).getByTestId('zone')).toHaveClass('is-dated');
    expect(within(worst).getByTestId('summary-worst-dated')).toHaveTextContent(
      /^\(authentication failed, figures from \d+ s ago\)$/,
    );
    expect(within(summary).getByTestId('zone-count-caution')).toHaveTextContent('Caution 0');
    expect(within(summary).getByTestId('zone-count-no-current')).toHaveTextContent('No current figures 2');
    expect(within(summary).getByTestId('summary-no-current')).toHaveTextContent(
      'No current figures: Bravo (authentication failed), Delta (no figures yet)',
    );
  });

  it('re-renders only the card of the account that changed', async () => {
    const h = await setup();
    probe.renders.clear();
    h.send(riskFrame('alpha', '2.10', Date.now() + 10));
    h.send(riskFrame('alpha', '2.20', Date.now() + 11));
    expect(Object.fromEntries(probe.renders)).toEqual({ alpha: 2 });
  });

  it('keeps the other cards when one card fails to render', async () => {
    const h = await setup();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    probe.broken.add('alpha');
    // News for alpha makes its card throw; only that card is replaced.
    h.send(riskFrame('alpha', '2.30', Date.now() + 20));
    const broken = screen.getByTestId('card-error');
    expect(broken).toHaveTextContent('This card could not be shown: card alpha exploded');
    expect(order()).toEqual(['delta', 'bravo', 'charlie']);
    expect(within(screen.getByTestId('account-list')).getAllByRole('listitem')).toHaveLength(4);
    probe.broken.delete('alpha');
    fireEvent.click(within(broken).getByRole('button', { name: 'Try again' }));
    expect(order()).toEqual(['delta', 'bravo', 'alpha', 'charlie']);
    spy.mockRestore();
  });
});
