// The recorded margin history of an account (GET /api/accounts/:id/history) through react-query, and live
// snapshots from the stream folded into the cached history without refetching.
import {
  keepPreviousData,
  notifyManager,
  useQuery,
  useQueryClient,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import {
  PRESET_SPAN_MS,
  SERIES_LIMIT,
  appendLive,
  type HistoryData,
  type HistoryRange,
  type RangePreset,
} from './history/model.ts';
import { historyResponseSchema } from '../contract/history.ts';
import type { MarginSnapshot } from '../domain/model.ts';
import { ApiError, getJson } from '../transport/http.ts';
import { useOptionalMarginStores } from './stores-context.tsx';

function rangeKey(range: HistoryRange): string {
  return range.kind === 'preset' ? range.preset : `${range.from}-${range.to}`;
}

/** Query keys of history data: everything, one account, one range at one resolution. */
export const historyKeys = {
  all: ['history'] as const,
  account: (accountId: string) => [...historyKeys.all, accountId] as const,
  range: (accountId: string, range: HistoryRange, maxPoints: number) =>
    [...historyKeys.account(accountId), rangeKey(range), maxPoints] as const,
};

/** The request URL: a preset asks for the span ending now (the proxy's now), `all` for everything. */
export function historyUrl(accountId: string, range: HistoryRange, maxPoints: number, now: number): string {
  const params = new URLSearchParams();
  if (range.kind === 'window') {
    params.set('from', String(Math.max(0, Math.floor(range.from))));
    params.set('to', String(Math.max(0, Math.ceil(range.to))));
  } else {
    const span = PRESET_SPAN_MS[range.preset];
    if (span !== null) params.set('from', String(Math.max(0, now - span)));
  }
  params.set('maxPoints', String(maxPoints));
  return `/api/accounts/${encodeURIComponent(accountId)}/history?${params.toString()}`;
}

/** Fetches and validates one history range. */
export async function fetchHistory(
  accountId: string,
  range: HistoryRange,
  maxPoints: number,
  signal?: AbortSignal,
  now: number = Date.now(),
): Promise<HistoryData> {
  return getJson(historyUrl(accountId, range, maxPoints, now), historyResponseSchema, {
    signal,
    what: 'history',
  });
}

export interface UseHistoryOptions {
  /** Buckets requested (≤ 1000). */
  maxPoints?: number;
  enabled?: boolean;
}

/**
 * One account's history over `range`. Preset ranges are kept current by useLiveHistory rather than by
 * polling; they are refetched when the window regains focus after a minute.
 */
export function useHistory(
  accountId: string,
  range: HistoryRange,
  options: UseHistoryOptions = {},
): UseQueryResult<HistoryData> {
  const maxPoints = Math.min(options.maxPoints ?? SERIES_LIMIT, SERIES_LIMIT);
  const stores = useOptionalMarginStores();
  return useQuery({
    queryKey: historyKeys.range(accountId, range, maxPoints),
    // A preset ends at the proxy's now: its samples are stamped on the proxy's clock.
    queryFn: ({ signal }) =>
      fetchHistory(
        accountId,
        range,
        maxPoints,
        signal,
        Date.now() + (stores?.connection.getState().clockOffsetMs ?? 0),
      ),
    enabled: options.enabled ?? true,
    staleTime: range.kind === 'window' ? Number.POSITIVE_INFINITY : 60_000,
    refetchOnWindowFocus: true,
    placeholderData: keepPreviousData,
    // One retry for network trouble and 5xx; a 4xx (bad range, unknown account) will not change.
    retry: (failures, error) => failures < 1 && !(error instanceof ApiError && error.permanent),
  });
}

/** Live snapshots are folded into the cached history at most this often (charts redraw a few times a second at most). */
export const LIVE_APPEND_MS = 1000;

// Every mounted chart and sparkline folds on one shared timer, inside one react-query notification batch, so a
// page of fifty cards redraws its sparklines in one React commit per LIVE_APPEND_MS rather than one per card.
const dueFolds = new Set<() => void>();
let foldTimer: ReturnType<typeof setTimeout> | null = null;

function runDueFolds(): void {
  foldTimer = null;
  const folds = [...dueFolds];
  dueFolds.clear();
  notifyManager.batch(() => folds.forEach((fold) => fold()));
}

/** Runs `fold` with every other fold due, LIVE_APPEND_MS after the first of them was scheduled. */
function scheduleFold(fold: () => void): void {
  dueFolds.add(fold);
  foldTimer ??= setTimeout(runDueFolds, LIVE_APPEND_MS);
}

function cancelFold(fold: () => void): void {
  dueFolds.delete(fold);
  if (dueFolds.size === 0 && foldTimer !== null) {
    clearTimeout(foldTimer);
    foldTimer = null;
  }
}

/**
 * Appends each new `live` snapshot of the account to the cached history of a preset range, without refetching.
 * Every snapshot seen is kept until the next fold, so a brief dip between two redraws is not lost; snapshots
 * that arrive before the history are kept until it is there. Pass the
 * account's `levelSnapshot` (a new object only when a message carrying the level arrived, stamped with its
 * time): a snapshot refreshed by a balance poll or REST detail would extend an old level to "now".
 */
export function useLiveHistory(
  accountId: string,
  range: HistoryRange,
  maxPoints: number,
  live: MarginSnapshot | null | undefined,
): void {
  const client = useQueryClient();
  const preset: RangePreset | null = range.kind === 'preset' ? range.preset : null;
  const limit = Math.min(maxPoints, SERIES_LIMIT);
  const key = useMemo(
    () => (preset === null ? null : historyKeys.range(accountId, { kind: 'preset', preset }, limit)),
    [accountId, preset, limit],
  );
  const pending = useRef<MarginSnapshot[]>([]);
  const scheduled = useRef<(() => void) | null>(null);

  useEffect(() => {
    pending.current = [];
    return () => {
      if (scheduled.current !== null) cancelFold(scheduled.current);
      scheduled.current = null;
      pending.current = [];
    };
  }, [key]);

  useEffect(() => {
    if (!live || key === null || preset === null || live.accountId !== accountId) return;
    pending.current.push(live);
    if (scheduled.current !== null) return;
    const fold = (): void => {
      if (client.getQueryData<HistoryData>(key) === undefined) {
        // The history has not arrived yet: keep what was seen (the level on screen now among it) for a later fold.
        pending.current = pending.current.slice(-limit);
        scheduleFold(fold);
        return;
      }
      scheduled.current = null;
      const batch = pending.current;
      pending.current = [];
      client.setQueryData<HistoryData>(key, (old) =>
        old ? appendLive(old, batch, PRESET_SPAN_MS[preset]) : old,
      );
    };
    scheduled.current = fold;
    scheduleFold(fold);
  }, [live, key, preset, accountId, client, limit]);
}

/** Range and resolution of the overview's cushion sparkline. */
export const SPARKLINE_RANGE: HistoryRange = { kind: 'preset', preset: '24h' };
export const SPARKLINE_POINTS = 96;

/** The last 24 h of an account at sparkline resolution, kept current with `live`. */
export function useCushionHistory(
  accountId: string,
  live: MarginSnapshot | null | undefined,
): UseQueryResult<HistoryData> {
  const query = useHistory(accountId, SPARKLINE_RANGE, { maxPoints: SPARKLINE_POINTS });
  useLiveHistory(accountId, SPARKLINE_RANGE, SPARKLINE_POINTS, live);
  return query;
}
