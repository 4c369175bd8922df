// The app's single WebSocket to /api/stream: snapshot and status frames go to the snapshot store, the connection
// state to the connection store, and every reconnect refetches the account list.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { StreamSocket, streamUrl, type StreamSocketOptions } from '../transport/stream-socket.ts';
import { connectionEvents } from '../stores/connection-store.ts';
import { useAccounts, useRefetchAccounts } from './queries.ts';
import { useAlertStores } from './alert-stores-context.tsx';
import { alertKeys } from './useAlerts.ts';
import { useMarginStores } from './stores-context.tsx';

/** Test seams for the socket (fake WebSocket, deterministic jitter, shorter timeouts). */
export type StreamTuning = Pick<
  StreamSocketOptions,
  'createSocket' | 'random' | 'baseDelayMs' | 'maxDelayMs' | 'livenessTimeoutMs'
>;

/** Keeps one stream connection open while mounted (mount it once, near the root). */
export function useMarginStream(url?: string, tuning?: StreamTuning): void {
  const stores = useMarginStores();
  const alerts = useAlertStores();
  const refetchAccounts = useRefetchAccounts();
  const queryClient = useQueryClient();
  const accounts = useAccounts().data;

  useEffect(() => {
    if (accounts) stores.accountsLoaded(accounts);
  }, [accounts, stores]);

  useEffect(() => {
    const socket = new StreamSocket({
      ...tuning,
      url: url ?? streamUrl(window.location),
      onFrame: (frame) => {
        if (frame.type === 'alert') alerts.feed.received(frame.alert);
        else stores.frameReceived(frame);
      },
      onStatus: (status) => connectionEvents.socketChanged(stores.connection, status),
      onReconnected: () => {
        void refetchAccounts();
        void queryClient.invalidateQueries({ queryKey: alertKeys.all });
      },
      onInvalidFrame: () => connectionEvents.invalidFrame(stores.connection),
    });
    socket.start();
    const online = () => socket.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      socket.stop();
    };
  }, [url, tuning, stores, alerts, refetchAccounts, queryClient]);
}
