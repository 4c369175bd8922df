// Server state through react-query: the account list, the proxy's health, and an account's raw messages.
// Keys come from one factory; only hooks leave this module.
import { useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useCallback } from 'react';
import {
  healthSchema,
  parseAccounts,
  parseRawMessages,
  type AccountInfo,
  type Health,
  type RawMessages,
} from '../contract/accounts.ts';
import { getJson } from '../transport/http.ts';

const queryKeys = {
  accounts: ['accounts'] as const,
  accountList: () => [...queryKeys.accounts, 'list'] as const,
  accountRaw: (id: string) => [...queryKeys.accounts, 'detail', id, 'raw'] as const,
  health: () => ['health'] as const,
};

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
