// The words the dashboard uses for zones, bands, connection states and times.
import { ZONE_NAMES, type BandKind, type RiskZone } from '../domain/model.ts';
import type { Freshness } from '../stores/freshness.ts';

/** A zone's name (the domain's) and what it means, so colour is never the only signal. */
export const ZONE_WORDS: Record<RiskZone, { name: string; meaning: string }> = {
  safe: { name: ZONE_NAMES.safe, meaning: 'above every risk line' },
  caution: {
    name: ZONE_NAMES.caution,
    meaning: 'at or below the margin-call line: new positions may be refused',
  },
  liquidation: {
    name: ZONE_NAMES.liquidation,
    meaning: 'below the liquidation line: the exchange may liquidate',
  },
  takeover: {
    name: ZONE_NAMES.takeover,
    meaning: 'below the auto-close line: the exchange may take the account over',
  },
  unknown: { name: ZONE_NAMES.unknown, meaning: 'no level or no risk lines known' },
};

/** What each kind of threshold is called on screen. */
export const BAND_WORDS: Record<BandKind, string> = {
  caution: 'Margin call',
  liquidation: 'Liquidation',
  takeover: 'Takeover',
};

// Built once: Date#toLocaleTimeString with options builds a new formatter on every call (~0.15 ms in Chromium),
// and every "updated 3 s ago" re-renders with each message. Same fields as toLocaleTimeString/toLocaleString.
const TIME_OPTIONS = { hour: 'numeric', minute: 'numeric', second: 'numeric', hour12: false } as const;
const localTime = new Intl.DateTimeFormat(undefined, TIME_OPTIONS);
const localDateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  ...TIME_OPTIONS,
});

/** A moment as local time ("14:03:27", with the date when not today). */
export function formatLocalTime(ms: number, today: Date = new Date()): string {
  const d = new Date(ms);
  const sameDay =
    d.getFullYear() === today.getFullYear() &&
    d.getMonth() === today.getMonth() &&
    d.getDate() === today.getDate();
  return sameDay ? localTime.format(d) : localDateTime.format(d);
}

/** A moment in UTC for tooltips ("2026-11-21 05:47:03 UTC"). */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

/** A few words per freshness kind, for lists (the summary, announcements). */
export const FRESHNESS_SHORT: Record<Freshness['kind'], string> = {
  live: 'live',
  starting: 'connecting',
  stale: 'stale',
  waiting: 'no figures yet',
  offline: 'no connection to Margin Watch',
  connecting: 'connecting to the exchange',
  reconnecting: 'reconnecting to the exchange',
  auth_failed: 'authentication failed',
  error: 'error',
  'proxy-stale': 'stale: the exchange has gone quiet',
  rejected: 'last message rejected',
};

/** The freshness headline; `age` is filled in for the kinds that show one. */
export function freshnessWords(f: Freshness, age: string | null): string {
  const because = f.reason ? `: ${f.reason}` : '';
  switch (f.kind) {
    case 'live':
      return 'Live';
    case 'starting':
      return `Connecting to Margin Watch…${f.reason ? ` (${f.reason})` : ''}`;
    case 'stale':
      return `Stale · ${age ?? 'no data'}`;
    case 'waiting':
      return `Waiting for first data${because}`;
    case 'offline':
      return `No connection to Margin Watch, retrying${because}`;
    case 'connecting':
      return `Connecting to the exchange${because}`;
    case 'reconnecting':
      return `Reconnecting to the exchange${because}`;
    case 'auth_failed':
      return `Authentication failed${because}`;
    case 'error':
      return `Error${because}`;
    case 'proxy-stale':
      return `Stale: the exchange has gone quiet${because}`;
    case 'rejected':
      return 'Last message rejected';
  }
}

/**
 * A unit's name inside a sentence: "Margin fraction" → "margin fraction", while acronyms keep their capitals
 * ("AD ratio" stays "AD ratio").
 */
export function unitInSentence(name: string): string {
  return name
    .split(' ')
    .map((word) => (/^[A-Z0-9]{2,}$/.test(word) ? word : word.toLowerCase()))
    .join(' ');
}

/** When something happened over `[from, to]`: "at T" for one moment, else "between A and B". */
export function whenWords(from: number, to: number): string {
  const a = formatUtc(from);
  const b = formatUtc(to);
  return a === b ? `at ${a}` : `between ${a} and ${b}`;
}
