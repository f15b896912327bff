/**
 * The hosted 3-D Secure test page (`next_action.redirect_to_url.url`): the customer completes
 * or fails authentication of a PaymentIntent or SetupIntent, then returns to `return_url`.
 */
import type { PageRoute } from '../api.ts';
import { challengePage, escapeHtml, formatMoney, layout } from './layout.ts';
import { confirmPaymentIntent, failAuthentication } from '../payment-intents.ts';
import { confirmSetupIntent, failSetupAuthentication } from '../setup-intents.ts';
import { invoiceOfIntent } from '../invoices.ts';

/** Where the person goes after the challenge (Checkout and invoices register their own pages). */
export const challengeReturns: { checkout: (sessionId: string, ok: boolean) => string } = { checkout: () => '/' };

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

export const pages: PageRoute[] = [
  {
    method: 'GET',
    path: '/authenticate/:id',
    handler: ({ engine, params }) => {
      const id = params['id'] ?? '';
      const pi = engine.store.get('payment_intent', id);
      const si = engine.store.get('setup_intent', id);
      const intent = pi ?? si;
      const challenge = engine.store.internal.challenges[id];
      if (!intent || !challenge || intent.status !== 'requires_action') {
        return { status: 404, html: layout('Authentication', '<div class="card"><h1>Nothing to authenticate</h1><p class="muted">This authentication request is complete or no longer exists.</p></div>') };
      }
      const what = pi ? `a payment of <strong>${escapeHtml(formatMoney(pi.amount, pi.currency))}</strong>` : 'saving your card for future payments';
      return { html: challengePage(what, `/authenticate/${id}`) };
    },
  },
  {
    method: 'POST',
    path: '/authenticate/:id',
    handler: ({ engine, params, form }) => {
      const id = params['id'] ?? '';
      const challenge = engine.store.internal.challenges[id];
      const pi = engine.store.get('payment_intent', id);
      const si = engine.store.get('setup_intent', id);
      if (!challenge || (!pi && !si)) return { redirect: `/authenticate/${id}` };
      const ok = form['outcome'] === 'complete';
      let succeeded = false;
      if (pi && pi.status === 'requires_action') {
        const pm = pi.payment_method ? engine.store.get('payment_method', pi.payment_method as string) : undefined;
        if (ok && pm) succeeded = confirmPaymentIntent(engine, pi, { paymentMethod: pm, offSession: false, returnUrl: challenge.return_url, authenticated: true }).status === 'succeeded';
        else failAuthentication(engine, pi);
      } else if (si && si.status === 'requires_action') {
        const pm = si.payment_method ? engine.store.get('payment_method', si.payment_method as string) : undefined;
        if (ok && pm) succeeded = confirmSetupIntent(engine, si, pm, { returnUrl: challenge.return_url, authenticated: true }).status === 'succeeded';
        else failSetupAuthentication(engine, si);
      }
      if (challenge.checkout) return { redirect: challengeReturns.checkout(challenge.checkout, succeeded) };
      const invoice = pi ? invoiceOfIntent(engine, pi.id) : undefined;
      if (invoice?.hosted_invoice_url && !challenge.return_url) return { redirect: invoice.hosted_invoice_url };
      if (challenge.return_url) {
        const intent = (pi ?? si) as { id: string; client_secret: string | null };
        const key = pi ? 'payment_intent' : 'setup_intent';
        return {
          redirect: withParams(challenge.return_url, {
            [key]: intent.id,
            [`${key}_client_secret`]: intent.client_secret ?? '',
            redirect_status: succeeded ? 'succeeded' : 'failed',
          }),
        };
      }
      const body = succeeded
        ? '<div class="card"><h1>Authentication complete</h1><p class="notice">Your bank confirmed it. You can close this page.</p></div>'
        : '<div class="card"><h1>Authentication failed</h1><p class="error" role="alert">We are unable to authenticate your payment method. Please choose a different payment method and try again.</p></div>';
      return { html: layout('Authentication', body) };
    },
  },
];
