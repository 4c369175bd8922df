// Alerts in the browser: server state through react-query (history, rules, webhook status; keys from one
// factory), live alert frames in a small zustand store, and the user's notification/sound preferences.
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
import { createStore } from 'zustand/vanilla';
import { alertMarkers, type AlertMarker } from '../components/alerts/markers.ts';
import {
  alertFrameSchema,
  alertPageSchema,
  rulesViewSchema,
  webhookStatusSchema,
  type Alert,
  type AlertPage,
  type RulesPatch,
  type RulesView,
  type WebhookStatus,
} from '../contract/alerts.ts';
import { getJson, putJson } from '../transport/http.ts';

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

// Live alerts

export interface AlertFeedState {
  /** Alerts received on the stream since the page loaded, oldest first (at most 200). */
  live: Alert[];
  /** Ids the user dismissed from the banner. */
  dismissed: Record<string, true>;
}

const MAX_LIVE = 200;

/** Where the banner's dismissals are kept for the browser tab's session (a reload keeps them, a new tab not). */
export const DISMISSED_KEY = 'margin-watch.dismissed-alerts';
/** Dismissed ids remembered at most (the oldest are forgotten first). */
const MAX_DISMISSED = 500;

function loadDismissed(): Record<string, true> {
  try {
    const raw = globalThis.sessionStorage?.getItem(DISMISSED_KEY);
    const ids: unknown = raw ? JSON.parse(raw) : [];
    const dismissed: Record<string, true> = {};
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') dismissed[id] = true;
    return dismissed;
  } catch {
    return {};
  }
}

function saveDismissed(dismissed: Readonly<Record<string, true>>): void {
  try {
    globalThis.sessionStorage?.setItem(
      DISMISSED_KEY,
      JSON.stringify(Object.keys(dismissed).slice(-MAX_DISMISSED)),
    );
  } catch {
    // storage unavailable or full: dismissals last for this page only
  }
}

/** The live alert store (one per page); dismissals come back from sessionStorage. */
export const alertFeed = createStore<AlertFeedState>()(() => ({ live: [], dismissed: loadDismissed() }));

export const alertFeedEvents = {
  received(alert: Alert): void {
    alertFeed.setState((s) =>
      s.live.some((a) => a.id === alert.id) ? s : { live: [...s.live, alert].slice(-MAX_LIVE) },
    );
  },
  dismiss(ids: readonly string[]): void {
    alertFeed.setState((s) => {
      const dismissed = { ...s.dismissed };
      for (const id of ids) dismissed[id] = true;
      return { dismissed };
    });
    saveDismissed(alertFeed.getState().dismissed);
  },
  /** Forgets everything, including the remembered dismissals (tests). */
  reset(): void {
    alertFeed.setState({ live: [], dismissed: {} });
    try {
      globalThis.sessionStorage?.removeItem(DISMISSED_KEY);
    } catch {
      // nothing remembered
    }
  },
  /** Reads the remembered dismissals again (as a reload would). */
  reloadDismissed(): void {
    alertFeed.setState({ dismissed: loadDismissed() });
  },
};

/**
 * For the stream hook: takes a decoded stream frame; when it is `{type:"alert", alert}`, stores the alert and
 * returns true; otherwise returns false (not an alert frame, or not a valid one).
 */
export function receiveAlertFrame(frame: unknown): boolean {
  const parsed = alertFrameSchema.safeParse(frame);
  if (!parsed.success) return false;
  alertFeedEvents.received(parsed.data.alert);
  return true;
}

/** Reads the live alert store. */
export function useAlertFeed<T>(selector: (state: AlertFeedState) => T): T {
  return useStore(alertFeed, selector);
}

/**
 * Calls `onAlert` once for each alert that arrives on the stream while mounted, and refreshes the alert
 * queries. Mount once (the alert center does).
 */
export function useLiveAlerts(onAlert: (alert: Alert) => void): void {
  const client = useQueryClient();
  const handler = useRef(onAlert);
  useEffect(() => {
    handler.current = onAlert;
  }, [onAlert]);
  useEffect(
    () =>
      alertFeed.subscribe((state, previous) => {
        if (state.live === previous.live) return;
        const known = new Set(previous.live.map((a) => a.id));
        const fresh = state.live.filter((a) => !known.has(a.id));
        if (fresh.length === 0) return;
        void client.invalidateQueries({ queryKey: alertKeys.all });
        for (const alert of fresh) handler.current(alert);
      }),
    [client],
  );
}

// Preferences

export interface AlertPrefs {
  /** Show browser notifications (permission is asked when this is turned on). */
  notifications: boolean;
  /** Beep on new alerts (off by default). */
  sound: boolean;
}

const PREFS_KEY = 'margin-watch.alert-prefs';
const DEFAULT_PREFS: AlertPrefs = { notifications: false, sound: false };

function loadPrefs(): AlertPrefs {
  try {
    const raw = globalThis.localStorage?.getItem(PREFS_KEY);
    if (!raw) return DEFAULT_PREFS;
    const value = JSON.parse(raw) as Partial<Record<keyof AlertPrefs, unknown>>;
    return { notifications: value.notifications === true, sound: value.sound === true };
  } catch {
    return DEFAULT_PREFS;
  }
}

/** The user's alert preferences, kept in localStorage. */
export const alertPrefs = createStore<AlertPrefs>()(() => loadPrefs());

/** Changes preferences and remembers them. */
export function setAlertPrefs(change: Partial<AlertPrefs>): void {
  alertPrefs.setState(change);
  try {
    globalThis.localStorage?.setItem(PREFS_KEY, JSON.stringify(alertPrefs.getState()));
  } catch {
    // private mode or storage full: the preference lasts for this page only
  }
}

export function useAlertPrefs(): AlertPrefs {
  return useStore(alertPrefs);
}
