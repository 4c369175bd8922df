// The latest message of each channel exactly as relayed, collapsed by default, for support.
import type { RawMessage } from '../stores/exchange-store.ts';
import { LocalTime } from './Figures.tsx';

const OUTCOME_WORDS: Record<RawMessage['outcome'], string> = {
  update: 'accepted',
  ignored: 'ignored (nothing for the margin view)',
  error: 'rejected',
};

function pretty(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  try {
    return JSON.stringify(payload, null, 2) ?? String(payload);
  } catch {
    return String(payload);
  }
}

/** One collapsed entry per channel: origin, parse outcome, time, and the payload pretty-printed. */
export function RawMessages({ raw }: { raw: Readonly<Record<string, RawMessage>> }) {
  const messages = Object.values(raw).sort((a, b) => b.receivedAt - a.receivedAt);
  if (messages.length === 0) return <p className="muted">No message received yet.</p>;
  return (
    <div className="raw" data-testid="raw-messages">
      {messages.map((m) => (
        <details key={m.channel} className="raw__item">
          <summary>
            <code>{m.channel}</code> · {m.origin === 'rest' ? 'REST' : 'stream'} · {OUTCOME_WORDS[m.outcome]}{' '}
            · <LocalTime at={m.receivedAt} />
          </summary>
          <pre tabIndex={0} aria-label={`Raw ${m.channel} message`}>
            {pretty(m.payload)}
          </pre>
        </details>
      ))}
    </div>
  );
}
