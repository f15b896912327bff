/**
 * The customer portal page of a billing portal session. Plain HTML forms; every action is the
 * API's own code path (changeSubscription / attachPaymentMethod / invoices), so the same
 * events are emitted. Switching price offers the other active recurring prices of the same
 * currency (prices of the subscription's product first), prorated with create_prorations.
 */
import type Stripe from 'stripe';
import type { Engine } from '../engine.ts';
import type { PageRequest, PageResult, PageRoute } from '../api.ts';
import { update } from '../events.ts';
import { changeSubscription, firstItem } from '../subscriptions.ts';
import { attachPaymentMethod, createCardPaymentMethod } from '../payment-methods.ts';
import { cardFor, failsOnAttach, declineFor } from '../cards.ts';
import { attemptPayment, subscriptionOfInvoice } from '../invoices.ts';
import type { SubscriptionObj } from '../types.ts';
import { CARD_SCRIPT, cardFields, escapeHtml, formatDate, formatMoney, intervalLabel, layout, parseExpiry } from './layout.ts';

function sessionOf(req: PageRequest): Stripe.BillingPortal.Session | undefined {
  return req.engine.store.get('billing_portal.session', req.params['id']);
}

function notFound(): PageResult {
  return { status: 404, html: layout('Not found', '<div class="card"><h1>This portal session does not exist</h1></div>') };
}

function subscriptionsOf(engine: Engine, customerId: string): SubscriptionObj[] {
  return engine.store.list('subscription', engine.store.accountOf(customerId), (s) => s.customer === customerId && s.status !== 'canceled' && s.status !== 'incomplete_expired');
}

function ownSubscription(req: PageRequest, session: Stripe.BillingPortal.Session): SubscriptionObj | undefined {
  const sub = req.engine.store.get('subscription', req.params['sub']);
  return sub && sub.customer === session.customer ? sub : undefined;
}

function productName(engine: Engine, price: Stripe.Price): string {
  return engine.store.get('product', price.product as string)?.name ?? price.nickname ?? 'Plan';
}

function priceLabel(engine: Engine, price: Stripe.Price): string {
  return `${productName(engine, price)} — ${formatMoney(price.unit_amount ?? 0, price.currency)} ${intervalLabel(price.recurring?.interval, price.recurring?.interval_count)}`;
}

const STATUS_LABEL: Record<string, [string, string]> = {
  active: ['Active', 'ok'],
  trialing: ['Trial', 'ok'],
  past_due: ['Past due', 'bad'],
  unpaid: ['Unpaid', 'bad'],
  incomplete: ['Incomplete', 'bad'],
};

function cardLine(engine: Engine, sub: SubscriptionObj): string {
  const customer = engine.store.get('customer', sub.customer as string);
  const pmId = (sub.default_payment_method as string | null) ?? (customer?.invoice_settings.default_payment_method as string | null);
  const pm = pmId ? engine.store.get('payment_method', pmId) : undefined;
  return pm?.card ? `${escapeHtml(pm.card.brand)} •••• ${escapeHtml(pm.card.last4)} (expires ${pm.card.exp_month}/${pm.card.exp_year})` : 'No card on file';
}

function header(session: Stripe.BillingPortal.Session): string {
  return session.return_url ? `<a class="back" href="${escapeHtml(session.return_url)}">← Return to Makerfund</a>` : '';
}

function home(req: PageRequest, session: Stripe.BillingPortal.Session, notice: string | null, error: string | null = null): PageResult {
  const { engine } = req;
  const customer = engine.store.get('customer', session.customer);
  const subs = subscriptionsOf(engine, session.customer);
  const cards = subs
    .map((sub) => {
      const item = firstItem(sub);
      if (!item) return '';
      const [label, tone] = STATUS_LABEL[sub.status] ?? [sub.status, ''];
      const when = sub.cancel_at
        ? `Cancels on ${formatDate(sub.cancel_at)}`
        : `Renews on ${formatDate(item.current_period_end)}`;
      const actions = sub.cancel_at_period_end || sub.cancel_at
        ? `<form method="post" action="/portal/${escapeHtml(session.id)}/subscriptions/${escapeHtml(sub.id)}/resume" data-once>
             <button type="submit">Resume subscription</button>
           </form>`
        : `<a class="button secondary" href="/portal/${escapeHtml(session.id)}/subscriptions/${escapeHtml(sub.id)}/plans">Change plan</a>
           <a class="button danger" role="button" href="/portal/${escapeHtml(session.id)}/subscriptions/${escapeHtml(sub.id)}/cancel">Cancel subscription</a>`;
      return `
        <section class="card" aria-label="${escapeHtml(productName(engine, item.price))}">
          <h2>${escapeHtml(productName(engine, item.price))} <span class="badge ${tone}">${escapeHtml(label)}</span></h2>
          <p class="amount" style="font-size:22px">${escapeHtml(formatMoney((item.price.unit_amount ?? 0) * (item.quantity ?? 1), item.price.currency))}
            <span class="muted" style="font-size:15px;font-weight:400">${escapeHtml(intervalLabel(item.price.recurring?.interval, item.price.recurring?.interval_count))}</span></p>
          <dl class="facts">
            <dt>Status</dt><dd>${escapeHtml(when)}</dd>
            <dt>Payment method</dt><dd>${cardLine(engine, sub)}</dd>
          </dl>
          <div class="actions">${actions}</div>
        </section>`;
    })
    .join('');
  const body = `
    ${header(session)}
    <h1>Your subscriptions</h1>
    <p class="muted">${escapeHtml(customer?.email ?? customer?.name ?? '')}</p>
    ${notice ? `<div class="notice" role="status">${escapeHtml(notice)}</div>` : ''}
    ${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ''}
    ${cards || '<div class="card"><p>You have no active subscriptions.</p></div>'}
    <div class="card">
      <h2>Payment method</h2>
      <p>${subs[0] ? cardLine(engine, subs[0]) : escapeHtml('Cards are used for your subscriptions.')}</p>
      <a class="button secondary" href="/portal/${escapeHtml(session.id)}/payment-method">Update payment method</a>
    </div>`;
  return { html: layout('Your subscriptions', body) };
}

const NOTICES: Record<string, string> = {
  canceled: 'Your subscription will be canceled at the end of the billing period.',
  resumed: 'Your subscription will continue.',
  switched: 'Your plan has been changed.',
  card: 'Your payment method has been updated.',
};

/** Other prices a subscription can switch to: active, recurring, same currency; same product first. */
function switchablePrices(engine: Engine, sub: SubscriptionObj): Stripe.Price[] {
  const item = firstItem(sub);
  if (!item) return [];
  const all = engine.store.list('price', engine.store.accountOf(sub.id), (p) => p.active && p.type === 'recurring' && p.currency === item.price.currency && p.id !== item.price.id);
  return all.sort((a, b) => Number(b.product === item.price.product) - Number(a.product === item.price.product) || (a.unit_amount ?? 0) - (b.unit_amount ?? 0));
}

function withSession(fn: (req: PageRequest, session: Stripe.BillingPortal.Session) => PageResult): (req: PageRequest) => PageResult {
  return (req) => {
    const session = sessionOf(req);
    return session ? fn(req, session) : notFound();
  };
}

function withSubscription(fn: (req: PageRequest, session: Stripe.BillingPortal.Session, sub: SubscriptionObj) => PageResult): (req: PageRequest) => PageResult {
  return withSession((req, session) => {
    const sub = ownSubscription(req, session);
    if (!sub) return { redirect: `/portal/${session.id}` };
    return fn(req, session, sub);
  });
}

export const pages: PageRoute[] = [
  {
    method: 'GET',
    path: '/portal/:id',
    handler: withSession((req, session) => home(req, session, NOTICES[req.query.get('notice') ?? ''] ?? null)),
  },
  {
    method: 'GET',
    path: '/portal/:id/subscriptions/:sub/cancel',
    handler: withSubscription((req, session, sub) => {
      const item = firstItem(sub);
      const body = `
        <a class="back" href="/portal/${escapeHtml(session.id)}">← Back to your subscriptions</a>
        <div class="card" style="max-width:560px">
          <h1>Cancel your subscription</h1>
          <p>Your subscription to <strong>${escapeHtml(item ? productName(req.engine, item.price) : '')}</strong> will end on
            <strong>${escapeHtml(item ? formatDate(item.current_period_end) : '')}</strong>. You keep access until then.</p>
          <form method="post" action="/portal/${escapeHtml(session.id)}/subscriptions/${escapeHtml(sub.id)}/cancel" data-once>
            <button type="submit" class="danger">Cancel subscription</button>
          </form>
        </div>`;
      return { html: layout('Cancel subscription', body) };
    }),
  },
  {
    method: 'POST',
    path: '/portal/:id/subscriptions/:sub/cancel',
    handler: withSubscription((req, session, sub) => {
      if (!sub.cancel_at_period_end) changeSubscription(req.engine, sub, { cancelAtPeriodEnd: true, prorationBehavior: 'none', offSession: true });
      return { redirect: `/portal/${session.id}?notice=canceled` };
    }),
  },
  {
    method: 'POST',
    path: '/portal/:id/subscriptions/:sub/resume',
    handler: withSubscription((req, session, sub) => {
      if (sub.cancel_at_period_end || sub.cancel_at) changeSubscription(req.engine, sub, { cancelAtPeriodEnd: false, prorationBehavior: 'none', offSession: true });
      return { redirect: `/portal/${session.id}?notice=resumed` };
    }),
  },
  {
    method: 'GET',
    path: '/portal/:id/subscriptions/:sub/plans',
    handler: withSubscription((req, session, sub) => {
      const item = firstItem(sub);
      const options = switchablePrices(req.engine, sub)
        .map((p) => `
          <li>
            <span>${escapeHtml(priceLabel(req.engine, p))}</span>
            <form method="post" action="/portal/${escapeHtml(session.id)}/subscriptions/${escapeHtml(sub.id)}/plans" data-once>
              <input type="hidden" name="price" value="${escapeHtml(p.id)}">
              <button type="submit" class="secondary">Switch to this plan</button>
            </form>
          </li>`)
        .join('');
      const body = `
        <a class="back" href="/portal/${escapeHtml(session.id)}">← Back to your subscriptions</a>
        <div class="card">
          <h1>Change plan</h1>
          <p class="muted">Current plan: ${escapeHtml(item ? priceLabel(req.engine, item.price) : '')}. Changes are prorated on your next invoice.</p>
          ${options ? `<ul class="lines">${options}</ul>` : '<p>No other plans are available.</p>'}
        </div>`;
      return { html: layout('Change plan', body) };
    }),
  },
  {
    method: 'POST',
    path: '/portal/:id/subscriptions/:sub/plans',
    handler: withSubscription((req, session, sub) => {
      const priceId = typeof req.form['price'] === 'string' ? req.form['price'] : '';
      const price = switchablePrices(req.engine, sub).find((p) => p.id === priceId);
      const item = firstItem(sub);
      if (!price || !item) return { redirect: `/portal/${session.id}` };
      changeSubscription(req.engine, sub, { items: [{ id: item.id, price }], prorationBehavior: 'create_prorations', offSession: true });
      return { redirect: `/portal/${session.id}?notice=switched` };
    }),
  },
  {
    method: 'GET',
    path: '/portal/:id/payment-method',
    handler: withSession((_req, session) => cardPage(session, null)),
  },
  {
    method: 'POST',
    path: '/portal/:id/payment-method',
    handler: withSession((req, session) => {
      const { engine } = req;
      const str = (k: string): string => (typeof req.form[k] === 'string' ? (req.form[k] as string) : '');
      const card = cardFor(str('card_number'));
      const expiry = parseExpiry(str('card_expiry'));
      if (!card) return cardPage(session, 'Your card number is invalid.');
      if (!expiry) return cardPage(session, "Your card's expiration date is incomplete.");
      if (!/^\d{3,4}$/.test(str('card_cvc').trim())) return cardPage(session, "Your card's security code is incomplete.");
      if (failsOnAttach(card.scenario)) return cardPage(session, declineFor(card.scenario)?.message ?? 'Your card was declined.');
      const customer = engine.store.get('customer', session.customer);
      if (!customer) return notFound();
      const clock = (customer.test_clock as string | null) ?? null;
      const pm = createCardPaymentMethod(engine, card, { exp_month: expiry.month, exp_year: expiry.year, cvc: str('card_cvc'), billing_details: { name: str('card_name') || undefined, email: customer.email ?? undefined } }, engine.store.accountOf(customer.id), clock);
      attachPaymentMethod(engine, pm, customer, false);
      const internal = engine.store.internal.cards[pm.id];
      if (internal) internal.authenticated = true;
      update(engine, 'customer', customer.id, (c) => {
        c.invoice_settings.default_payment_method = pm.id;
      });
      for (const sub of subscriptionsOf(engine, customer.id)) {
        if (sub.default_payment_method) changeSubscription(engine, sub, { defaultPaymentMethod: pm.id, prorationBehavior: 'none', offSession: true });
      }
      // Past-due invoices are retried with the new card at once.
      for (const invoice of engine.store.all('invoice')) {
        if (invoice.customer !== customer.id || invoice.status !== 'open' || !subscriptionOfInvoice(invoice)) continue;
        attemptPayment(engine, invoice, { paymentMethod: pm, offSession: true });
      }
      return { redirect: `/portal/${session.id}?notice=card` };
    }),
  },
];

function cardPage(session: Stripe.BillingPortal.Session, error: string | null): PageResult {
  const body = `
    <a class="back" href="/portal/${escapeHtml(session.id)}">← Back to your subscriptions</a>
    <div class="card" style="max-width:520px">
      <h1>Update payment method</h1>
      ${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ''}
      <form method="post" action="/portal/${escapeHtml(session.id)}/payment-method" data-once novalidate>
        ${cardFields()}
        <label for="card_name">Name on card</label>
        <input type="text" id="card_name" name="card_name" autocomplete="cc-name">
        <button type="submit" class="wide">Save card</button>
      </form>
    </div>`;
  return { status: error ? 402 : 200, html: layout('Update payment method', body, { script: CARD_SCRIPT }) };
}
