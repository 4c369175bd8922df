// The history chart as a lazily loaded component: recharts and the chart code load in their own chunk, on
// first render, never with the overview. Render inside <Suspense>.
import { lazy } from 'react';

/** `<LazyHistoryChart accountId … />` — same props as HistoryChart (HistoryChartProps). */
export const LazyHistoryChart = lazy(() => import('./HistoryChart.tsx'));
