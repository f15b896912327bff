/**
 * Refunds (full and partial) of succeeded charges. Card refunds succeed at once; test card
 * 4000000000005126 refunds start `succeeded` and fail shortly after (refund.failed).
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustGet, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, newMetadata, validate } from './params.ts';
import { createBalanceTransaction } from './balance.ts';
import { disputeOfCharge } from './disputes.ts';
import { registerTasks } from './scheduler.ts';
import { formatMoney } from './pages/layout.ts';

type CreateRefund = {
  charge?: string;
  payment_intent?: string;
  amount?: number;
  reason?: Stripe.RefundCreateParams.Reason;
  metadata?: Record<string, string>;
  expand?: string[];
};

function refundableCharge(req: ApiRequest, p: CreateRefund): Stripe.Charge {
  const { engine } = req;
  if (p.charge && p.payment_intent) {
    throw invalidRequest('You can only specify one of these parameters: charge, payment_intent.', 'payment_intent');
  }
  if (p.payment_intent) {
    const pi = engine.store.scoped('payment_intent', p.payment_intent, req.account);
    if (!pi) throw noSuch('payment_intent', p.payment_intent, 'payment_intent');
    const charge = pi.latest_charge ? engine.store.get('charge', pi.latest_charge as string) : undefined;
    if (!charge || charge.status !== 'succeeded') {
      throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
    }
    return charge;
  }
  if (!p.charge) throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', 'charge', 'parameter_missing');
  const charge = engine.store.scoped('charge', p.charge, req.account);
  if (!charge) throw noSuch('charge', p.charge, 'charge');
  return charge;
}

export function createRefund(engine: Engine, charge: Stripe.Charge, amount: number, reason: Stripe.Refund.Reason | null, metadata: Record<string, string>): Stripe.Refund {
  const clock = engine.store.clockOf(charge.id);
  const account = engine.store.accountOf(charge.id);
  const refund: Stripe.Refund = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: charge.id,
    created: engine.now(clock),
    currency: charge.currency,
    customer: charge.customer,
    customer_account: null,
    destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' } as Stripe.Refund.DestinationDetails,
    metadata,
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  engine.store.insert('refund', refund, { account, clock });
  const txn = createBalanceTransaction(engine, {
    amount: -amount,
    currency: charge.currency,
    type: 'refund',
    reporting_category: 'refund',
    source: refund.id,
    description: 'REFUND FOR CHARGE' + (charge.description ? ` (${charge.description})` : ''),
    account,
    clock,
    availableAfter: 'now',
  });
  refund.balance_transaction = txn.id;
  emit(engine, 'refund.created', refund);
  update(engine, 'charge', charge.id, (c) => {
    c.amount_refunded += amount;
    c.refunded = c.amount_refunded >= c.amount_captured;
  }, 'charge.refunded');
  update(engine, 'refund', refund.id, (r) => {
    r.destination_details = {
      card: { reference: String(Math.floor(1e15 + Math.random() * 9e15)), reference_status: 'available', reference_type: 'acquirer_reference_number', type: 'refund' },
      type: 'card',
    } as Stripe.Refund.DestinationDetails;
  });
  return refund;
}

function failRefund(engine: Engine, refund: Stripe.Refund): void {
  const charge = engine.store.get('charge', refund.charge as string);
  if (!charge) return;
  const txn = createBalanceTransaction(engine, {
    amount: refund.amount,
    currency: refund.currency,
    type: 'refund_failure',
    reporting_category: 'refund_failure',
    source: refund.id,
    description: 'REFUND FAILURE',
    account: engine.store.accountOf(refund.id),
    clock: engine.store.clockOf(refund.id),
    availableAfter: 'now',
  });
  const previous = update(engine, 'refund', refund.id, (r) => {
    r.status = 'failed';
    r.failure_reason = 'expired_or_canceled_card';
    r.failure_balance_transaction = txn.id;
  }, null);
  emit(engine, 'refund.failed', refund, { previous });
  emit(engine, 'refund.updated', refund, { previous });
  update(engine, 'charge', charge.id, (c) => {
    c.amount_refunded -= refund.amount;
    c.refunded = false;
  });
}

registerTasks('refund', (engine, refund) => {
  if (refund.status !== 'succeeded') return [];
  const pm = refund.payment_method as string | null;
  if (!pm || engine.store.internal.cards[pm]?.scenario !== 'refund_fails') return [];
  return [{ at: refund.created + 1, label: `refund-fail:${refund.id}`, run: () => failRefund(engine, refund) }];
});

function create(req: ApiRequest, p: CreateRefund): Stripe.Refund {
  const { engine } = req;
  const charge = refundableCharge(req, p);
  if (charge.status !== 'succeeded') {
    throw invalidRequest(`Charge ${charge.id} has a status of ${charge.status} and cannot be refunded.`, 'charge', 'charge_not_refundable');
  }
  const dispute = disputeOfCharge(engine, charge.id);
  if (dispute && !dispute.is_charge_refundable) {
    throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, undefined, 'charge_disputed');
  }
  const remaining = charge.amount_captured - charge.amount_refunded;
  if (remaining <= 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
  const amount = p.amount ?? remaining;
  if (amount <= 0) throw invalidRequest('Invalid positive integer', 'amount');
  if (amount > remaining) {
    const what = charge.amount_refunded > 0
      ? `unrefunded amount on charge (${formatMoney(remaining, charge.currency)})`
      : `charge amount (${formatMoney(charge.amount_captured, charge.currency)})`;
    throw invalidRequest(`Refund amount (${formatMoney(amount, charge.currency)}) is greater than ${what}`, 'amount', 'amount_too_large');
  }
  return createRefund(engine, charge, amount, p.reason ?? null, newMetadata(p.metadata));
}

const CREATE_FIELDS = {
  charge: S.str(),
  payment_intent: S.str(),
  amount: S.int({ min: 1 }),
  reason: S.oneOf('duplicate', 'fraudulent', 'requested_by_customer'),
  metadata: S.meta(),
  refund_application_fee: S.bool(),
  reverse_transfer: S.bool(),
  instructions_email: S.str(),
  origin: S.oneOf('customer_balance'),
  currency: S.str(),
  customer: S.str(),
};

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/refunds',
    handler: (req) => {
      const p = validate<CreateRefund>(req.body, CREATE_FIELDS);
      return render(req.engine, create(req, p), p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/charges/:id/refunds',
    handler: (req) => {
      const p = validate<CreateRefund>(req.body, { ...CREATE_FIELDS, charge: undefined as never, payment_intent: undefined as never });
      return render(req.engine, create(req, { ...p, charge: req.params['id'] }), p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/charges/:id/refund',
    handler: (req) => {
      const p = validate<CreateRefund>(req.body, { ...CREATE_FIELDS, charge: undefined as never, payment_intent: undefined as never });
      const refund = create(req, { ...p, charge: req.params['id'] });
      return render(req.engine, req.engine.store.get('charge', refund.charge as string), p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/refunds/:id',
    handler: (req) => render(req.engine, mustGet(req, 'refund', req.params['id'], 'refund'), validate(req.body, {}).expand),
  },
  {
    method: 'POST',
    path: '/v1/refunds/:id',
    handler: (req) => {
      const refund = mustGet(req, 'refund', req.params['id'], 'refund');
      const p = validate<{ metadata?: Record<string, string> | '' }>(req.body, { metadata: S.meta() });
      update(req.engine, 'refund', refund.id, (r) => {
        if (p.metadata !== undefined) r.metadata = mergeMetadata(r.metadata ?? {}, p.metadata);
      });
      return render(req.engine, refund, (p as { expand?: string[] }).expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/refunds/:id/cancel',
    handler: (req) => {
      const refund = mustGet(req, 'refund', req.params['id'], 'refund');
      validate(req.body, {});
      throw invalidRequest(`Refund ${refund.id} cannot be canceled because it has a status of ${refund.status}. Only refunds with a status of requires_action can be canceled.`, undefined, 'refund_unexpected_state');
    },
  },
  {
    method: 'GET',
    path: '/v1/refunds',
    handler: (req) => {
      const p = validate<{ charge?: string; payment_intent?: string } & Record<string, unknown>>(req.body, { ...LIST_PARAMS, charge: S.str(), payment_intent: S.str() });
      const items = req.engine.store.list('refund', req.account, (r) =>
        (p.charge === undefined || r.charge === p.charge) && (p.payment_intent === undefined || r.payment_intent === p.payment_intent),
      );
      return listResponse(req.engine, items, p, '/v1/refunds', 'refund');
    },
  },
  {
    method: 'GET',
    path: '/v1/charges/:id/refunds',
    handler: (req) => {
      const charge = mustGet(req, 'charge', req.params['id'], 'charge');
      const p = validate(req.body, LIST_PARAMS);
      const items = req.engine.store.list('refund', req.account, (r) => r.charge === charge.id);
      return listResponse(req.engine, items, p, `/v1/charges/${charge.id}/refunds`, 'refund');
    },
  },
];
