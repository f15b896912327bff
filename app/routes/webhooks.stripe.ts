import { data, type ActionFunctionArgs } from '@remix-run/node';
import { db } from '#app/core/db.server.ts';
import { methodNotAllowed } from '#app/core/http.server.ts';
import { receiveStripeWebhook } from '#app/modules/payments/webhook-intake.server.ts';

// Exempt from the Origin check (Stripe is not a browser); authenticated by its signature instead.
export async function loader() {
  methodNotAllowed();
}

export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== 'POST') methodNotAllowed();
  const rawBody = Buffer.from(await request.arrayBuffer());
  const result = await receiveStripeWebhook(db, rawBody, request.headers.get('stripe-signature'));
  if (result.status === 400) return data({ error: result.message }, { status: 400 });
  return data({ received: true, duplicate: !result.stored }, { status: 200 });
}
