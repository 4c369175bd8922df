// This browser's alert settings: notifications (permission asked only when turned on) and the beep.
import { useState } from 'react';
import { notificationPermission, askNotificationPermission } from '../../hooks/alerts/notify.ts';
import { beep } from '../../hooks/alerts/sound.ts';
import { useAlertPrefs, useSetAlertPrefs } from '../../hooks/useAlerts.ts';

/** Browser notifications (permission asked only when turned on) and the beep (off by default). */
export function NotificationToggles() {
  const prefs = useAlertPrefs();
  const setAlertPrefs = useSetAlertPrefs();
  const [note, setNote] = useState<string | null>(null);

  const onNotifications = async (on: boolean) => {
    setNote(null);
    if (!on) {
      setAlertPrefs({ notifications: false });
      return;
    }
    const permission = await askNotificationPermission();
    if (permission === 'granted') {
      setAlertPrefs({ notifications: true });
    } else {
      setAlertPrefs({ notifications: false });
      setNote(
        permission === 'unsupported'
          ? 'This browser does not support notifications.'
          : "Notifications are blocked for this site; allow them in the browser's site settings.",
      );
    }
  };

  const onSound = (on: boolean) => {
    setAlertPrefs({ sound: on });
    if (on && !beep()) setNote('This browser cannot play sounds.');
  };

  const granted = notificationPermission() === 'granted';
  return (
    <section className="panel" aria-labelledby="alert-browser-title" data-testid="alert-browser-settings">
      <h3 id="alert-browser-title">In this browser</h3>
      <label className="check">
        <input
          type="checkbox"
          checked={prefs.notifications && granted}
          onChange={(e) => void onNotifications(e.currentTarget.checked)}
          data-testid="toggle-notifications"
        />
        Browser notifications for new alerts
      </label>
      <div className="alert-settings__row">
        <label className="check">
          <input
            type="checkbox"
            checked={prefs.sound}
            onChange={(e) => onSound(e.currentTarget.checked)}
            data-testid="toggle-sound"
          />
          Sound for new alerts
        </label>
        <button type="button" className="button button--quiet" onClick={() => beep()}>
          Play test sound
        </button>
      </div>
      {note && (
        <p className="notice notice--warn" role="status">
          {note}
        </p>
      )}
      <p className="muted small">
        Alerts are checked by Margin Watch itself, with or without this page open.
      </p>
    </section>
  );
}
