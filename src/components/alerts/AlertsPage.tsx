// The alerts page (/alerts): history, rules, this browser's notification settings and the webhooks.
import './alerts.css';
import { AlertList } from './AlertList.tsx';
import { NotificationToggles } from './NotificationToggles.tsx';
import { RulesSettings } from './RulesSettings.tsx';
import { WebhookList } from './WebhookList.tsx';

export function AlertsPage() {
  return (
    <div className="alerts-page">
      <h2>Alerts</h2>
      <AlertList />
      <div className="alerts-page__grid">
        <RulesSettings />
        <div className="alerts-page__side">
          <NotificationToggles />
          <WebhookList />
        </div>
      </div>
    </div>
  );
}
