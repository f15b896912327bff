import Stripe from 'stripe';

export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
}

// Only used for its signature verifier, which needs no key or network.
const verifier = new Stripe('sk_test_signature_verifier_only');

/**
 * Verifies Stripe's `Stripe-Signature` header over the raw body bytes with the
 * SDK's own verifier (HMAC-SHA256, 300 s tolerance, any matching v1 passes).
 * Several secrets are tried so endpoints can rotate. No secret: fail closed.
 */
export function verifyStripeEvent(rawBody: Buffer, signatureHeader: string | null, secrets: readonly string[], toleranceSeconds = 300): Stripe.Event {
  if (secrets.length === 0) throw new WebhookSignatureError('No webhook secret is configured; refusing every event.');
  if (!signatureHeader) throw new WebhookSignatureError('Missing Stripe-Signature header.');
  for (const secret of secrets) {
    try {
      return verifier.webhooks.constructEvent(rawBody, signatureHeader, secret, toleranceSeconds);
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
        throw new WebhookSignatureError(`Malformed event: ${(error as Error).message}`);
      }
    }
  }
  throw new WebhookSignatureError('No signature matches any configured webhook secret.');
}
