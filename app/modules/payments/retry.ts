/** Exponential backoff like graphile-worker's: about e^n seconds, capped at an hour (≈ 50 minutes in all over 8 attempts). */
export function retryDelayMs(attempts: number): number {
  return Math.min(3600, Math.round(Math.exp(Math.max(1, attempts)))) * 1000;
}
