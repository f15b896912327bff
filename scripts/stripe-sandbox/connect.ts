/**
 * Connect with Express accounts: accounts, account links (hosted onboarding in
 * pages/onboarding.ts), login links, transfers (with the destination payment on the connected
 * account), transfer reversals and payouts of connected accounts (Stripe-Account).
 * Connected-account events carry `account` and go to `connect: true` endpoints.
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId, randomString } from './ids.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { emit, update } from './events.ts';
import { listResponse, mustGet, registerPresenter, render, type ApiRequest, type Route } from './api.ts';
import { LIST_PARAMS, S, mergeMetadata, newMetadata, validate, type Spec } from './params.ts';
import { availableBalance, createBalanceTransaction } from './balance.ts';
import { registerTasks } from './scheduler.ts';

const CURRENCY_BY_COUNTRY: Record<string, string> = {
  US: 'usd', GB: 'gbp', CA: 'cad', AU: 'aud', NZ: 'nzd', JP: 'jpy', CH: 'chf', SE: 'sek', NO: 'nok', DK: 'dkk', PL: 'pln', SG: 'sgd', HK: 'hkd', MX: 'mxn', BR: 'brl', IN: 'inr',
};

export const ONBOARDING_REQUIREMENTS = [
  'business_profile.mcc',
  'business_profile.url',
  'business_type',
  'external_account',
  'individual.dob.day',
  'individual.dob.month',
  'individual.dob.year',
  'individual.first_name',
  'individual.last_name',
  'individual.phone',
  'individual.ssn_last_4',
  'tos_acceptance.date',
  'tos_acceptance.ip',
];

function requirements(due: string[]): Stripe.Account.Requirements {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: [...due],
    disabled_reason: due.length ? 'requirements.past_due' : null,
    errors: [],
    eventually_due: [...due],
    past_due: [...due],
    pending_verification: [],
  } as Stripe.Account.Requirements;
}

function buildAccount(engine: Engine, input: {
  id?: string;
  type: Stripe.Account.Type;
  country: string;
  email: string | null;
  metadata: Record<string, string>;
  capabilities: string[];
  businessType: Stripe.Account.BusinessType | null;
  businessProfile?: { url?: string; name?: string; product_description?: string; mcc?: string; support_email?: string };
  defaultCurrency?: string;
  onboarded: boolean;
}): Stripe.Account {
  const id = input.id ?? newId('acct');
  const caps: Record<string, string> = {};
  for (const c of input.capabilities) caps[c] = input.onboarded ? 'active' : 'inactive';
  const bp = input.businessProfile ?? {};
  return {
    id,
    object: 'account',
    business_profile: {
      annual_revenue: null,
      estimated_worker_count: null,
      mcc: bp.mcc ?? null,
      minority_owned_business_designation: null,
      name: bp.name ?? null,
      product_description: bp.product_description ?? null,
      support_address: null,
      support_email: bp.support_email ?? null,
      support_phone: null,
      support_url: null,
      url: bp.url ?? null,
    },
    business_type: input.businessType,
    capabilities: caps as Stripe.Account.Capabilities,
    charges_enabled: input.onboarded,
    controller: input.type === 'express'
      ? { fees: { payer: 'application' }, is_controller: true, losses: { payments: 'application' }, requirement_collection: 'stripe', stripe_dashboard: { type: 'express' }, type: 'application' }
      : { type: 'account' },
    country: input.country,
    created: engine.now(),
    default_currency: input.defaultCurrency ?? CURRENCY_BY_COUNTRY[input.country] ?? 'eur',
    details_submitted: input.onboarded,
    email: input.email,
    external_accounts: { object: 'list', data: [], has_more: false, url: `/v1/accounts/${id}/external_accounts` },
    future_requirements: requirements([]) as unknown as Stripe.Account.FutureRequirements,
    metadata: input.metadata,
    payouts_enabled: input.onboarded,
    requirements: requirements(input.onboarded ? [] : ONBOARDING_REQUIREMENTS),
    settings: {
      bacs_debit_payments: { display_name: null, service_user_number: null },
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_issuing: { tos_acceptance: { date: null, ip: null } },
      card_payments: { decline_on: { avs_failure: false, cvc_failure: false }, statement_descriptor_prefix: null, statement_descriptor_prefix_kana: null, statement_descriptor_prefix_kanji: null },
      dashboard: { display_name: bp.name ?? null, timezone: 'Etc/UTC' },
      invoices: { default_account_tax_ids: null, hosted_payment_method_save: 'offer' },
      payments: { statement_descriptor: null, statement_descriptor_kana: null, statement_descriptor_kanji: null },
      payouts: { debit_negative_balances: true, schedule: { delay_days: 2, interval: 'daily' }, statement_descriptor: null },
      sepa_debit_payments: {},
    } as unknown as Stripe.Account.Settings,
    tos_acceptance: { date: null, ip: null, user_agent: null },
    type: input.type,
  } as unknown as Stripe.Account;
}

/** The platform's own account (GET /v1/account without Stripe-Account). */
function platformAccount(engine: Engine): Stripe.Account {
  const internal = engine.store.internal as unknown as Record<string, unknown>;
  internal['platformAccountId'] ??= `acct_${randomString(16)}`;
  return buildAccount(engine, {
    id: internal['platformAccountId'] as string,
    type: 'standard',
    country: 'US',
    email: 'platform@makerfund.test',
    metadata: {},
    capabilities: ['card_payments', 'transfers'],
    businessType: 'company',
    businessProfile: { name: 'Makerfund', url: 'https://makerfund.test' },
    onboarded: true,
  });
}

/** Marks an Express account onboarded (hosted onboarding form) and emits account.updated. */
export function completeOnboarding(
  engine: Engine,
  account: Stripe.Account,
  form: { website?: string; accountNumber?: string; routingNumber?: string; firstName?: string; lastName?: string },
): void {
  const now = engine.now();
  const bankId = engine.store.internal.bankAccounts[account.id] ?? newId('ba');
  engine.store.internal.bankAccounts[account.id] = bankId;
  const last4 = (form.accountNumber ?? '000123456789').replace(/\D/g, '').slice(-4).padStart(4, '0');
  const previous = update(engine, 'account', account.id, (a) => {
    a.details_submitted = true;
    a.charges_enabled = true;
    a.payouts_enabled = true;
    const caps = (a.capabilities ?? {}) as Record<string, string>;
    if (Object.keys(caps).length === 0) caps['transfers'] = 'active';
    for (const k of Object.keys(caps)) caps[k] = 'active';
    a.capabilities = caps as Stripe.Account.Capabilities;
    a.requirements = requirements([]);
    a.business_type = a.business_type ?? 'individual';
    if (a.business_profile) {
      a.business_profile.url = form.website || a.business_profile.url || null;
      a.business_profile.mcc = a.business_profile.mcc ?? '5734';
    }
    a.tos_acceptance = { date: now, ip: '127.0.0.1', user_agent: 'Stripe sandbox onboarding' };
    a.external_accounts = {
      object: 'list',
      has_more: false,
      url: `/v1/accounts/${a.id}/external_accounts`,
      data: [
        {
          id: bankId,
          object: 'bank_account',
          account: a.id,
          account_holder_name: [form.firstName, form.lastName].filter(Boolean).join(' ') || null,
          account_holder_type: 'individual',
          account_type: null,
          available_payout_methods: ['standard'],
          bank_name: 'STRIPE TEST BANK',
          country: a.country ?? 'US',
          currency: a.default_currency ?? 'usd',
          default_for_currency: true,
          fingerprint: randomString(16),
          future_requirements: { currently_due: [], errors: [], past_due: [], pending_verification: [] },
          last4,
          metadata: {},
          requirements: { currently_due: [], errors: [], past_due: [], pending_verification: [] },
          routing_number: form.routingNumber || '110000000',
          status: 'new',
        } as unknown as Stripe.BankAccount,
      ],
    } as Stripe.ApiList<Stripe.BankAccount | Stripe.Card>;
  }, null);
  emit(engine, 'account.updated', account, { previous, account: account.id });
}

// ---------------------------------------------------------------------------------------------
// Transfers

registerPresenter('transfer', (engine, obj) => {
  const id = obj['id'] as string;
  const reversals = engine.store.list('transfer_reversal', engine.store.accountOf(id), (r) => r.transfer === id);
  obj['reversals'] = { object: 'list', data: reversals.map((r) => structuredClone(r)), has_more: false, url: `/v1/transfers/${id}/reversals` };
});

/** The payment (`py_…`) a transfer creates on the destination account. */
function destinationPayment(engine: Engine, transfer: Stripe.Transfer, account: string): Stripe.Charge {
  const id = newId('py');
  const txn = createBalanceTransaction(engine, {
    amount: transfer.amount,
    currency: transfer.currency,
    type: 'payment',
    reporting_category: 'charge',
    source: id,
    description: null,
    account,
    availableAfter: 'now',
  });
  const payment = {
    id,
    object: 'charge',
    amount: transfer.amount,
    amount_captured: transfer.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: txn.id,
    billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: null,
    captured: true,
    created: transfer.created,
    currency: transfer.currency,
    customer: null,
    description: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: null,
    paid: true,
    payment_intent: null,
    payment_method: null,
    payment_method_details: { stripe_account: {}, type: 'stripe_account' },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: transfer.id,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: transfer.transfer_group,
  } as unknown as Stripe.Charge;
  engine.store.insert('charge', payment, { account });
  return payment;
}

const INSUFFICIENT =
  'You have insufficient funds in your Stripe account for this transfer. Your card balance is too low. You can use the /v1/balance endpoint to view your Stripe balance (for more details, see stripe.com/docs/api#balance).';

function createTransfer(req: ApiRequest): Stripe.Transfer {
  const p = validate<{ amount: number; currency: string; destination: string; metadata?: Record<string, string>; transfer_group?: string; source_transaction?: string; description?: string; expand?: string[] }>(req.body, {
    amount: S.req(S.int({ min: 1 })),
    currency: S.req(S.str()),
    destination: S.req(S.str()),
    metadata: S.meta(),
    transfer_group: S.str(),
    source_transaction: S.str(),
    description: S.str(),
    source_type: S.oneOf('bank_account', 'card', 'fpx'),
  });
  const { engine } = req;
  const currency = p.currency.toLowerCase();
  const account = engine.store.get('account', p.destination);
  if (!account) throw noSuch('destination', p.destination, 'destination');
  if ((account.capabilities as Record<string, string> | undefined)?.['transfers'] !== 'active') {
    throw invalidRequest(
      'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
      'destination',
      'insufficient_capabilities_for_transfer',
    );
  }
  if (p.source_transaction) {
    const charge = engine.store.scoped('charge', p.source_transaction, req.account);
    if (!charge || charge.status !== 'succeeded') throw noSuch('charge', p.source_transaction, 'source_transaction');
    if (p.amount > charge.amount_captured - charge.amount_refunded) {
      throw invalidRequest(`The transfer amount (${p.amount}) exceeds the source transaction's remaining amount.`, 'amount', 'amount_too_large');
    }
  } else if (engine.switches.enforceBalance && p.amount > availableBalance(engine, req.account, currency)) {
    throw invalidRequest(INSUFFICIENT, undefined, 'balance_insufficient');
  }
  const id = newId('tr');
  const txn = createBalanceTransaction(engine, {
    amount: -p.amount,
    currency,
    type: 'transfer',
    reporting_category: 'transfer',
    source: id,
    description: p.description ?? null,
    account: req.account,
    availableAfter: 'now',
  });
  const transfer: Stripe.Transfer = {
    id,
    object: 'transfer',
    amount: p.amount,
    amount_reversed: 0,
    balance_transaction: txn.id,
    created: engine.now(),
    currency,
    description: p.description ?? null,
    destination: account.id,
    livemode: false,
    metadata: newMetadata(p.metadata),
    reversals: { object: 'list', data: [], has_more: false, url: `/v1/transfers/${id}/reversals` },
    reversed: false,
    source_transaction: p.source_transaction ?? null,
    source_type: 'card',
    transfer_group: p.transfer_group ?? null,
  };
  engine.store.insert('transfer', transfer, { account: req.account });
  transfer.destination_payment = destinationPayment(engine, transfer, account.id).id;
  emit(engine, 'transfer.created', transfer);
  return transfer;
}

function createReversal(req: ApiRequest, transfer: Stripe.Transfer): Stripe.TransferReversal {
  const p = validate<{ amount?: number; metadata?: Record<string, string>; description?: string }>(req.body, {
    amount: S.int({ min: 1 }),
    metadata: S.meta(),
    description: S.str(),
    refund_application_fee: S.bool(),
  });
  const { engine } = req;
  const remaining = transfer.amount - transfer.amount_reversed;
  if (remaining <= 0) throw invalidRequest(`Transfer ${transfer.id} has already been fully reversed.`, undefined, 'transfer_already_reversed' as string);
  const amount = p.amount ?? remaining;
  if (amount > remaining) {
    throw invalidRequest(`Reversal amount (${amount}) is greater than the amount remaining on the transfer (${remaining}).`, 'amount', 'amount_too_large');
  }
  const id = newId('trr');
  const txn = createBalanceTransaction(engine, {
    amount,
    currency: transfer.currency,
    type: 'transfer_refund',
    reporting_category: 'transfer_reversal',
    source: id,
    description: null,
    account: req.account,
    availableAfter: 'now',
  });
  const destinationAccount = transfer.destination as string;
  const refundId = newId('pyr');
  createBalanceTransaction(engine, {
    amount: -amount,
    currency: transfer.currency,
    type: 'payment_refund',
    reporting_category: 'refund',
    source: refundId,
    description: null,
    account: destinationAccount,
    availableAfter: 'now',
  });
  const reversal: Stripe.TransferReversal = {
    id,
    object: 'transfer_reversal',
    amount,
    balance_transaction: txn.id,
    created: engine.now(),
    currency: transfer.currency,
    destination_payment_refund: refundId,
    metadata: newMetadata(p.metadata),
    source_refund: null,
    transfer: transfer.id,
  };
  engine.store.insert('transfer_reversal', reversal, { account: req.account });
  const previous = update(engine, 'transfer', transfer.id, (t) => {
    t.amount_reversed += amount;
    t.reversed = t.amount_reversed >= t.amount;
  }, null);
  emit(engine, 'transfer.reversed', transfer, { previous });
  return reversal;
}

// ---------------------------------------------------------------------------------------------
// Payouts

function payoutDestination(engine: Engine, account: string | null): string {
  const key = account ?? 'platform';
  engine.store.internal.bankAccounts[key] ??= newId('ba');
  return engine.store.internal.bankAccounts[key];
}

function settlePayout(engine: Engine, payout: Stripe.Payout): void {
  if (payout.status !== 'pending' && payout.status !== 'in_transit') return;
  if (engine.switches.payoutFailure) {
    const account = engine.store.accountOf(payout.id);
    const txn = createBalanceTransaction(engine, {
      amount: payout.amount,
      currency: payout.currency,
      type: 'payout_failure',
      reporting_category: 'payout_reversal',
      source: payout.id,
      description: 'Payout failure',
      account,
      availableAfter: 'now',
    });
    const previous = update(engine, 'payout', payout.id, (p) => {
      p.status = 'failed';
      p.failure_code = 'account_closed';
      p.failure_message = 'The bank account has been closed.';
      p.failure_balance_transaction = txn.id;
    }, null);
    emit(engine, 'payout.updated', payout, { previous });
    emit(engine, 'payout.failed', payout, { previous });
    return;
  }
  const previous = update(engine, 'payout', payout.id, (p) => {
    p.status = 'paid';
    p.reconciliation_status = 'completed';
    p.trace_id = { status: 'supported', value: String(Math.floor(1e14 + Math.random() * 9e14)) };
  }, null);
  emit(engine, 'payout.updated', payout, { previous });
  emit(engine, 'payout.paid', payout, { previous });
}

// Payouts are on no test clock: they settle in real time.
registerTasks('payout', (engine, payout) =>
  payout.status === 'pending' || payout.status === 'in_transit' ? [{ at: payout.arrival_date, label: `payout:${payout.id}`, run: () => settlePayout(engine, payout) }] : [],
);

function createPayout(req: ApiRequest): Stripe.Payout {
  const p = validate<{ amount: number; currency: string; metadata?: Record<string, string>; description?: string; method?: string; statement_descriptor?: string; expand?: string[] }>(req.body, {
    amount: S.req(S.int({ min: 1 })),
    currency: S.req(S.str()),
    metadata: S.meta(),
    description: S.str(),
    method: S.oneOf('instant', 'standard'),
    destination: S.str(),
    statement_descriptor: S.str({ max: 22 }),
    source_type: S.oneOf('bank_account', 'card', 'fpx'),
    payout_method: S.str(),
  });
  const { engine } = req;
  const currency = p.currency.toLowerCase();
  if (req.account) {
    const account = engine.store.get('account', req.account);
    if (account && !account.payouts_enabled) {
      throw invalidRequest('Payouts are not enabled for this account. Finish onboarding first.', undefined, 'payouts_not_allowed');
    }
  }
  if (p.amount > availableBalance(engine, req.account, currency)) {
    throw invalidRequest(INSUFFICIENT, undefined, 'balance_insufficient');
  }
  const id = newId('po');
  const txn = createBalanceTransaction(engine, {
    amount: -p.amount,
    currency,
    type: 'payout',
    reporting_category: 'payout',
    source: id,
    description: p.description ?? 'STRIPE PAYOUT',
    account: req.account,
    availableAfter: 'now',
  });
  const now = engine.now();
  const payout: Stripe.Payout = {
    id,
    object: 'payout',
    amount: p.amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: now,
    automatic: false,
    balance_transaction: txn.id,
    created: now,
    currency,
    description: p.description ?? 'STRIPE PAYOUT',
    destination: payoutDestination(engine, req.account),
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: newMetadata(p.metadata),
    method: (p.method as Stripe.Payout['method'] | undefined) ?? 'standard',
    original_payout: null,
    payout_method: null,
    reconciliation_status: 'not_applicable',
    reversed_by: null,
    source_type: 'card',
    statement_descriptor: p.statement_descriptor ?? null,
    status: 'pending',
    trace_id: { status: 'pending', value: null },
    type: 'bank_account',
  };
  engine.store.insert('payout', payout, { account: req.account });
  emit(engine, 'payout.created', payout);
  return payout;
}

// ---------------------------------------------------------------------------------------------
// API

const ACCOUNT_FIELDS: Record<string, Spec> = {
  type: S.oneOf('custom', 'express', 'standard'),
  country: S.str(),
  email: S.str(),
  metadata: S.meta(),
  capabilities: S.obj({}, { open: true }),
  business_type: S.oneOf('company', 'government_entity', 'individual', 'non_profit'),
  business_profile: S.obj({ url: S.str(), name: S.str(), product_description: S.str(), mcc: S.str(), support_email: S.str(), support_phone: S.str(), support_url: S.str(), support_address: S.any(), annual_revenue: S.any(), estimated_worker_count: S.any(), minority_owned_business_designation: S.any() }),
  default_currency: S.str(),
  controller: S.any(),
  settings: S.any(),
  tos_acceptance: S.any(),
  individual: S.any(),
  company: S.any(),
  external_account: S.any(),
  documents: S.any(),
  groups: S.any(),
  account_token: S.str(),
};

function capabilitiesRequested(input: unknown): string[] {
  if (!input || typeof input !== 'object') return [];
  return Object.entries(input as Record<string, { requested?: string }>)
    .filter(([, v]) => v && typeof v === 'object' && v.requested === 'true')
    .map(([k]) => k);
}

type AccountParams = {
  type?: Stripe.Account.Type;
  country?: string;
  email?: string;
  metadata?: Record<string, string> | '';
  capabilities?: Record<string, { requested?: string }>;
  business_type?: Stripe.Account.BusinessType;
  business_profile?: { url?: string; name?: string; product_description?: string; mcc?: string; support_email?: string };
  default_currency?: string;
  expand?: string[];
};

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/accounts',
    handler: (req) => {
      const p = validate<AccountParams>(req.body, ACCOUNT_FIELDS);
      const { engine } = req;
      if (req.account) throw invalidRequest('Connected accounts cannot create other accounts.', undefined, 'platform_account_required');
      const account = buildAccount(engine, {
        type: p.type ?? 'express',
        country: (p.country ?? 'US').toUpperCase(),
        email: p.email ?? null,
        metadata: newMetadata(p.metadata),
        capabilities: capabilitiesRequested(p.capabilities),
        businessType: p.business_type ?? null,
        businessProfile: p.business_profile,
        defaultCurrency: p.default_currency?.toLowerCase(),
        onboarded: false,
      });
      engine.store.insert('account', account);
      return render(engine, account, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/account',
    handler: (req) => {
      const p = validate(req.body, {});
      if (req.account) return render(req.engine, req.engine.store.get('account', req.account), p.expand);
      return platformAccount(req.engine);
    },
  },
  {
    method: 'GET',
    path: '/v1/accounts/:id',
    handler: (req) => {
      const p = validate(req.body, {});
      const id = req.params['id'] ?? '';
      if (req.engine.store.internal.deleted[id] === 'account') return { id, object: 'account', deleted: true };
      const account = req.engine.store.get('account', id);
      if (!account || (req.account && req.account !== id)) throw noSuch('account', id, 'account', 404);
      return render(req.engine, account, p.expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/accounts/:id',
    handler: (req) => {
      const account = req.engine.store.get('account', req.params['id']);
      if (!account) throw noSuch('account', req.params['id'] ?? '', 'account', 404);
      const p = validate<AccountParams>(req.body, { ...ACCOUNT_FIELDS, type: undefined as never, country: undefined as never });
      const previous = update(req.engine, 'account', account.id, (a) => {
        if (p.email !== undefined) a.email = p.email || null;
        if (p.metadata !== undefined) a.metadata = mergeMetadata(a.metadata ?? {}, p.metadata);
        if (p.business_type !== undefined) a.business_type = p.business_type;
        if (p.business_profile && a.business_profile) Object.assign(a.business_profile, p.business_profile);
        if (p.default_currency) a.default_currency = p.default_currency.toLowerCase();
        for (const cap of capabilitiesRequested(p.capabilities)) {
          const caps = (a.capabilities ?? {}) as Record<string, string>;
          caps[cap] ??= a.details_submitted ? 'active' : 'inactive';
          a.capabilities = caps as Stripe.Account.Capabilities;
        }
      }, null);
      if (Object.keys(previous).length > 0) emit(req.engine, 'account.updated', account, { previous, account: account.id });
      return render(req.engine, account, p.expand);
    },
  },
  {
    method: 'DELETE',
    path: '/v1/accounts/:id',
    handler: (req) => {
      const account = req.engine.store.get('account', req.params['id']);
      if (!account) throw noSuch('account', req.params['id'] ?? '', 'account', 404);
      req.engine.store.remove('account', account.id);
      req.engine.store.internal.deleted[account.id] = 'account';
      return { id: account.id, object: 'account', deleted: true };
    },
  },
  {
    method: 'GET',
    path: '/v1/accounts',
    handler: (req) => {
      const p = validate(req.body, LIST_PARAMS);
      return listResponse(req.engine, req.engine.store.list('account', null), p, '/v1/accounts', 'account');
    },
  },
  {
    method: 'POST',
    path: '/v1/accounts/:id/login_links',
    handler: (req) => {
      const account = req.engine.store.get('account', req.params['id']);
      if (!account) throw noSuch('account', req.params['id'] ?? '', 'account', 404);
      validate(req.body, {});
      if (!account.details_submitted) {
        throw invalidRequest('Cannot create a login link for an account that has not completed onboarding.', 'account');
      }
      return { object: 'login_link', created: req.engine.now(), url: `${req.engine.baseUrl}/connect/dashboard/${account.id}` };
    },
  },
  {
    method: 'POST',
    path: '/v1/account_links',
    handler: (req) => {
      const p = validate<{ account: string; type: string; refresh_url: string; return_url: string }>(req.body, {
        account: S.req(S.str()),
        type: S.req(S.oneOf('account_onboarding', 'account_update')),
        refresh_url: S.req(S.str({ max: 5000 })),
        return_url: S.req(S.str({ max: 5000 })),
        collect: S.oneOf('currently_due', 'eventually_due'),
        collection_options: S.any(),
      });
      const account = req.engine.store.get('account', p.account);
      if (!account) throw noSuch('account', p.account, 'account');
      const created = req.engine.now();
      const token = randomString(32);
      req.engine.store.internal.accountLinks[token] = {
        token,
        account: account.id,
        refresh_url: p.refresh_url,
        return_url: p.return_url,
        type: p.type,
        expires_at: created + 300,
        used: false,
      };
      const link: Stripe.AccountLink = { object: 'account_link', created, expires_at: created + 300, url: `${req.engine.baseUrl}/connect/onboarding/${token}` };
      return link;
    },
  },
  { method: 'POST', path: '/v1/transfers', handler: (req) => render(req.engine, createTransfer(req), (validate(req.body, { amount: S.any(), currency: S.any(), destination: S.any(), metadata: S.any(), transfer_group: S.any(), source_transaction: S.any(), description: S.any(), source_type: S.any() }) as { expand?: string[] }).expand) },
  {
    method: 'GET',
    path: '/v1/transfers/:id',
    handler: (req) => render(req.engine, mustGet(req, 'transfer', req.params['id']), validate(req.body, {}).expand),
  },
  {
    method: 'POST',
    path: '/v1/transfers/:id',
    handler: (req) => {
      const transfer = mustGet(req, 'transfer', req.params['id']);
      const p = validate<{ metadata?: Record<string, string> | ''; description?: string; expand?: string[] }>(req.body, { metadata: S.meta(), description: S.str() });
      update(req.engine, 'transfer', transfer.id, (t) => {
        if (p.metadata !== undefined) t.metadata = mergeMetadata(t.metadata, p.metadata);
        if (p.description !== undefined) t.description = p.description || null;
      });
      return render(req.engine, transfer, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/transfers',
    handler: (req) => {
      const p = validate<{ destination?: string; transfer_group?: string } & Record<string, unknown>>(req.body, { ...LIST_PARAMS, destination: S.str(), transfer_group: S.str() });
      const items = req.engine.store.list('transfer', req.account, (t) =>
        (p.destination === undefined || t.destination === p.destination) && (p.transfer_group === undefined || t.transfer_group === p.transfer_group),
      );
      return listResponse(req.engine, items, p, '/v1/transfers', 'transfer');
    },
  },
  {
    method: 'POST',
    path: '/v1/transfers/:id/reversals',
    handler: (req) => {
      const transfer = mustGet(req, 'transfer', req.params['id']);
      return render(req.engine, createReversal(req, transfer));
    },
  },
  {
    method: 'GET',
    path: '/v1/transfers/:id/reversals',
    handler: (req) => {
      const transfer = mustGet(req, 'transfer', req.params['id']);
      const p = validate(req.body, LIST_PARAMS);
      const items = req.engine.store.list('transfer_reversal', req.account, (r) => r.transfer === transfer.id);
      return listResponse(req.engine, items, p, `/v1/transfers/${transfer.id}/reversals`, 'transfer reversal');
    },
  },
  {
    method: 'GET',
    path: '/v1/transfers/:id/reversals/:rev',
    handler: (req) => {
      const transfer = mustGet(req, 'transfer', req.params['id']);
      const reversal = req.engine.store.scoped('transfer_reversal', req.params['rev'], req.account);
      if (!reversal || reversal.transfer !== transfer.id) throw noSuch('transfer reversal', req.params['rev'] ?? '', 'id', 404);
      return render(req.engine, reversal, validate(req.body, {}).expand);
    },
  },
  {
    method: 'POST',
    path: '/v1/transfers/:id/reversals/:rev',
    handler: (req) => {
      const transfer = mustGet(req, 'transfer', req.params['id']);
      const reversal = req.engine.store.scoped('transfer_reversal', req.params['rev'], req.account);
      if (!reversal || reversal.transfer !== transfer.id) throw noSuch('transfer reversal', req.params['rev'] ?? '', 'id', 404);
      const p = validate<{ metadata?: Record<string, string> | '' }>(req.body, { metadata: S.meta() });
      if (p.metadata !== undefined) reversal.metadata = mergeMetadata(reversal.metadata, p.metadata);
      return render(req.engine, reversal);
    },
  },
  { method: 'POST', path: '/v1/payouts', handler: (req) => render(req.engine, createPayout(req)) },
  {
    method: 'GET',
    path: '/v1/payouts/:id',
    handler: (req) => render(req.engine, mustGet(req, 'payout', req.params['id'], 'payout'), validate(req.body, {}).expand),
  },
  {
    method: 'POST',
    path: '/v1/payouts/:id',
    handler: (req) => {
      const payout = mustGet(req, 'payout', req.params['id'], 'payout');
      const p = validate<{ metadata?: Record<string, string> | '' }>(req.body, { metadata: S.meta() });
      update(req.engine, 'payout', payout.id, (x) => {
        if (p.metadata !== undefined) x.metadata = mergeMetadata(x.metadata ?? {}, p.metadata);
      });
      return render(req.engine, payout);
    },
  },
  {
    method: 'POST',
    path: '/v1/payouts/:id/cancel',
    handler: (req) => {
      const payout = mustGet(req, 'payout', req.params['id'], 'payout');
      validate(req.body, {});
      if (payout.status !== 'pending') {
        throw invalidRequest(`Payouts can only be canceled while they are pending. This payout is ${payout.status}.`, undefined, 'payout_not_cancelable' as string);
      }
      createBalanceTransaction(req.engine, { amount: payout.amount, currency: payout.currency, type: 'payout_cancel', reporting_category: 'payout_reversal', source: payout.id, description: 'Payout cancellation', account: req.account, availableAfter: 'now' });
      const previous = update(req.engine, 'payout', payout.id, (x) => {
        x.status = 'canceled';
      }, null);
      emit(req.engine, 'payout.canceled', payout, { previous });
      return render(req.engine, payout);
    },
  },
  {
    method: 'GET',
    path: '/v1/payouts',
    handler: (req) => {
      const p = validate<{ status?: string } & Record<string, unknown>>(req.body, { ...LIST_PARAMS, status: S.str(), arrival_date: S.range(), destination: S.str() });
      const items = req.engine.store.list('payout', req.account, (x) => p.status === undefined || x.status === p.status);
      return listResponse(req.engine, items, p, '/v1/payouts', 'payout');
    },
  },
];
