// Browser notifications for alerts. Permission is asked only from `askNotificationPermission`, which the
// settings call when the user turns notifications on.
import { RULE_WORDS, type Alert } from '../../contract/alerts.ts';

export type NotifyPermission = NotificationPermission | 'unsupported';

function api(): typeof Notification | null {
  return typeof globalThis.Notification === 'function' ? globalThis.Notification : null;
}

/** The current permission, without asking. */
export function notificationPermission(): NotifyPermission {
  return api()?.permission ?? 'unsupported';
}

/** Asks the browser for permission (shows its prompt when not decided yet). */
export async function askNotificationPermission(): Promise<NotifyPermission> {
  const N = api();
  if (!N) return 'unsupported';
  if (N.permission !== 'default') return N.permission;
  try {
    return await N.requestPermission();
  } catch {
    return 'denied';
  }
}

/** Shows a notification for the alert when permission was granted; returns whether it did. */
export function showAlertNotification(alert: Alert): boolean {
  const N = api();
  if (!N || N.permission !== 'granted') return false;
  const rule = RULE_WORDS[alert.rule].name;
  const title = alert.kind === 'fired' ? `Margin Watch: ${rule}` : `Margin Watch: ${rule} cleared`;
  try {
    new N(title, { body: alert.message, tag: alert.id });
    return true;
  } catch {
    return false;
  }
}
