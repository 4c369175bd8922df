// Server state through react-query: the account list, the proxy's health, and REST detail for the drill-down.
// Keys come from one factory; only hooks leave this module.
import { useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useCallback, useEffect } from 'react';
import { z } from 'zod';
import { useStore } from 'zustand';
import { parseAccounts, type AccountInfo } from '../app/transport/protocol.ts';
import { useMarginStores } from './stores-context.tsx';

const queryKeys = {
  accounts: ['accounts'] as const,
  accountList: () => [...queryKeys.accounts, 'list'] as const,
  accountRest: (id: string, path: string) => [...queryKeys.accounts, 'detail', id, 'rest', path] as const,
  health: () => ['health'] as const,
};

/**
 * Headers of every API request: the proxy answers API requests (but its health check and the stream) only
 * with `X-Margin-Watch: 1`, which a page on another site cannot add to an `<img>`, `<script>` or form request.
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/json',
  'x-margin-watch': '1',
};

/** A failed HTTP request, with the status and the start of the body (an exchange's error text). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    const snippet = body.trim().slice(0, 300);
    super(`HTTP ${status}${snippet ? `: ${snippet}` : ''}`);
    this.name = 'HttpError';
  }
}

async function getText(url: string, signal: AbortSignal): Promise<string> {
  const response = await fetch(url, { signal, headers: API_HEADERS });
  const text = await response.text();
  if (!response.ok) throw new HttpError(response.status, text);
  return text;
}

async function fetchAccounts(signal: AbortSignal): Promise<AccountInfo[]> {
  const text = await getText('/api/accounts', signal);
  return parseAccounts(JSON.parse(text));
}

const healthSchema = z.object({ status: z.string(), mode: z.enum(['demo', 'live']), accounts: z.number() });
/** GET /api/health. */
export type Health = z.infer<typeof healthSchema>;

async function fetchHealth(signal: AbortSignal): Promise<Health> {
  return healthSchema.parse(JSON.parse(await getText('/api/health', signal)));
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

/** A REST detail response; `fetchedAt` is the browser's time of the answer (see useRestDetail for the stamp). */
export interface RestBody {
  payload: unknown;
  fetchedAt: number;
}

/**
 * Fetches the exchange module's drill-down REST detail through the proxy and merges each response into the
 * account's store (parsed with the module's normalize, like a stream message), stamped on the proxy's clock
 * once that is known. A channel the proxy already polls and streams is fetched once per opening of the
 * drill-down (and on `refetch`), never on a timer; any other every `refetchMs`.
 * Returns null when the exchange has no drill-down REST detail.
 */
export function useRestDetail(account: AccountInfo | undefined): UseQueryResult<RestBody> | null {
  const stores = useMarginStores();
  const module = account ? stores.moduleFor(account.exchange) : undefined;
  const rest = module?.drillDownRest;
  const streamed = rest !== undefined && module?.channels.some((c) => c.id === rest.channel) === true;
  const id = account?.id ?? '';
  const query = useQuery({
    queryKey: queryKeys.accountRest(id, rest?.path ?? ''),
    queryFn: async ({ signal }): Promise<RestBody> => {
      const text = await getText(`/api/accounts/${encodeURIComponent(id)}/rest/${rest?.path ?? ''}`, signal);
      let payload: unknown = text;
      try {
        payload = JSON.parse(text);
      } catch {
        // Not JSON: the parser reports it as a malformed message.
      }
      return { payload, fetchedAt: Date.now() };
    },
    enabled: rest !== undefined && account !== undefined,
    refetchInterval: rest && !streamed ? rest.refetchMs : false,
    refetchOnMount: 'always',
    refetchOnWindowFocus: !streamed,
    retry: 1,
  });
  const data = query.data;
  const exchange = account?.exchange;
  const channel = rest?.channel;
  // Merged once the proxy's clock is known, so the message is stamped on the same clock as stream messages.
  const clockKnown = useStore(stores.connection, (s) => s.clockKnown);
  useEffect(() => {
    if (!data || !clockKnown || exchange === undefined || channel === undefined) return;
    const offset = stores.connection.getState().clockOffsetMs;
    stores.restReceived(exchange, id, channel, data.payload, data.fetchedAt + offset);
  }, [data, clockKnown, stores, exchange, id, channel]);
  return rest ? query : null;
}
