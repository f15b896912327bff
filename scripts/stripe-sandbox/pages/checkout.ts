/**
 * The hosted Checkout page at a session's `url`: an order summary and a card form that works
 * as a plain HTML form POST (a little inline JS only formats the card number).
 */
import type { PageRequest, PageResult, PageRoute } from '../api.ts';
import type { Engine } from '../engine.ts';
import type { CheckoutSessionObj } from '../types.ts';
import { checkoutInternal, finishAuthentication, submitCheckout, successRedirect, type CompletionResult } from '../checkout.ts';
import { CARD_SCRIPT, cardFields, challengePage, escapeHtml, formatMoney, intervalLabel, layout, parseExpiry } from './layout.ts';


function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function summary(engine: Engine, session: CheckoutSessionObj): string {
  const items = checkoutInternal(engine, session.id)?.lineItems ?? [];
  const rows = items
    .map((li) => {
      const recurring = li.price?.recurring;
      const each = recurring ? ` <span class="muted">${escapeHtml(intervalLabel(recurring.interval, recurring.interval_count))}</span>` : '';
      const qty = (li.quantity ?? 1) > 1 ? ` × ${li.quantity}` : '';
      return `<li><span>${escapeHtml(li.description)}${escapeHtml(qty)}</span><span>${escapeHtml(formatMoney(li.amount_total, li.currency))}${each}</span></li>`;
    })
    .join('');
  if (session.mode === 'setup') {
    return `<h1>Save a card</h1><p class="muted">Your card will be saved for future payments. You won't be charged now.</p>`;
  }
  const first = items[0];
  const recurring = first?.price?.recurring;
  const total = formatMoney(session.amount_total ?? 0, session.currency ?? 'usd');
  const heading = session.mode === 'subscription' ? `Subscribe to ${escapeHtml(first?.description ?? 'a plan')}` : 'Pay Makerfund';
  return `
    <h1>${heading}</h1>
    <p class="amount">${escapeHtml(total)}${recurring ? ` <span class="muted" style="font-size:16px;font-weight:400">${escapeHtml(intervalLabel(recurring.interval, recurring.interval_count))}</span>` : ''}</p>
    <ul class="lines" aria-label="Order summary">${rows}</ul>
    <div class="total"><span>Total due today</span><span>${escapeHtml(total)}</span></div>`;
}

function buttonLabel(session: CheckoutSessionObj): string {
  if (session.mode === 'subscription') return 'Subscribe';
  if (session.mode === 'setup') return 'Save card';
  return `Pay ${formatMoney(session.amount_total ?? 0, session.currency ?? 'usd')}`;
}

function emailValue(engine: Engine, session: CheckoutSessionObj): { value: string; locked: boolean } {
  if (session.customer) {
    const c = engine.store.get('customer', session.customer as string);
    return { value: c?.email ?? '', locked: true };
  }
  if (session.customer_email) return { value: session.customer_email, locked: true };
  return { value: '', locked: false };
}

function formPage(engine: Engine, session: CheckoutSessionObj, error: string | null, values: Record<string, string> = {}): PageResult {
  const email = emailValue(engine, session);
  const back = session.cancel_url
    ? `<a class="back" href="${escapeHtml(session.cancel_url)}">← Back</a>`
    : '';
  const emailField = email.locked && !email.value
    ? ''
    : `<label for="email">Email</label>
       <input type="email" id="email" name="email" autocomplete="email" ${email.locked ? 'readonly' : 'required'} value="${escapeHtml(email.locked ? email.value : (values['email'] ?? ''))}">`;
  const body = `
    ${back}
    <div class="split">
      <section aria-labelledby="summary-title">
        <h2 id="summary-title" class="visually-hidden">Summary</h2>
        ${summary(engine, session)}
      </section>
      <section class="card" aria-labelledby="pay-title">
        <h2 id="pay-title">${session.mode === 'setup' ? 'Card details' : 'Pay with card'}</h2>
        ${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ''}
        <form method="post" action="/checkout/${escapeHtml(session.id)}" data-once novalidate>
          ${emailField}
          ${cardFields({ number: values['card_number'], expiry: values['card_expiry'], cvc: '' })}
          <label for="card_name">Name on card</label>
          <input type="text" id="card_name" name="card_name" autocomplete="cc-name" value="${escapeHtml(values['card_name'] ?? '')}">
          <button type="submit" class="wide" data-busy="Processing…">${escapeHtml(buttonLabel(session))}</button>
        </form>
      </section>
    </div>`;
  return { status: error ? 402 : 200, html: layout(buttonLabel(session), body, { script: CARD_SCRIPT }) };
}

function closedPage(session: CheckoutSessionObj): PageResult {
  if (session.status === 'complete') {
    const body = `<div class="card" style="max-width:520px;margin:0 auto">
      <h1>Thanks — you're all set</h1>
      <p class="notice">This Checkout Session is complete.</p>
      ${session.success_url ? `<a class="button" href="${escapeHtml(successRedirect(session))}">Continue</a>` : ''}
    </div>`;
    return { html: layout('Complete', body) };
  }
  const body = `<div class="card" style="max-width:520px;margin:0 auto">
    <h1>This checkout has expired</h1>
    <p class="muted">Start again from the site you came from.</p>
    ${session.cancel_url ? `<a class="back" href="${escapeHtml(session.cancel_url)}">← Back</a>` : ''}
  </div>`;
  return { status: 410, html: layout('Expired', body) };
}

function sessionOf(req: PageRequest): CheckoutSessionObj | undefined {
  return req.engine.store.get('checkout.session', req.params['id']);
}

function notFound(): PageResult {
  return { status: 404, html: layout('Not found', '<div class="card"><h1>Checkout Session not found</h1></div>') };
}

function afterCompletion(req: PageRequest, session: CheckoutSessionObj, result: CompletionResult, values: Record<string, string>): PageResult {
  if (result.kind === 'redirect') return { redirect: result.url };
  if (result.kind === 'authenticate') return { redirect: `/checkout/${session.id}/authenticate` };
  return formPage(req.engine, session, result.message, values);
}


export const pages: PageRoute[] = [
  {
    method: 'GET',
    path: '/checkout/:id',
    handler: (req) => {
      const session = sessionOf(req);
      if (!session) return notFound();
      if (session.status !== 'open') return closedPage(session);
      const error = req.query.get('error');
      return formPage(req.engine, session, error);
    },
  },
  {
    method: 'POST',
    path: '/checkout/:id',
    handler: (req) => {
      const session = sessionOf(req);
      if (!session) return notFound();
      if (session.status !== 'open') return closedPage(session);
      const values = {
        email: str(req.form['email']),
        card_number: str(req.form['card_number']),
        card_expiry: str(req.form['card_expiry']),
        card_name: str(req.form['card_name']),
      };
      const result = submitCheckout(req.engine, session, {
        email: values.email,
        name: values.card_name,
        number: values.card_number,
        expiry: parseExpiry(values.card_expiry),
        cvc: str(req.form['card_cvc']),
      });
      return afterCompletion(req, session, result, values);
    },
  },
  {
    method: 'GET',
    path: '/checkout/:id/authenticate',
    handler: (req) => {
      const session = sessionOf(req);
      if (!session) return notFound();
      if (session.status !== 'open' || !req.engine.store.internal.challenges[session.id]) return { redirect: `/checkout/${session.id}` };
      const total = session.mode === 'setup' ? 'saving your card' : `a payment of <strong>${escapeHtml(formatMoney(session.amount_total ?? 0, session.currency ?? 'usd'))}</strong>`;
      return { html: challengePage(total, `/checkout/${session.id}/authenticate`) };
    },
  },
  {
    method: 'POST',
    path: '/checkout/:id/authenticate',
    handler: (req) => {
      const session = sessionOf(req);
      if (!session) return notFound();
      const result = finishAuthentication(req.engine, session, req.form['outcome'] === 'complete');
      if (result.kind === 'error') return formPage(req.engine, session, result.message);
      return afterCompletion(req, session, result, {});
    },
  },
];
