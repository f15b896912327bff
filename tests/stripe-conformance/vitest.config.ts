import { defineConfig } from 'vitest/config';

// The conformance suite runs on its own: each file starts its own Stripe sandbox
// (or talks to real Stripe test mode when STRIPE_CONFORMANCE_SECRET_KEY is set).
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/stripe-conformance/**/*.test.ts'],
    testTimeout: process.env.STRIPE_CONFORMANCE_SECRET_KEY ? 300_000 : 30_000,
    hookTimeout: process.env.STRIPE_CONFORMANCE_SECRET_KEY ? 120_000 : 30_000,
    // Real Stripe rate-limits test mode at 25 requests/s: run files one at a time there.
    fileParallelism: !process.env.STRIPE_CONFORMANCE_SECRET_KEY,
  },
});
