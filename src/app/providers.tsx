// Everything the views need from outside: react-query and the stores.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { AlertStoresProvider } from '../hooks/alert-stores-context.tsx';
import { MarginStoresProvider } from '../hooks/stores-context.tsx';
import type { MarginStores } from '../stores/margin-stores.ts';

/** The app's query client: quiet retries, no refetch storms. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: 2, refetchOnWindowFocus: true, staleTime: 10_000 },
    },
  });
}

/** Query client and stores for everything below. */
export function AppProviders({
  stores,
  queryClient,
  children,
}: {
  stores: MarginStores;
  queryClient: QueryClient;
  children: ReactNode;
}) {
  return (
    <QueryClientProvider client={queryClient}>
      <MarginStoresProvider stores={stores}>
        <AlertStoresProvider>{children}</AlertStoresProvider>
      </MarginStoresProvider>
    </QueryClientProvider>
  );
}
