// Rejected messages and parser warnings, shown where the figures are.
import { problemText, type Problem } from '../contract/stream.ts';
import { useClockOffset } from '../hooks/useAccountView.ts';
import { useNow } from '../hooks/useNow.ts';
import { Age } from './Figures.tsx';

/** How long a notice about a rejected message stays up after its channel recovered. */
export const RECOVERED_NOTICE_MS = 60_000;

/**
 * A rejected message: the parser's words, and that the figures shown are the last good ones. Once the channel
 * delivers a good message again the notice says so, and stays for a minute so a one-off is not missed.
 */
export function RejectionNotice({
  rejection,
  lastGoodAt,
}: {
  rejection: Problem;
  lastGoodAt: number | null;
}) {
  const offset = useClockOffset();
  const recovered = rejection.recoveredAt !== null;
  const visible = useNow((now) => !recovered || now + offset - rejection.at < RECOVERED_NOTICE_MS);
  if (!visible) return null;
  return (
    <div
      className={`notice ${recovered ? 'notice--warn' : 'notice--error'}`}
      role="status"
      data-testid="rejection-notice"
      data-recovered={recovered}
    >
      <p className="notice__title">
        {recovered ? 'A message was rejected' : 'Message rejected'} (<Age since={rejection.at} />)
      </p>
      <p className="notice__text">
        <code>{problemText(rejection)}</code>
      </p>
      <p className="notice__text">
        {recovered ? (
          'Newer messages were accepted; the figures are current again.'
        ) : lastGoodAt === null ? (
          'No good figures yet.'
        ) : (
          <>
            Showing the last good figures, <Age since={lastGoodAt} prefix="from" />.
          </>
        )}
      </p>
    </div>
  );
}

/**
 * Parser warnings. With `byChannel` (the snapshot's warnings per channel) each is keyed by its channel and
 * position, so the same words from two channels are two items; else `warnings` are keyed by position.
 */
export function Warnings({
  warnings,
  byChannel,
}: {
  warnings: readonly string[];
  byChannel?: Readonly<Record<string, readonly string[]>> | undefined;
}) {
  const items = byChannel
    ? Object.entries(byChannel).flatMap(([channel, list]) =>
        list.map((text, i) => ({ key: `${channel}:${i}`, text })),
      )
    : warnings.map((text, i) => ({ key: String(i), text }));
  if (items.length === 0) return null;
  return (
    <ul className="notice notice--warn" data-testid="warnings">
      {items.map((item) => (
        <li key={item.key}>{item.text}</li>
      ))}
    </ul>
  );
}
