// The latest message of each channel exactly as relayed, collapsed by default, for support.
import { memo, useMemo, useState } from 'react';
import type { RawMessage } from '../stores/exchange-store.ts';
import { LocalTime } from './Figures.tsx';

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

/**
 * One channel's latest message. The payload is serialised and rendered only while the entry is open: closed
 * entries cost nothing when messages stream in several times a second.
 */
const RawEntry = memo(function RawEntry({ message }: { message: RawMessage }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="raw__item" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <code>{message.channel}</code> · {message.origin === 'rest' ? 'REST' : 'stream'} ·{' '}
        {OUTCOME_WORDS[message.outcome]} · <LocalTime at={message.receivedAt} />
      </summary>
      {open && <Payload message={message} />}
    </details>
  );
});

/** One collapsed entry per channel: origin, parse outcome, time, and the payload pretty-printed when opened. */
export function RawMessages({ raw }: { raw: Readonly<Record<string, RawMessage>> }) {
  const messages = Object.values(raw).sort((a, b) => b.receivedAt - a.receivedAt);
  if (messages.length === 0) return <p className="muted">No message received yet.</p>;
  return (
    <div className="raw" data-testid="raw-messages">
      {messages.map((m) => (
        <RawEntry key={m.channel} message={m} />
      ))}
    </div>
  );
}
