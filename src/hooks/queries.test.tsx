// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RiskOverviewDto, RiskReportDto } from '../contract/risk.ts';
import { useAccountRisk, useOverviewRisk, useRiskOverview } from './queries.ts';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function report(accountId: string, toMarginCall: string | null = '-0.2'): RiskReportDto {
  return {
    accountId,
    at: 1_000,
    reference: 'USD',
    assets: '10000',
    liabilities: '6000',
    prices: [{ currency: 'BTC', price: '60000', source: 'ticker', at: 900, stale: false }],
    moves: [
      {
        currency: 'BTC',
        price: '60000',
        held: '0.1',
        owed: '0',
        heldValue: '6000',
        owedValue: '0',
        toMarginCall,
        toLiquidation: null,
        toTakeover: null,
      },
    ],
    market: null,
    approximate: null,
    trend: null,
    unavailable: null,
  };
}

/** A fake fetch answering every request with `body` (JSON), counting calls. */
function answer(body: unknown) {
  const fetchMock = vi.fn(
    async (_url: RequestInfo | URL, _init?: RequestInit) =>
      new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } }),
  );
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function wrapper() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
}

describe('useRiskOverview', () => {
  it('reads GET /api/risk with the API header through the contract schema', async () => {
    const body: RiskOverviewDto = { accounts: [report('a'), report('b')] };
    const fetchMock = answer(body);
    const { result } = renderHook(() => useRiskOverview(), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(result.current.data?.accounts.map((r) => r.accountId)).toEqual(['a', 'b']);
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/api/risk');
    expect(new Headers(init?.headers).get('x-margin-watch')).toBe('1');
  });

  it('refuses a move that is not an exact decimal, saying where', async () => {
    answer({ accounts: [report('a', '-2e-1')] });
    const { result } = renderHook(() => useRiskOverview(), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(result.current.error?.message).toBe(
      'unexpected price-move estimates response at accounts.0.moves.0.toMarginCall: expected a decimal string',
    );
  });

  it('asks again every 10 s while shown', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: false });
    const fetchMock = answer({ accounts: [] });
    const { result } = renderHook(() => useRiskOverview(), { wrapper: wrapper() });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10);
    });
    expect(result.current.isSuccess).toBe(true);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(9_000);
    });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1_100);
    });
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});

describe('useOverviewRisk', () => {
  it("picks one account's report out of the overview, null when there is none, with one request for all", async () => {
    const fetchMock = answer({ accounts: [report('a'), report('b', '-0.3')] });
    const { result } = renderHook(
      () => ({ a: useOverviewRisk('a'), b: useOverviewRisk('b'), c: useOverviewRisk('c') }),
      { wrapper: wrapper() },
    );
    await waitFor(() => expect(result.current.c.isSuccess).toBe(true));
    expect(result.current.a.data?.moves[0]?.toMarginCall).toBe('-0.2');
    expect(result.current.b.data?.moves[0]?.toMarginCall).toBe('-0.3');
    expect(result.current.c.data).toBeNull();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('re-renders a card only when its own report changes, not when only the moment of the answer does', async () => {
    answer({ accounts: [report('a'), report('b')] });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const options = {
      wrapper: ({ children }: { children: ReactNode }) => (
        <QueryClientProvider client={client}>{children}</QueryClientProvider>
      ),
    };
    let renders = 0;
    const a = renderHook(() => {
      renders += 1;
      return useOverviewRisk('a');
    }, options);
    // Another card on the same answer: once it shows the new answer, every card has heard of it.
    const b = renderHook(() => useOverviewRisk('b'), options);
    await waitFor(() => expect(a.result.current.data).not.toBeUndefined());
    const first = a.result.current.data;
    const settled = renders;

    // A new answer: a's report is the same but for `at`; b's has changed.
    answer({ accounts: [{ ...report('a'), at: 2_000 }, report('b', '-0.4')] });
    await act(() => client.refetchQueries());
    await waitFor(() => expect(b.result.current.data?.moves[0]?.toMarginCall).toBe('-0.4'));
    expect(a.result.current.data).toBe(first);
    expect(renders).toBe(settled);

    answer({ accounts: [{ ...report('a', '-0.25'), at: 3_000 }, report('b', '-0.4')] });
    await act(() => client.refetchQueries());
    await waitFor(() => expect(a.result.current.data?.moves[0]?.toMarginCall).toBe('-0.25'));
    expect(a.result.current.data?.at).toBe(3_000);
    expect(renders).toBe(settled + 1);
  });
});

describe('useAccountRisk', () => {
  it('reads GET /api/accounts/:id/risk for that account, the id encoded', async () => {
    const fetchMock = answer(report('desk/1'));
    const { result } = renderHook(() => useAccountRisk('desk/1'), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(fetchMock.mock.calls[0]?.[0]).toBe('/api/accounts/desk%2F1/risk');
    expect(result.current.data?.accountId).toBe('desk/1');
  });
});
