// Alerts in the browser: server state through react-query (history, rules, webhook status; keys from one
// factory), and the page's alert stores (the live feed, this browser's notification/sound preferences).
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type UseInfiniteQueryResult,
  type InfiniteData,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import { useStore } from 'zustand';
import { alertMarkers, type AlertMarker } from './alerts/markers.ts';
import {
  alertPageSchema,
  rulesViewSchema,
  webhookStatusSchema,
  type Alert,
  type AlertPage,
  type RulesPatch,
  type RulesView,
  type WebhookStatus,
} from '../contract/alerts.ts';
import type { AlertFeedState } from '../stores/alert-feed.ts';
import type { AlertPrefs } from '../stores/alert-prefs.ts';
import { getJson, putJson } from '../transport/http.ts';
import { useAlertStores } from './alert-stores-context.tsx';

/** Query keys of everything alert-related; invalidate `alertKeys.all` to refresh it all. */
export const alertKeys = {
  all: ['alerts'] as const,
  history: (accountId?: string) => [...alertKeys.all, 'history', accountId ?? '*'] as const,
  /** `span` names the chart's range (a preset, or a zoomed window), never a moving time. */
  markers: (accountId: string, span: string) => [...alertKeys.all, 'markers', accountId, span] as const,
  rules: () => [...alertKeys.all, 'rules'] as const,
  webhooks: () => [...alertKeys.all, 'webhooks'] as const,
};

/** The alert history, newest first, a page at a time (`fetchNextPage` for older ones). */
export function useAlertHistory(
  options: { accountId?: string; pageSize?: number } = {},
): UseInfiniteQueryResult<InfiniteData<AlertPage, number | null>> {
  const { accountId, pageSize = 50 } = options;
  return useInfiniteQuery({
    queryKey: alertKeys.history(accountId),
    queryFn: ({ pageParam, signal }) => {
      const params = new URLSearchParams({ limit: String(pageSize) });
      if (pageParam !== null) params.set('before', String(pageParam));
      if (accountId) params.set('account', accountId);
      return getJson(`/api/alerts?${params.toString()}`, alertPageSchema, { signal });
    },
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextBefore,
    staleTime: 30_000,
  });
}

/** Alerts open now according to the proxy (from the first history page). */
export function useOpenAlerts(): Alert[] | undefined {
  return useAlertHistory().data?.pages[0]?.open;
}

/** The rule settings (built-in, effective defaults, per account). */
export function useAlertRules(): UseQueryResult<RulesView> {
  return useQuery({
    queryKey: alertKeys.rules(),
    queryFn: ({ signal }) => getJson('/api/alerts/rules', rulesViewSchema, { signal }),
  });
}

/** Saves a change to the rules (PUT /api/alerts/rules); the answer replaces the cached rules. */
export function useUpdateAlertRules(): UseMutationResult<RulesView, Error, RulesPatch> {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (patch: RulesPatch) => putJson('/api/alerts/rules', patch, rulesViewSchema),
    onSuccess: (view) => {
      client.setQueryData(alertKeys.rules(), view);
      void client.invalidateQueries({ queryKey: alertKeys.history() });
    },
  });
}

/** Webhook delivery status, refreshed every 15 s while shown. */
export function useWebhookStatus(): UseQueryResult<WebhookStatus[]> {
  return useQuery({
    queryKey: alertKeys.webhooks(),
    queryFn: ({ signal }) => getJson('/api/alerts/webhooks', webhookStatusSchema.array(), { signal }),
    refetchInterval: 15_000,
  });
}

/** What the history chart asks markers for: its range by name, and where fetching starts. */
export interface MarkerSpan {
  /** The range's name in the cache key: a preset ("24h"), or a zoomed window ("<from>-<to>"). */
  key: string;
  /** Alerts are fetched from here on (ms epoch); read when fetching, so a moving value causes no refetch. */
  from: number;
}

/** Fetches are started from a whole hour, so a sliding preset reuses its first answer while the hour lasts. */
const MARKER_FROM_STEP_MS = 3_600_000;

/**
 * Alert markers of one account for the history chart, within `visible` (ms epoch). The query is keyed by the
 * account and the range's name, not by a moving time: a chart whose preset slides with every live sample
 * neither refetches nor blinks (the previous answer stays while a new range loads). Up to 500 alerts from
 * `span.from` (rounded down to the hour) are fetched and filtered here; refetched when an alert arrives.
 */
export function useAlertMarkers(
  accountId: string,
  span: MarkerSpan,
  visible: { from: number; to: number },
): AlertMarker[] {
  const query = useQuery({
    queryKey: alertKeys.markers(accountId, span.key),
    queryFn: ({ signal }) => {
      const from = Math.max(0, Math.floor(span.from / MARKER_FROM_STEP_MS) * MARKER_FROM_STEP_MS);
      const params = new URLSearchParams({ account: accountId, from: String(from) });
      params.set('limit', '500');
      return getJson(`/api/alerts?${params.toString()}`, alertPageSchema, { signal });
    },
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
  const alerts = query.data?.alerts;
  const { from, to } = visible;
  return useMemo(() => alertMarkers(alerts ?? [], { from, to }, accountId), [alerts, from, to, accountId]);
}

// Live alerts (the page's feed, from the stream) and this browser's preferences

/** Reads the live alert feed. */
export function useAlertFeed<T>(selector: (state: AlertFeedState) => T): T {
  return useStore(useAlertStores().feed.state, selector);
}

/** Hides alerts from the banner for the tab's session. */
export function useDismissAlerts(): (ids: readonly string[]) => void {
  const { feed } = useAlertStores();
  return feed.dismiss;
}

/**
 * Calls `onAlert` once for each alert that arrives on the stream while mounted, and refreshes the alert
 * queries. Mount once (the alert center does).
 */
export function useLiveAlerts(onAlert: (alert: Alert) => void): void {
  const client = useQueryClient();
  const { feed } = useAlertStores();
  const handler = useRef(onAlert);
  useEffect(() => {
    handler.current = onAlert;
  }, [onAlert]);
  useEffect(
    () =>
      feed.state.subscribe((state, previous) => {
        if (state.live === previous.live) return;
        const known = new Set(previous.live.map((a) => a.id));
        const fresh = state.live.filter((a) => !known.has(a.id));
        if (fresh.length === 0) return;
        void client.invalidateQueries({ queryKey: alertKeys.all });
        for (const alert of fresh) handler.current(alert);
      }),
    [client, feed],
  );
}

/** This browser's alert preferences. */
export function useAlertPrefs(): AlertPrefs {
  return useStore(useAlertStores().prefs.state);
}

/** Changes this browser's alert preferences and remembers them. */
export function useSetAlertPrefs(): (change: Partial<AlertPrefs>) => void {
  return useAlertStores().prefs.set;
}
