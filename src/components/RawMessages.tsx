// The latest message of each channel exactly as the exchange sent it, for support: fetched from the proxy when
// the drill-down opens (and on "Refresh"), collapsed by default, shown as received and never read for figures.
import { memo, useMemo, useState } from 'react';
import type { RawMessage } from '../contract/accounts.ts';
import { useRawMessages } from '../hooks/queries.ts';
import { LocalTime } from './Figures.tsx';
import { QueryProblem } from './QueryProblem.tsx';

const OUTCOME_WORDS: Record<RawMessage['outcome'], string> = {
  update: 'accepted',
  ignored: 'ignored (nothing for the margin view)',
  error: 'rejected',
};

/** The payload pretty-printed (a string payload as it came). */
export function prettyPayload(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  try {
    return JSON.stringify(payload, null, 2) ?? String(payload);
  } catch {
    return String(payload);
  }
}

/** The pretty-printed payload, serialised once per message. */
function Payload({ message }: { message: RawMessage }) {
  const text = useMemo(() => prettyPayload(message.payload), [message.payload]);
  return (
    <pre tabIndex={0} aria-label={`Raw ${message.channel} message`}>
      {text}
    </pre>
  );
}

/** One channel's latest message. The payload is serialised and rendered only while the entry is open. */
const RawEntry = memo(function RawEntry({ message }: { message: RawMessage }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="raw__item" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <code>{message.channel}</code> · {OUTCOME_WORDS[message.outcome]} ·{' '}
        <LocalTime at={message.receivedAt} />
      </summary>
      {open && <Payload message={message} />}
    </details>
  );
});

/** One collapsed entry per channel: parse outcome, time, and the payload pretty-printed when opened. */
export function RawMessages({ accountId }: { accountId: string }) {
  const query = useRawMessages(accountId);
  if (query.isPending) {
    return (
      <p className="muted small" role="status">
        Loading the latest raw messages…
      </p>
    );
  }
  if (query.isError) {
    return (
      <QueryProblem what="the latest raw messages" error={query.error} onRetry={() => void query.refetch()} />
    );
  }
  const messages = query.data.messages;
  return (
    <div className="raw" data-testid="raw-messages">
      {messages.length === 0 ? (
        <p className="muted">No message received yet.</p>
      ) : (
        messages.map((m) => <RawEntry key={m.channel} message={m} />)
      )}
      <p className="muted small">
        <button
          type="button"
          className="button button--quiet"
          disabled={query.isFetching}
          onClick={() => void query.refetch()}
        >
          {query.isFetching ? 'Refreshing…' : 'Refresh raw messages'}
        </button>
      </p>
    </div>
  );
}
