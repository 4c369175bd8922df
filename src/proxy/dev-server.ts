// `npm run dev`: Vite's dev server (HMR) for the dashboard, proxying /api to the running Margin Watch proxy. What
// it may serve (the app's sources and assets only, no CORS) is set in vite.config.ts, which this always loads.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Vite config every dev server uses (also the one `vite build` and vitest read). */
export const VITE_CONFIG = resolve(dirname(fileURLToPath(import.meta.url)), '../../vite.config.ts');

export interface DevServerOptions {
  /** The project root: index.html, src/, public/ and node_modules/ live there. */
  root: string;
  /** The running proxy, e.g. http://127.0.0.1:5178. */
  apiUrl: string;
  /** Listen port; default Vite's (5173, or the next free one). 0 picks a free port. */
  port?: number;
  /** Vite's console output; default 'info'. */
  logLevel?: 'info' | 'warn' | 'error' | 'silent';
}

export interface DevServer {
  /** e.g. http://localhost:5173/ */
  url: string;
  /** Origins the dashboard is served from, for the proxy to trust. */
  origins: string[];
  close(): Promise<void>;
}

/** Starts Vite's dev server for the dashboard, proxying /api to `apiUrl`; resolves once it listens. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  process.env.MARGIN_WATCH_API = options.apiUrl;
  const { createServer } = await import('vite');
  const vite = await createServer({
    root: options.root,
    configFile: VITE_CONFIG,
    logLevel: options.logLevel ?? 'info',
    ...(options.port !== undefined ? { server: { port: options.port, strictPort: true } } : {}),
  });
  try {
    await vite.listen();
  } catch (err) {
    await vite.close();
    throw err;
  }
  const local = vite.resolvedUrls?.local ?? [];
  const port = vite.config.server.port;
  const origins = [
    ...local.map((u) => new URL(u).origin),
    `http://localhost:${port}`,
    `http://127.0.0.1:${port}`,
  ];
  return {
    url: local[0] ?? `http://localhost:${port}/`,
    origins: [...new Set(origins)],
    close: () => vite.close(),
  };
}
