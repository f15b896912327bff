/**
 * The hosted invoice page (`invoice.hosted_invoice_url`): shows the invoice and lets the
 * customer pay an open invoice with a card (or complete 3-D Secure for it), e.g. after a
 * failed renewal.
 */
import type Stripe from 'stripe';
import type { PageRoute, PageResult } from '../api.ts';
import type { Engine } from '../engine.ts';
import type { InvoiceObj } from '../types.ts';
import { attemptPayment } from '../invoices.ts';
import { attachPaymentMethod, createCardPaymentMethod } from '../payment-methods.ts';
import { cardFor, declineFor, failsOnAttach } from '../cards.ts';
import { textPdf } from './pdf.ts';
import { CARD_SCRIPT, cardFields, escapeHtml, formatDate, formatMoney, layout, parseExpiry } from './layout.ts';

function intentOf(engine: Engine, invoice: InvoiceObj): Stripe.PaymentIntent | undefined {
  const payment = engine.store.all('invoice_payment').find((p) => p.invoice === invoice.id && p.is_default);
  return payment ? (engine.store.get('payment_intent', payment.payment.payment_intent as string) as Stripe.PaymentIntent | undefined) : undefined;
}

function page(engine: Engine, invoice: InvoiceObj, error: string | null): PageResult {
  const pi = intentOf(engine, invoice);
  const lines = invoice.lines.data
    .map((l) => `<li><span>${escapeHtml(l.description ?? '')}<br><span class="muted">${escapeHtml(formatDate(l.period.start))} – ${escapeHtml(formatDate(l.period.end))}</span></span><span>${escapeHtml(formatMoney(l.amount, l.currency))}</span></li>`)
    .join('');
  let action = '';
  if (invoice.status === 'paid') {
    const charge = pi?.latest_charge ? engine.store.get('charge', pi.latest_charge as string) : undefined;
    action = `<div class="notice" role="status">Paid on ${escapeHtml(formatDate(invoice.status_transitions.paid_at ?? invoice.created))}.</div>
      ${charge?.receipt_url ? `<a class="button secondary" href="${escapeHtml(charge.receipt_url)}">View receipt</a>` : ''}`;
  } else if (invoice.status === 'open') {
    const auth = pi?.status === 'requires_action'
      ? `<div class="card"><h2>Confirm your payment</h2><p>Your bank needs you to confirm this payment.</p>
           <a class="button" href="/authenticate/${escapeHtml(pi.id)}">Authenticate payment</a></div>`
      : '';
    action = `${auth}
      <section class="card" aria-labelledby="pay-title">
        <h2 id="pay-title">Pay with card</h2>
        ${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ''}
        <form method="post" action="/invoice/${escapeHtml(invoice.id)}" data-once novalidate>
          ${cardFields()}
          <label for="card_name">Name on card</label>
          <input type="text" id="card_name" name="card_name" autocomplete="cc-name">
          <button type="submit" class="wide">Pay ${escapeHtml(formatMoney(invoice.amount_remaining, invoice.currency))}</button>
        </form>
      </section>`;
  } else {
    action = `<p class="muted">This invoice is ${escapeHtml(invoice.status ?? '')} and cannot be paid.</p>`;
  }
  const body = `
    <div class="split">
      <section>
        <h1>Invoice from Makerfund</h1>
        <p class="muted">${escapeHtml(invoice.number ?? invoice.id)} · ${escapeHtml(invoice.customer_email ?? '')}</p>
        <p class="amount">${escapeHtml(formatMoney(invoice.amount_due, invoice.currency))}</p>
        <ul class="lines" aria-label="Invoice lines">${lines}</ul>
        <div class="total"><span>Amount due</span><span>${escapeHtml(formatMoney(invoice.amount_remaining, invoice.currency))}</span></div>
      </section>
      <section>${action}</section>
    </div>`;
  return { status: error ? 402 : 200, html: layout(`Invoice ${invoice.number ?? ''}`, body, { script: CARD_SCRIPT }) };
}

export const pages: PageRoute[] = [
  {
    method: 'GET',
    path: '/invoice/:id/pdf',
    handler: ({ engine, params }) => {
      const invoice = engine.store.get('invoice', params['id']);
      if (!invoice || invoice.status === 'draft') return { status: 404, html: layout('Invoice', '<div class="card"><h1>Invoice not found</h1></div>') };
      const lines = [
        { text: 'Makerfund (Stripe sandbox)', size: 18 },
        { text: `Invoice ${invoice.number ?? invoice.id}` },
        { text: `Date: ${formatDate(invoice.created)}    Status: ${invoice.status}` },
        { text: `Bill to: ${invoice.customer_name ?? ''} ${invoice.customer_email ?? ''}` },
        { text: ' ' },
        ...invoice.lines.data.map((l) => ({ text: `${l.description ?? ''}    ${formatMoney(l.amount, l.currency)}` })),
        { text: ' ' },
        { text: `Total: ${formatMoney(invoice.total, invoice.currency)}    Amount due: ${formatMoney(invoice.amount_due, invoice.currency)}    Paid: ${formatMoney(invoice.amount_paid, invoice.currency)}`, size: 12 },
      ];
      return { contentType: 'application/pdf', body: textPdf(lines) };
    },
  },
  {
    method: 'GET',
    path: '/invoice/:id',
    handler: ({ engine, params }) => {
      const invoice = engine.store.get('invoice', params['id']);
      if (!invoice || invoice.status === 'draft') return { status: 404, html: layout('Invoice', '<div class="card"><h1>Invoice not found</h1></div>') };
      return page(engine, invoice, null);
    },
  },
  {
    method: 'POST',
    path: '/invoice/:id',
    handler: ({ engine, params, form }) => {
      const invoice = engine.store.get('invoice', params['id']);
      if (!invoice || invoice.status !== 'open') return { redirect: `/invoice/${params['id'] ?? ''}` };
      const s = (k: string): string => (typeof form[k] === 'string' ? (form[k] as string) : '');
      const card = cardFor(s('card_number'));
      const expiry = parseExpiry(s('card_expiry'));
      if (!card) return page(engine, invoice, 'Your card number is invalid.');
      if (!expiry) return page(engine, invoice, "Your card's expiration date is incomplete.");
      if (!/^\d{3,4}$/.test(s('card_cvc').trim())) return page(engine, invoice, "Your card's security code is incomplete.");
      if (failsOnAttach(card.scenario)) return page(engine, invoice, declineFor(card.scenario)?.message ?? 'Your card was declined.');
      const customer = engine.store.get('customer', invoice.customer as string);
      const clock = engine.store.clockOf(invoice.id);
      const pm = createCardPaymentMethod(engine, card, { exp_month: expiry.month, exp_year: expiry.year, cvc: s('card_cvc'), billing_details: { name: s('card_name') || undefined } }, engine.store.accountOf(invoice.id), clock);
      if (customer) attachPaymentMethod(engine, pm, customer, false);
      const outcome = attemptPayment(engine, invoice, { paymentMethod: pm, offSession: false });
      if (outcome.status === 'failed') return page(engine, invoice, outcome.decline.message);
      const pi = intentOf(engine, invoice);
      if (outcome.status === 'requires_action' && pi) return { redirect: `/authenticate/${pi.id}` };
      return { redirect: `/invoice/${invoice.id}` };
    },
  },
];
