/**
 * Disputes. Test cards 4000000000000259 (fraudulent), 2685 (product not received) and 1976
 * (inquiry) open a dispute right after a successful charge. Win or lose like Stripe's test mode:
 * `disputes.update(id, { evidence: { uncategorized_text: 'winning_evidence' } })` wins,
 * `'losing_evidence'` or `disputes.close(id)` loses. Funds: withdrawn at once (amount + 1500
 * dispute fee), reinstated with the fee when won.
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { invalidRequest } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustGet, render, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, validate } from './params.ts';
import { createBalanceTransaction } from './balance.ts';
import type { DisputeObj } from './types.ts';

export const DISPUTE_FEE = 1500;

const EVIDENCE_KEYS = [
  'access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure', 'cancellation_rebuttal',
  'customer_communication', 'customer_email_address', 'customer_name', 'customer_purchase_ip', 'customer_signature',
  'duplicate_charge_documentation', 'duplicate_charge_explanation', 'duplicate_charge_id', 'product_description', 'receipt',
  'refund_policy', 'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date', 'service_documentation',
  'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_documentation', 'shipping_tracking_number',
  'uncategorized_file', 'uncategorized_text',
] as const;

function emptyEvidence(): Stripe.Dispute.Evidence {
  const e: Record<string, unknown> = {};
  for (const k of EVIDENCE_KEYS) e[k] = null;
  e['enhanced_evidence'] = {};
  return e as unknown as Stripe.Dispute.Evidence;
}

export function disputeOfCharge(engine: Engine, chargeId: string): DisputeObj | undefined {
  return engine.store.all('dispute').find((d) => d.charge === chargeId);
}

function withdraw(engine: Engine, dispute: DisputeObj, charge: Stripe.Charge, sign: 1 | -1): Stripe.BalanceTransaction {
  const txn = createBalanceTransaction(engine, {
    amount: sign * dispute.amount,
    currency: dispute.currency,
    fee: -sign * DISPUTE_FEE,
    feeDescription: 'Dispute fee',
    type: 'adjustment',
    reporting_category: sign === -1 ? 'dispute' : 'dispute_reversal',
    source: dispute.id,
    description: sign === -1 ? `Chargeback withdrawal for ${charge.id}` : `Chargeback reversal for ${charge.id}`,
    account: engine.store.accountOf(charge.id),
    clock: engine.store.clockOf(charge.id),
    availableAfter: 'now',
  });
  return txn;
}

export function openDisputeIfScenario(engine: Engine, charge: Stripe.Charge): DisputeObj | null {
  const card = engine.store.internal.cards[charge.payment_method as string];
  if (!card) return null;
  const kinds: Partial<Record<string, { reason: string; status: Stripe.Dispute.Status; inquiry: boolean; code: string }>> = {
    dispute_fraudulent: { reason: 'fraudulent', status: 'needs_response', inquiry: false, code: '10.4' },
    dispute_product_not_received: { reason: 'product_not_received', status: 'needs_response', inquiry: false, code: '13.1' },
    dispute_inquiry: { reason: 'general', status: 'warning_needs_response', inquiry: true, code: '10.4' },
  };
  const kind = kinds[card.scenario];
  if (!kind) return null;
  const clock = engine.store.clockOf(charge.id);
  const now = engine.now(clock);
  const dispute: DisputeObj = {
    id: newId('dp'),
    object: 'dispute',
    amount: charge.amount,
    balance_transactions: [],
    charge: charge.id,
    created: now,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: emptyEvidence(),
    evidence_details: {
      due_by: now + 7 * 86400,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    } as Stripe.Dispute.EvidenceDetails,
    is_charge_refundable: kind.inquiry,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    payment_method_details: {
      card: { brand: charge.payment_method_details?.card?.brand ?? 'visa', case_type: kind.inquiry ? 'inquiry' : 'chargeback', network_reason_code: kind.code },
      type: 'card',
    } as Stripe.Dispute.PaymentMethodDetails,
    reason: kind.reason,
    status: kind.status,
  };
  engine.store.insert('dispute', dispute, { account: engine.store.accountOf(charge.id), clock });
  charge.disputed = true;
  emit(engine, 'charge.dispute.created', dispute);
  if (!kind.inquiry) {
    const txn = withdraw(engine, dispute, charge, -1);
    dispute.balance_transactions = [txn];
    emit(engine, 'charge.dispute.funds_withdrawn', dispute);
  }
  return dispute;
}

function isClosed(d: DisputeObj): boolean {
  return d.status === 'won' || d.status === 'lost' || d.status === 'warning_closed';
}

function closeDispute(engine: Engine, dispute: DisputeObj, won: boolean): void {
  const charge = engine.store.get('charge', dispute.charge as string);
  const inquiry = dispute.status === 'warning_needs_response' || dispute.status === 'warning_under_review';
  dispute.status = inquiry ? 'warning_closed' : won ? 'won' : 'lost';
  dispute.is_charge_refundable = false;
  emit(engine, 'charge.dispute.closed', dispute);
  if (won && !inquiry && charge) {
    const txn = withdraw(engine, dispute, charge, 1);
    dispute.balance_transactions = [...dispute.balance_transactions, txn];
    emit(engine, 'charge.dispute.funds_reinstated', dispute);
  }
}

const EVIDENCE_SPEC = Object.fromEntries([...EVIDENCE_KEYS.map((k) => [k, S.str()]), ['enhanced_evidence', S.any()]]);

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/disputes/:id',
    handler: (req) => render(req.engine, mustGet(req, 'dispute', req.params['id'], 'dispute'), validate(req.body, {}).expand),
  },
  {
    method: 'GET',
    path: '/v1/disputes',
    handler: (req) => {
      const p = validate<{ charge?: string; payment_intent?: string } & Record<string, unknown>>(req.body, { ...LIST_PARAMS, charge: S.str(), payment_intent: S.str() });
      const items = req.engine.store.list('dispute', req.account, (d) =>
        (p.charge === undefined || d.charge === p.charge) && (p.payment_intent === undefined || d.payment_intent === p.payment_intent),
      );
      return listResponse(req.engine, items, p, '/v1/disputes', 'dispute');
    },
  },
  {
    method: 'POST',
    path: '/v1/disputes/:id',
    handler: (req) => {
      const dispute = mustGet(req, 'dispute', req.params['id'], 'dispute');
      const p = validate<{ evidence?: Record<string, string>; metadata?: Record<string, string> | ''; submit?: boolean }>(req.body, {
        evidence: S.obj(EVIDENCE_SPEC),
        metadata: S.meta(),
        submit: S.bool(),
      });
      const { engine } = req;
      if (p.evidence && isClosed(dispute)) {
        throw invalidRequest(`This dispute is already closed (status: ${dispute.status}).`, undefined, 'dispute_already_closed');
      }
      const submit = p.evidence !== undefined && p.submit !== false;
      update(engine, 'dispute', dispute.id, (d) => {
        if (p.metadata !== undefined) d.metadata = mergeMetadata(d.metadata, p.metadata);
        if (p.evidence) {
          const ev = d.evidence as unknown as Record<string, unknown>;
          for (const [k, v] of Object.entries(p.evidence)) if (k !== 'enhanced_evidence') ev[k] = v === '' ? null : v;
          d.evidence_details.has_evidence = true;
        }
        if (submit) {
          d.evidence_details.submission_count += 1;
          d.status = d.status === 'warning_needs_response' ? 'warning_under_review' : 'under_review';
        }
      }, 'charge.dispute.updated');
      if (submit) {
        const text = `${p.evidence?.['uncategorized_text'] ?? ''}`;
        if (text.includes('winning_evidence')) closeDispute(engine, dispute, true);
        else if (text.includes('losing_evidence')) closeDispute(engine, dispute, false);
      }
      return render(engine, dispute, (p as { expand?: string[] }).expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/disputes/:id/close',
    handler: (req) => {
      const dispute = mustGet(req, 'dispute', req.params['id'], 'dispute');
      const p = validate(req.body, {});
      if (isClosed(dispute)) {
        throw invalidRequest(`This dispute is already closed (status: ${dispute.status}).`, undefined, 'dispute_already_closed');
      }
      closeDispute(req.engine, dispute, false);
      return render(req.engine, dispute, p.expand);
    },
  },
];
