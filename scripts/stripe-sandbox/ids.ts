import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 string of the given length (uniform: rejection sampling). */
export function randomString(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(length * 2);
    for (const b of bytes) {
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Lengths roughly like Stripe's (the part after the prefix). */
const LENGTHS: Record<string, number> = {
  cus: 14, prod: 14, acct: 16, clock: 24, we: 24, evt: 24, cs_test: 58, bps: 24, bpc: 24,
  si: 14, il: 24, inpay: 24, req: 14, ba: 24, py: 24, po: 24,
};

/** A Stripe-looking id: `newId('cus')` → `cus_Q8r…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomString(LENGTHS[prefix] ?? 24)}`;
}

export function clientSecret(id: string): string {
  return `${id}_secret_${randomString(24)}`;
}

export function webhookSecret(): string {
  return `whsec_${randomString(32)}`;
}
