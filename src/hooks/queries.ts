// Server state through react-query: the account list, the proxy's health, an account's raw messages and the
// price-move estimates (every account's for the overview, one account's for its drill-down).
// Keys come from one factory; only hooks leave this module.
import { useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useCallback, useMemo } from 'react';
import {
  healthSchema,
  parseAccounts,
  parseRawMessages,
  type AccountInfo,
  type Health,
  type RawMessages,
} from '../contract/accounts.ts';
import {
  riskOverviewSchema,
  riskReportSchema,
  type RiskOverview,
  type RiskReport,
} from '../contract/risk.ts';
import { getJson } from '../transport/http.ts';
import { accountReportSelector } from './risk-reports.ts';

const queryKeys = {
  accounts: ['accounts'] as const,
  accountList: () => [...queryKeys.accounts, 'list'] as const,
  accountRaw: (id: string) => [...queryKeys.accounts, 'detail', id, 'raw'] as const,
  health: () => ['health'] as const,
  risk: ['risk'] as const,
  riskOverview: () => [...queryKeys.risk, 'overview'] as const,
  accountRisk: (id: string) => [...queryKeys.risk, 'account', id] as const,
};

/** Estimates follow prices and balances: refetched this often while shown. */
const RISK_REFETCH_MS = 10_000;

async function fetchAccounts(signal: AbortSignal): Promise<AccountInfo[]> {
  return getJson('/api/accounts', parseAccounts, { signal });
}

export type { Health };

async function fetchHealth(signal: AbortSignal): Promise<Health> {
  return getJson('/api/health', healthSchema, { signal });
}

/** The configured accounts (GET /api/accounts). */
export function useAccounts(): UseQueryResult<AccountInfo[]> {
  return useQuery({
    queryKey: queryKeys.accountList(),
    queryFn: ({ signal }) => fetchAccounts(signal),
    staleTime: 60_000,
  });
}

/** One account from the list, by id. */
export function useAccountInfo(id: string): {
  account: AccountInfo | undefined;
  query: UseQueryResult<AccountInfo[]>;
} {
  const query = useAccounts();
  return { account: query.data?.find((a) => a.id === id), query };
}

/** The proxy's mode (demo or live). */
export function useHealth(): UseQueryResult<Health> {
  return useQuery({
    queryKey: queryKeys.health(),
    queryFn: ({ signal }) => fetchHealth(signal),
    staleTime: 300_000,
  });
}

/** A stable function that refetches the account list (after the stream reconnects, the proxy may have restarted). */
export function useRefetchAccounts(): () => Promise<void> {
  const client = useQueryClient();
  return useCallback(() => client.invalidateQueries({ queryKey: queryKeys.accounts }), [client]);
}

/**
 * The latest raw message of each channel of an account (GET /api/accounts/:id/raw), for support: fetched when
 * asked for, shown as received, never read for figures (the stream carries the proxy's reading).
 */
export function useRawMessages(accountId: string): UseQueryResult<RawMessages> {
  return useQuery({
    queryKey: queryKeys.accountRaw(accountId),
    queryFn: ({ signal }) =>
      getJson(`/api/accounts/${encodeURIComponent(accountId)}/raw`, parseRawMessages, { signal }),
    staleTime: 0,
    refetchOnWindowFocus: false,
  });
}

async function fetchRiskOverview(signal: AbortSignal): Promise<RiskOverview> {
  return getJson('/api/risk', riskOverviewSchema, { signal, what: 'price-move estimates' });
}

/** Every account's price-move estimate and trend (GET /api/risk), refetched every 10 s while shown. */
export function useRiskOverview(): UseQueryResult<RiskOverview> {
  return useQuery({
    queryKey: queryKeys.riskOverview(),
    queryFn: ({ signal }) => fetchRiskOverview(signal),
    refetchInterval: RISK_REFETCH_MS,
    staleTime: RISK_REFETCH_MS / 2,
  });
}

/**
 * One account's estimate out of the overview's answer (one request for every card; the answer's reports are
 * mapped by id once per fetch). A card re-renders only when its own report changes, not when only the answer's
 * moment (`at`) does. `data` is null when the answer holds no report for the account.
 */
export function useOverviewRisk(accountId: string): UseQueryResult<RiskReport | null> {
  const select = useMemo(() => accountReportSelector(accountId), [accountId]);
  return useQuery({
    queryKey: queryKeys.riskOverview(),
    queryFn: ({ signal }) => fetchRiskOverview(signal),
    refetchInterval: RISK_REFETCH_MS,
    staleTime: RISK_REFETCH_MS / 2,
    select,
  });
}

/** One account's price-move estimate and trend (GET /api/accounts/:id/risk), refetched every 10 s while shown. */
export function useAccountRisk(accountId: string): UseQueryResult<RiskReport> {
  return useQuery({
    queryKey: queryKeys.accountRisk(accountId),
    queryFn: ({ signal }) =>
      getJson(`/api/accounts/${encodeURIComponent(accountId)}/risk`, riskReportSchema, {
        signal,
        what: 'price-move estimate',
      }),
    refetchInterval: RISK_REFETCH_MS,
    staleTime: RISK_REFETCH_MS / 2,
  });
}
