// Narrow selectors over the stores: a card reads only its own account, lists read only what they order by.
import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react';
import { useStore } from 'zustand';
import type { AccountInfo } from '../contract/accounts.ts';
import { ZONES, type RiskZone } from '../domain/model.ts';
import { zoneSeverity } from '../domain/risk.ts';
import type { AccountState } from '../stores/snapshot-store.ts';
import type { SocketStatus } from '../transport/stream-socket.ts';
import {
  classifyFreshness,
  figuresOld,
  freshnessOf,
  lacksCurrentFigures,
  type Freshness,
  type FreshnessKind,
} from '../stores/freshness.ts';
import type { MarginStores } from '../stores/margin-stores.ts';
import { clockNow, subscribeToClock, useNow } from './useNow.ts';
import { useMarginStores } from './stores-context.tsx';

/** One account's state; re-renders only when that account changes. */
export function useAccountState(accountId: string): AccountState | undefined {
  return useStore(useMarginStores().snapshots.store, (s) => s.accounts[accountId]);
}

/** The browser's connection to the proxy. */
export function useSocketStatus(): SocketStatus {
  return useStore(useMarginStores().connection, (s) => s.socket);
}

/** Proxy clock minus browser clock, ms. */
export function useClockOffset(): number {
  return useStore(useMarginStores().connection, (s) => s.clockOffsetMs);
}

/** True once the proxy's clock is known (its first ping). */
export function useClockKnown(): boolean {
  return useStore(useMarginStores().connection, (s) => s.clockKnown);
}

/** How trustworthy the account's figures are; re-renders when that changes (not every second). */
export function useFreshness(accountId: string): Freshness {
  const account = useAccountState(accountId);
  const socket = useSocketStatus();
  const offset = useClockOffset();
  const clockKnown = useClockKnown();
  const old = useNow((now) => figuresOld(account, now + offset));
  return useMemo(
    () => classifyFreshness(account, socket, old, clockKnown),
    [account, socket, old, clockKnown],
  );
}

/** An account's freshness read straight from the stores at browser time `now`. */
export function freshnessIn(stores: MarginStores, account: AccountInfo, now: number): Freshness {
  const state = stores.account(account.id);
  const { socket, clockOffsetMs, clockKnown } = stores.connection.getState();
  return freshnessOf(state, socket, now + clockOffsetMs, clockKnown);
}

/**
 * Reads a string derived from the snapshot store, the connection and the clock (ages change with time);
 * re-renders only when the string changes.
 */
function useAcrossStores(derive: (stores: MarginStores, now: number) => string): string {
  const stores = useMarginStores();
  const subscribe = useCallback(
    (listener: () => void) => {
      const unsubscribes = [
        stores.subscribeAll(listener),
        stores.connection.subscribe(listener),
        subscribeToClock(listener),
      ];
      return () => unsubscribes.forEach((u) => u());
    },
    [stores],
  );
  return useSyncExternalStore(subscribe, () => derive(stores, clockNow()));
}

/** Orders the overview offers. */
export const SORT_KEYS = ['risk', 'name', 'exchange', 'updated'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** What an order looks at for one account. */
export interface RankRow {
  account: AccountInfo;
  state: AccountState | undefined;
  /** True when the account has no current figures (see lacksCurrentFigures): it is ranked first by risk. */
  attention: boolean;
}

/** Smallest cushion first, unknown cushions after known ones, then the worse zone. */
function compareCushion(a: RankRow, b: RankRow): number {
  const ca = a.state?.snapshot?.cushion ?? null;
  const cb = b.state?.snapshot?.cushion ?? null;
  if (ca !== null && cb !== null && !ca.eq(cb)) return ca.comparedTo(cb);
  if (ca !== null && cb === null) return -1;
  if (ca === null && cb !== null) return 1;
  const za = a.state?.snapshot?.zone ?? 'unknown';
  const zb = b.state?.snapshot?.zone ?? 'unknown';
  return zoneSeverity(zb) - zoneSeverity(za);
}

/** True when the venue itself reports the account as being liquidated: its word outranks any cushion. */
function venueLiquidating(row: RankRow): boolean {
  return row.state?.snapshot?.venueStatus?.kind === 'liquidating';
}

/**
 * Accounts without current figures first (so they never sink below Safe ones), then those the venue reports as
 * being liquidated, then by cushion.
 */
function compareRisk(a: RankRow, b: RankRow): number {
  if (a.attention !== b.attention) return a.attention ? -1 : 1;
  const va = venueLiquidating(a);
  if (va !== venueLiquidating(b)) return va ? -1 : 1;
  return compareCushion(a, b);
}

const comparators: Record<SortKey, (a: RankRow, b: RankRow) => number> = {
  risk: compareRisk,
  name: () => 0,
  exchange: (a, b) => a.account.exchange.localeCompare(b.account.exchange),
  updated: (a, b) => (a.state?.lastGood?.at ?? -Infinity) - (b.state?.lastGood?.at ?? -Infinity),
};

/**
 * Orders accounts: `risk` = accounts without current figures first (stale, failing, none yet), then those the
 * venue reports as being liquidated, then smallest cushion first (unknown cushions last); else label, exchange,
 * oldest update.
 */
export function sortRows(rows: readonly RankRow[], key: SortKey): RankRow[] {
  return [...rows].sort(
    (a, b) =>
      comparators[key](a, b) ||
      a.account.label.localeCompare(b.account.label) ||
      a.account.id.localeCompare(b.account.id),
  );
}

/** Like sortRows, for accounts whose freshness does not matter (every one counted as current). */
export function sortAccounts(
  accounts: readonly AccountInfo[],
  key: SortKey,
  stateOf: (account: AccountInfo) => AccountState | undefined,
): AccountInfo[] {
  const rows = accounts.map((account) => ({ account, state: stateOf(account), attention: false }));
  return sortRows(rows, key).map((r) => r.account);
}

/** The risk order is recomputed at once when an account changes zone or group, else at most this often. */
export const RESORT_MS = 5_000;

/**
 * Keeps an order steady: a new order is taken at once when `signature` changes (an account changed zone, or
 * started or stopped lacking current figures, or the account list changed) and otherwise at most every
 * RESORT_MS, so cards do not reshuffle on every tick while the keyboard is on one of them.
 */
export class SteadyOrder {
  private order = '';
  private signature: string | null = null;
  private sortedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs = RESORT_MS) {}

  /** The order to show at `now` (ms); `compute` is called only when a new order is due. */
  next(signature: string, now: number, compute: () => string): string {
    if (signature !== this.signature || now - this.sortedAt >= this.intervalMs) {
      const order = compute();
      this.signature = signature;
      this.sortedAt = now;
      this.order = order;
    }
    return this.order;
  }
}

/** A rank row with the account's freshness at the time it was made. */
interface FreshRow extends RankRow {
  kind: FreshnessKind;
}

function rankRows(stores: MarginStores, accounts: readonly AccountInfo[], now: number): FreshRow[] {
  return accounts.map((account) => {
    const freshness = freshnessIn(stores, account, now);
    return {
      account,
      state: stores.account(account.id),
      attention: lacksCurrentFigures(freshness),
      kind: freshness.kind,
    };
  });
}

/**
 * Account ids in display order; the caller re-renders only when the order changes. By risk the order is kept
 * steady (see SteadyOrder); the other orders follow at once.
 */
export function useSortedAccountIds(accounts: readonly AccountInfo[], key: SortKey): string[] {
  const steady = useRef<SteadyOrder | null>(null);
  steady.current ??= new SteadyOrder();
  const keeper = steady.current;
  const order = useAcrossStores((stores, now) => {
    const rows = rankRows(stores, accounts, now);
    const compute = () =>
      sortRows(rows, key)
        .map((r) => r.account.id)
        .join('\n');
    if (key !== 'risk') return compute();
    const signature = rows
      .map((r) => `${r.account.id}:${r.attention ? 1 : 0}:${r.state?.snapshot?.zone ?? 'unknown'}`)
      .join(',');
    return keeper.next(signature, now, compute);
  });
  return useMemo(() => (order === '' ? [] : order.split('\n')), [order]);
}

export interface ZoneSummary {
  /** Accounts with current figures, per zone. */
  counts: Record<RiskZone, number>;
  /** Accounts without current figures (stale, failing, none yet), with what is wrong; in list order. */
  noCurrent: { id: string; kind: FreshnessKind }[];
  /** The account with the least cushion by its latest figures (current or not), if any has figures. */
  worstId: string | null;
}

/** Count of accounts per zone (current figures only), the accounts without current figures, and the worst. */
export function useZoneSummary(accounts: readonly AccountInfo[]): ZoneSummary {
  const encoded = useAcrossStores((stores, now) => {
    const rows = rankRows(stores, accounts, now);
    const zones = rows.filter((r) => !r.attention).map((r) => r.state?.snapshot?.zone ?? 'unknown');
    const noCurrent = rows.filter((r) => r.attention).map((r) => `${r.account.id} ${r.kind}`);
    const withFigures = rows.filter((r) => r.state?.snapshot?.level).map((r) => ({ ...r, attention: false }));
    const worst = sortRows(withFigures, 'risk')[0];
    return [worst?.account.id ?? '', zones.join(','), noCurrent.join(',')].join('\t');
  });
  return useMemo(() => {
    const [worstId = '', zoneList = '', noCurrentList = ''] = encoded.split('\t');
    const counts = Object.fromEntries(ZONES.map((z) => [z, 0])) as Record<RiskZone, number>;
    for (const zone of zoneList.split(',')) if (zone in counts) counts[zone as RiskZone] += 1;
    const noCurrent = noCurrentList
      .split(',')
      .filter((entry) => entry !== '')
      .map((entry) => {
        const [id = '', kind = ''] = entry.split(' ');
        return { id, kind: kind as FreshnessKind };
      });
    return { counts, noCurrent, worstId: worstId === '' ? null : worstId };
  }, [encoded]);
}

/** Every account's freshness kind, as `id kind` lines in list order; re-renders only when one changes. */
export function useFreshnessKinds(accounts: readonly AccountInfo[]): string {
  return useAcrossStores((stores, now) =>
    accounts.map((a) => `${a.id} ${freshnessIn(stores, a, now).kind}`).join('\n'),
  );
}
