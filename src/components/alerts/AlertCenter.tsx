// The alert banner, shown on every page, and the delivery of live alerts to browser notifications and sound.
import { useCallback, useRef, type KeyboardEvent } from 'react';
import { Link } from 'wouter';
import {
  useAlertFeed,
  useAlertPrefs,
  useDismissAlerts,
  useLiveAlerts,
  useOpenAlerts,
} from '../../hooks/useAlerts.ts';
import { formatLocalTime, formatUtc } from '../words.ts';
import './alerts.css';
import { bannerAlerts } from '../../hooks/alerts/banner.ts';
import { showAlertNotification } from '../../hooks/alerts/notify.ts';
import { RULE_WORDS, type Alert } from '../../contract/alerts.ts';
import { beep } from '../../hooks/alerts/sound.ts';

/** How many alerts the banner lists before pointing to the alerts page. */
const SHOWN = 3;

function headline(alert: Alert): string {
  const rule = RULE_WORDS[alert.rule].name;
  return alert.kind === 'fired' ? rule : `Recovered: ${rule}`;
}

/** What the screen reader hears for an alert. */
function spoken(alert: Alert): string {
  return `${headline(alert)}: ${alert.message}`;
}

/**
 * Announces the newest alert that arrived on the stream (and is not dismissed), and only its words: a visually
 * hidden live region, so a new alert does not make the screen reader read the whole banner and its buttons.
 */
function NewestAlertAnnouncement({
  live,
  dismissed,
}: {
  live: readonly Alert[];
  dismissed: Readonly<Record<string, true>>;
}) {
  let newest: Alert | undefined;
  for (const alert of live) if (!dismissed[alert.id] && (!newest || alert.at >= newest.at)) newest = alert;
  return (
    <p className="sr-only" role="alert" aria-atomic="true" data-testid="alert-announcement">
      {newest ? spoken(newest) : ''}
    </p>
  );
}

/**
 * The banner of open alerts (and all-clears that arrived while the page was open); each can be dismissed with
 * its button, and Escape dismisses all shown. Dismissals last for the browser tab's session. New alerts are
 * announced to screen readers by a separate live region holding only the newest alert's words.
 */
export function AlertBanner() {
  const open = useOpenAlerts();
  const live = useAlertFeed((s) => s.live);
  const dismissed = useAlertFeed((s) => s.dismissed);
  const items = bannerAlerts(open, live, dismissed);
  const shown = items.slice(0, SHOWN);
  const listRef = useRef<HTMLUListElement>(null);
  const dismissAlerts = useDismissAlerts();

  const dismiss = (ids: string[], index: number) => {
    dismissAlerts(ids);
    // Keep keyboard focus in a sensible place once the focused button is gone.
    requestAnimationFrame(() => {
      const buttons = listRef.current?.querySelectorAll<HTMLButtonElement>('button[data-dismiss]');
      const next = buttons?.[Math.min(index, buttons.length - 1)];
      if (next) next.focus();
      else document.getElementById('main')?.focus();
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape' && shown.length > 0) {
      event.preventDefault();
      dismiss(
        shown.map((a) => a.id),
        0,
      );
    }
  };

  return (
    <div className="alert-banner" data-testid="alert-banner" onKeyDown={onKeyDown}>
      <NewestAlertAnnouncement live={live} dismissed={dismissed} />
      {shown.length > 0 && (
        <section className="alert-banner__box" aria-label="Alerts">
          <ul className="alert-banner__list" ref={listRef}>
            {shown.map((alert, index) => (
              <li
                key={alert.id}
                className={`alert-banner__item alert-banner__item--${alert.kind} zone-edge-${alert.kind === 'fired' ? alert.zone : 'safe'}`}
                data-testid="alert-banner-item"
                data-rule={alert.rule}
                data-kind={alert.kind}
                data-account={alert.accountId}
              >
                <p className="alert-banner__text">
                  <strong>{headline(alert)}</strong> {alert.message}{' '}
                  <time
                    className="muted small"
                    dateTime={new Date(alert.at).toISOString()}
                    title={formatUtc(alert.at)}
                  >
                    {formatLocalTime(alert.at)}
                  </time>
                </p>
                <button
                  type="button"
                  className="button button--quiet"
                  data-dismiss=""
                  aria-label={`Dismiss: ${headline(alert)}, ${alert.message}`}
                  onClick={() => dismiss([alert.id], index)}
                >
                  Dismiss
                </button>
              </li>
            ))}
          </ul>
          <p className="alert-banner__foot small">
            {items.length > SHOWN && <span>{items.length - SHOWN} more · </span>}
            <Link href="/alerts">All alerts and settings</Link>
            {shown.length > 1 && (
              <>
                {' · '}
                <button
                  type="button"
                  className="link-button"
                  onClick={() =>
                    dismiss(
                      shown.map((a) => a.id),
                      0,
                    )
                  }
                >
                  Dismiss all
                </button>
              </>
            )}
            <span className="muted"> · Esc dismisses</span>
          </p>
        </section>
      )}
    </div>
  );
}

/** Mount once near the root: the banner, plus notifications and sound for alerts as they arrive. */
export function AlertCenter() {
  const prefs = useAlertPrefs();
  const onAlert = useCallback(
    (alert: Alert) => {
      if (prefs.notifications) showAlertNotification(alert);
      if (prefs.sound && alert.kind === 'fired') beep();
    },
    [prefs.notifications, prefs.sound],
  );
  useLiveAlerts(onAlert);
  return <AlertBanner />;
}
