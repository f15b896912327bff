/** Charges: created by PaymentIntent confirmation; retrieve, list, update; receipts. */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { emit, update } from './events.ts';
import { listResponse, mustGet, registerIncludable, render, type PageRoute, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, validate } from './params.ts';
import { createBalanceTransaction, stripeFee } from './balance.ts';
import type { Decline } from './cards.ts';
import { searchResponse } from './search.ts';
import { escapeHtml, formatMoney, layout } from './pages/layout.ts';

export type NewCharge = {
  paymentIntent: string | null;
  paymentMethod: Stripe.PaymentMethod;
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  receiptEmail: string | null;
  transferGroup: string | null;
  statementDescriptor: string | null;
  account: string | null;
  clock: string | null;
  decline: Decline | null;
};

function paymentMethodDetails(pm: Stripe.PaymentMethod, amount: number): Stripe.Charge.PaymentMethodDetails {
  const card = pm.card;
  return {
    card: {
      amount_authorized: amount,
      authorization_code: '123456',
      brand: card?.brand ?? 'visa',
      checks: card?.checks ?? { address_line1_check: null, address_postal_code_check: null, cvc_check: null },
      country: card?.country ?? 'US',
      exp_month: card?.exp_month ?? 12,
      exp_year: card?.exp_year ?? 2030,
      extended_authorization: { status: 'disabled' },
      fingerprint: card?.fingerprint ?? null,
      funding: card?.funding ?? 'credit',
      incremental_authorization: { status: 'unavailable' },
      installments: null,
      last4: card?.last4 ?? '4242',
      mandate: null,
      multicapture: { status: 'unavailable' },
      network: card?.brand ?? 'visa',
      network_token: { used: false },
      network_transaction_id: String(Math.floor(Math.random() * 1e15)).padStart(15, '1'),
      overcapture: { maximum_amount_capturable: amount, status: 'unavailable' },
      regulated_status: 'unregulated',
      three_d_secure: null,
      wallet: null,
    } as Stripe.Charge.PaymentMethodDetails.Card,
    type: 'card',
  };
}

/** Creates a charge (succeeded, or failed with `decline`) and emits charge.succeeded / charge.failed. */
export function createCharge(engine: Engine, input: NewCharge, capture: 'sync' | 'async' | 'manual'): Stripe.Charge {
  const now = engine.now(input.clock);
  const ok = input.decline === null;
  const captured = ok && capture !== 'manual';
  const d = input.decline;
  const charge: Stripe.Charge = {
    id: newId('ch'),
    object: 'charge',
    amount: input.amount,
    amount_captured: captured ? input.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: input.paymentMethod.billing_details,
    calculated_statement_descriptor: (input.statementDescriptor ?? 'MAKERFUND').toUpperCase().slice(0, 22),
    captured,
    created: now,
    currency: input.currency,
    customer: input.customer,
    description: input.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: d ? d.code : null,
    failure_message: d ? d.message : null,
    fraud_details: {},
    livemode: false,
    metadata: input.metadata,
    on_behalf_of: null,
    outcome: {
      advice_code: d ? 'try_again_later' : null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: d ? d.networkStatus : 'approved_by_network',
      reason: d ? d.outcomeReason : null,
      risk_level: 'normal',
      risk_score: 20 + Math.floor(Math.random() * 30),
      seller_message: d ? d.sellerMessage : 'Payment complete.',
      type: d ? d.type : 'authorized',
    },
    paid: ok,
    payment_intent: input.paymentIntent,
    payment_method: input.paymentMethod.id,
    payment_method_details: paymentMethodDetails(input.paymentMethod, input.amount),
    receipt_email: input.receiptEmail,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: input.statementDescriptor,
    statement_descriptor_suffix: null,
    status: ok ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: input.transferGroup,
  };
  charge.receipt_url = `${engine.baseUrl}/receipts/${charge.id}`;
  engine.store.insert('charge', charge, { account: input.account, clock: input.clock });
  if (!ok) {
    emit(engine, 'charge.failed', charge);
    return charge;
  }
  if (capture === 'sync') {
    attachBalanceTransaction(engine, charge, input.amount);
    emit(engine, 'charge.succeeded', charge);
  } else if (capture === 'async') {
    emit(engine, 'charge.succeeded', charge);
    update(engine, 'charge', charge.id, (c) => attachBalanceTransaction(engine, c, input.amount));
  } else {
    emit(engine, 'charge.succeeded', charge);
  }
  return charge;
}

/** Books the captured amount (fee: feeBasisPoints + feeFixed) and links it to the charge. */
export function attachBalanceTransaction(engine: Engine, charge: Stripe.Charge, amount: number): void {
  const internal = engine.store.internal.cards[charge.payment_method as string];
  const txn = createBalanceTransaction(engine, {
    amount,
    currency: charge.currency,
    fee: stripeFee(engine, amount),
    type: 'charge',
    reporting_category: 'charge',
    source: charge.id,
    description: charge.description,
    account: engine.store.accountOf(charge.id),
    clock: engine.store.clockOf(charge.id),
    availableAfter: internal?.scenario === 'bypass_pending' ? 'now' : 'standard',
  });
  charge.balance_transaction = txn.id;
}

/** Captures an authorized (manual capture) charge. */
export function captureCharge(engine: Engine, charge: Stripe.Charge, amount: number): void {
  update(engine, 'charge', charge.id, (c) => {
    c.captured = true;
    c.amount_captured = amount;
    attachBalanceTransaction(engine, c, amount);
  }, null);
  emit(engine, 'charge.captured', charge);
}

/** `refunds` is includable since 2022-11-15: only present when expanded. */
registerIncludable('charge', 'refunds', (engine, obj) => {
  const id = obj['id'] as string;
  const refunds = engine.store.list('refund', engine.store.accountOf(id), (r) => r.charge === id);
  return { object: 'list', data: refunds.slice(0, 10).map((r) => structuredClone(r)), has_more: refunds.length > 10, url: `/v1/charges/${id}/refunds` };
});

export const routes: Route[] = [
  { method: 'GET', path: '/v1/charges/search', handler: (req) => searchResponse(req, 'charge', '/v1/charges/search') },
  {
    method: 'GET',
    path: '/v1/charges/:id',
    handler: (req) => render(req.engine, mustGet(req, 'charge', req.params['id']), validate(req.body, {}).expand),
  },
  {
    method: 'POST',
    path: '/v1/charges/:id',
    handler: (req) => {
      const charge = mustGet(req, 'charge', req.params['id']);
      const p = validate<Stripe.ChargeUpdateParams>(req.body, {
        metadata: S.meta(),
        description: S.str(),
        receipt_email: S.str(),
        transfer_group: S.str(),
        fraud_details: S.any(),
        shipping: S.any(),
        customer: S.str(),
      });
      update(req.engine, 'charge', charge.id, (c) => {
        if (p.metadata !== undefined) c.metadata = mergeMetadata(c.metadata, p.metadata);
        if (p.description !== undefined) c.description = p.description || null;
        if (p.receipt_email !== undefined) c.receipt_email = p.receipt_email || null;
        if (p.transfer_group !== undefined) c.transfer_group = p.transfer_group || null;
      });
      return render(req.engine, charge, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/charges',
    handler: (req) => {
      const p = validate<{ customer?: string; payment_intent?: string; transfer_group?: string } & Record<string, unknown>>(req.body, {
        ...LIST_PARAMS,
        customer: S.str(),
        payment_intent: S.str(),
        transfer_group: S.str(),
      });
      const items = req.engine.store.list('charge', req.account, (c) =>
        (p.customer === undefined || c.customer === p.customer) &&
        (p.payment_intent === undefined || c.payment_intent === p.payment_intent) &&
        (p.transfer_group === undefined || c.transfer_group === p.transfer_group),
      );
      return listResponse(req.engine, items, p, '/v1/charges', 'charge');
    },
  },
];

export const pages: PageRoute[] = [
  {
    method: 'GET',
    path: '/receipts/:id',
    handler: (req) => {
      const charge = req.engine.store.get('charge', req.params['id']);
      if (!charge) return { status: 404, html: layout('Receipt not found', '<h1>Receipt not found</h1>') };
      const card = charge.payment_method_details?.card;
      const body = `
        <h1>Receipt</h1>
        <p class="amount">${escapeHtml(formatMoney(charge.amount, charge.currency))}</p>
        <dl class="facts">
          <dt>Date</dt><dd>${escapeHtml(new Date(charge.created * 1000).toUTCString())}</dd>
          <dt>Payment method</dt><dd>${escapeHtml(card?.brand ?? 'card')} •••• ${escapeHtml(card?.last4 ?? '')}</dd>
          <dt>Description</dt><dd>${escapeHtml(charge.description ?? '—')}</dd>
          <dt>Refunded</dt><dd>${escapeHtml(formatMoney(charge.amount_refunded, charge.currency))}</dd>
          <dt>Charge</dt><dd><code>${escapeHtml(charge.id)}</code></dd>
        </dl>`;
      return { html: layout('Receipt', body) };
    },
  },
];
