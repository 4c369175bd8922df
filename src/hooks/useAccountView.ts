// Narrow selectors over the stores: a card reads only its own account, lists read only what they order by.
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { AccountInfo } from '../app/transport/protocol.ts';
import { ZONES, type RiskZone } from '../domain/model.ts';
import { zoneSeverity } from '../domain/risk.ts';
import type { SocketStatus } from '../app/transport/stream-socket.ts';
import type { AccountState, ExchangeState } from '../stores/exchange-store.ts';
import { classifyFreshness, figuresOld, type Freshness } from '../stores/freshness.ts';
import type { MarginStores } from '../stores/margin-stores.ts';
import { useNow } from './useNow.ts';
import { useMarginStores } from './stores-context.tsx';

const noExchange = createStore<ExchangeState>()(() => ({ accounts: {} }));

/** One account's state; re-renders only when that account changes. */
export function useAccountState(exchange: string, accountId: string): AccountState | undefined {
  const store = useMarginStores().storeFor(exchange)?.store ?? noExchange;
  return useStore(store, (s) => s.accounts[accountId]);
}

/** The browser's connection to the proxy. */
export function useSocketStatus(): SocketStatus {
  return useStore(useMarginStores().connection, (s) => s.socket);
}

/** Proxy clock minus browser clock, ms. */
export function useClockOffset(): number {
  return useStore(useMarginStores().connection, (s) => s.clockOffsetMs);
}

/** How trustworthy the account's figures are; re-renders when that changes (not every second). */
export function useFreshness(exchange: string, accountId: string): Freshness {
  const stores = useMarginStores();
  const module = stores.moduleFor(exchange);
  const account = useAccountState(exchange, accountId);
  const socket = useSocketStatus();
  const offset = useClockOffset();
  const old = useNow((now) => (module ? figuresOld(module, account, now + offset) : false));
  return useMemo(() => classifyFreshness(account, socket, old), [account, socket, old]);
}

/** Reads a string derived from every exchange store; re-renders only when the string changes. */
function useAcrossStores(derive: (stores: MarginStores) => string): string {
  const stores = useMarginStores();
  const subscribe = useCallback((listener: () => void) => stores.subscribeAll(listener), [stores]);
  return useSyncExternalStore(subscribe, () => derive(stores));
}

/** Orders the overview offers. */
export const SORT_KEYS = ['risk', 'name', 'exchange', 'updated'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

interface RankRow {
  account: AccountInfo;
  state: AccountState | undefined;
}

function compareRisk(a: RankRow, b: RankRow): number {
  const ca = a.state?.snapshot?.cushion ?? null;
  const cb = b.state?.snapshot?.cushion ?? null;
  if (ca !== null && cb !== null && !ca.eq(cb)) return ca.comparedTo(cb);
  if (ca !== null && cb === null) return -1;
  if (ca === null && cb !== null) return 1;
  const za = a.state?.snapshot?.zone ?? 'unknown';
  const zb = b.state?.snapshot?.zone ?? 'unknown';
  return zoneSeverity(zb) - zoneSeverity(za);
}

const comparators: Record<SortKey, (a: RankRow, b: RankRow) => number> = {
  risk: compareRisk,
  name: () => 0,
  exchange: (a, b) => a.account.exchange.localeCompare(b.account.exchange),
  updated: (a, b) => (a.state?.lastGood?.at ?? -Infinity) - (b.state?.lastGood?.at ?? -Infinity),
};

/** Orders accounts: `risk` = smallest cushion first (unknown cushions last), else label, exchange, oldest update. */
export function sortAccounts(
  accounts: readonly AccountInfo[],
  key: SortKey,
  stateOf: (account: AccountInfo) => AccountState | undefined,
): AccountInfo[] {
  const rows = accounts.map((account) => ({ account, state: stateOf(account) }));
  rows.sort(
    (a, b) =>
      comparators[key](a, b) ||
      a.account.label.localeCompare(b.account.label) ||
      a.account.id.localeCompare(b.account.id),
  );
  return rows.map((r) => r.account);
}

/** Account ids in display order; the caller re-renders only when the order changes. */
export function useSortedAccountIds(accounts: readonly AccountInfo[], key: SortKey): string[] {
  const order = useAcrossStores((stores) =>
    sortAccounts(accounts, key, (a) => stores.account(a.exchange, a.id))
      .map((a) => a.id)
      .join('\n'),
  );
  return useMemo(() => (order === '' ? [] : order.split('\n')), [order]);
}

export interface ZoneSummary {
  counts: Record<RiskZone, number>;
  /** The account with the least cushion (first in risk order), if any has figures. */
  worstId: string | null;
}

/** Count of accounts per zone and the worst account. */
export function useZoneSummary(accounts: readonly AccountInfo[]): ZoneSummary {
  const encoded = useAcrossStores((stores) => {
    const stateOf = (a: AccountInfo) => stores.account(a.exchange, a.id);
    const zones = accounts.map((a) => stateOf(a)?.snapshot?.zone ?? 'unknown');
    const withFigures = accounts.filter((a) => stateOf(a)?.snapshot?.level);
    const worst = sortAccounts(withFigures, 'risk', stateOf)[0];
    return `${worst?.id ?? ''}\t${zones.join(',')}`;
  });
  return useMemo(() => {
    const [worstId = '', zoneList = ''] = encoded.split('\t');
    const counts = Object.fromEntries(ZONES.map((z) => [z, 0])) as Record<RiskZone, number>;
    for (const zone of zoneList.split(',')) if (zone in counts) counts[zone as RiskZone] += 1;
    return { counts, worstId: worstId === '' ? null : worstId };
  }, [encoded]);
}
