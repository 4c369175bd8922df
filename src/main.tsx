// Browser entry: theme first (no flash), then the stores, the query client and the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { AppProviders, createQueryClient } from './app/providers.tsx';
import './app/styles.css';
import { applyTheme } from './hooks/useTheme.ts';
import { MarginStores } from './stores/margin-stores.ts';

applyTheme();

const stores = new MarginStores();
const queryClient = createQueryClient();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <AppProviders stores={stores} queryClient={queryClient}>
      <App />
    </AppProviders>
  </StrictMode>,
);
