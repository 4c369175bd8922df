// Small building blocks for numbers and times: exact decimals with grouping, ages, local/UTC times.
import type { Dec } from '../domain/decimal.ts';
import { formatDecimal, formatDuration } from '../domain/format.ts';
import { useClockOffset } from '../hooks/useAccountView.ts';
import { useNow } from '../hooks/useNow.ts';
import { formatLocalTime, formatUtc } from './words.ts';

/** A decimal with locale grouping at the exchange's precision; a dash (never 0) when not reported. */
export function Amount({
  value,
  decimals,
  currency,
}: {
  value: Dec | null | undefined;
  decimals?: number;
  currency?: string;
}) {
  if (value === null || value === undefined) {
    return (
      <span className="missing" title="not reported">
        <span aria-hidden="true">—</span>
        <span className="sr-only">not reported</span>
      </span>
    );
  }
  const options = decimals === undefined ? {} : { decimals };
  return (
    <span className="num">
      {formatDecimal(value, options)}
      {currency ? <span className="ccy"> {currency}</span> : null}
    </span>
  );
}

/** Whole seconds since `since` (proxy clock), ticking once a second. */
export function useSecondsSince(since: number): number {
  const offset = useClockOffset();
  return useNow((now) => Math.max(0, Math.floor((now + offset - since) / 1000)));
}

/** "3 s ago", with the local time and UTC on hover. */
export function Age({ since, prefix }: { since: number; prefix?: string }) {
  const seconds = useSecondsSince(since);
  return (
    <time
      dateTime={new Date(since).toISOString()}
      title={`${formatLocalTime(since)} local · ${formatUtc(since)}`}
    >
      {prefix ? `${prefix} ` : ''}
      {formatDuration(seconds * 1000)} ago
    </time>
  );
}

/** Just the age ("23 s"), ticking. */
export function AgeText({ since }: { since: number }) {
  return <>{formatDuration(useSecondsSince(since) * 1000)}</>;
}

/** A local time, UTC on hover. */
export function LocalTime({ at }: { at: number }) {
  return (
    <time dateTime={new Date(at).toISOString()} title={formatUtc(at)}>
      {formatLocalTime(at)}
    </time>
  );
}
