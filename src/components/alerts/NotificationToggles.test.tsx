// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithStores } from '../../app/testing/render.tsx';
import {
  AlertStoresProvider,
  createAlertStores,
  type AlertStores,
} from '../../hooks/alert-stores-context.tsx';
import { NotificationToggles } from './NotificationToggles.tsx';

let alerts: AlertStores;

beforeEach(() => {
  localStorage.clear();
  alerts = createAlertStores();
});

function renderToggles() {
  return renderWithStores(
    <AlertStoresProvider stores={alerts}>
      <NotificationToggles />
    </AlertStoresProvider>,
  );
}

describe('NotificationToggles', () => {
  function stubNotification(answer: NotificationPermission) {
    const initial: { permission: NotificationPermission } = { permission: 'default' };
    const api = Object.assign(function Notification() {}, { ...initial, requestPermission: vi.fn() });
    api.requestPermission.mockImplementation(async () => {
      api.permission = answer;
      return answer;
    });
    vi.stubGlobal('Notification', api);
    return api;
  }

  it('asks for permission only when the user turns notifications on', async () => {
    const api = stubNotification('granted');
    renderToggles();
    expect(api.requestPermission).not.toHaveBeenCalled();
    const box = screen.getByTestId('toggle-notifications');
    expect(box).not.toBeChecked();
    fireEvent.click(box);
    await waitFor(() => expect(box).toBeChecked());
    expect(api.requestPermission).toHaveBeenCalledTimes(1);
    expect(JSON.parse(localStorage.getItem('margin-watch.alert-prefs') ?? '{}')).toEqual({
      notifications: true,
      sound: false,
    });
  });

  it('explains a refusal and leaves notifications off', async () => {
    stubNotification('denied');
    renderToggles();
    fireEvent.click(screen.getByTestId('toggle-notifications'));
    expect(await screen.findByRole('status')).toHaveTextContent(/blocked for this site/);
    expect(screen.getByTestId('toggle-notifications')).not.toBeChecked();
    expect(alerts.prefs.state.getState().notifications).toBe(false);
  });

  it('keeps sound off until turned on', () => {
    vi.stubGlobal('AudioContext', undefined);
    renderToggles();
    const sound = screen.getByTestId('toggle-sound');
    expect(sound).not.toBeChecked();
    fireEvent.click(sound);
    expect(alerts.prefs.state.getState().sound).toBe(true);
    expect(screen.getByRole('status')).toHaveTextContent('This browser cannot play sounds.');
  });
});
