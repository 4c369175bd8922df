// The webhooks panel: each configured webhook with its delivery state.
import type { WebhookStatus } from '../../contract/alerts.ts';
import { useWebhookStatus } from '../../hooks/useAlerts.ts';
import { QueryProblem } from '../QueryProblem.tsx';
import { formatLocalTime } from '../words.ts';

const WEBHOOK_STATE_WORDS: Record<WebhookStatus['state'], string> = {
  idle: 'Nothing sent yet',
  ok: 'Delivering',
  retrying: 'Retrying',
  failing: 'Failing',
};

/** Each configured webhook (scheme and host only) with its delivery state and last error. */
export function WebhookList() {
  const status = useWebhookStatus();
  return (
    <section className="panel" aria-labelledby="alert-webhooks-title" data-testid="alert-webhooks">
      <h3 id="alert-webhooks-title">Webhooks</h3>
      {status.isError && (
        <QueryProblem what="the webhook status" error={status.error} onRetry={() => void status.refetch()} />
      )}
      {status.data?.length === 0 && (
        <p className="muted">
          No webhooks. Add them to the config file under <code>alerts.webhooks</code>.
        </p>
      )}
      {status.data && status.data.length > 0 && (
        <ul className="alert-webhooks">
          {status.data.map((w) => (
            <li key={w.index} data-testid="webhook" data-state={w.state}>
              <span className={`alert-webhooks__state alert-webhooks__state--${w.state}`}>
                {WEBHOOK_STATE_WORDS[w.state]}
              </span>{' '}
              <code>{w.target}</code> <span className="muted small">({w.format})</span>
              <span className="muted small">
                {' '}
                · {w.delivered} delivered, {w.failed} failed
                {w.lastSuccessAt !== null && ` · last delivered ${formatLocalTime(w.lastSuccessAt)}`}
              </span>
              {w.lastError && w.state !== 'ok' && (
                <p
                  className="alert-settings__problem small"
                  role={w.state === 'failing' ? 'status' : undefined}
                >
                  {w.lastError}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
