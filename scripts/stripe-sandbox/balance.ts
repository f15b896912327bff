/**
 * Balance transactions (fees: round(amount × feeBasisPoints / 10000) + feeFixed) and balances
 * (platform, or a connected account with Stripe-Account). Charges become available two days
 * after midnight UTC of their creation (test card 4000000000000077: at once); money moved to a
 * connected account is available at once.
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { listResponse, mustGet, registerPresenter, render, type Route } from './api.ts';
import { LIST_PARAMS, S, validate } from './params.ts';

export function stripeFee(engine: Engine, amount: number): number {
  return Math.round((amount * engine.options.feeBasisPoints) / 10000) + engine.options.feeFixed;
}

export type NewBalanceTransaction = {
  amount: number;
  currency: string;
  fee?: number;
  feeDescription?: string;
  type: Stripe.BalanceTransaction.Type;
  reporting_category: string;
  source: string | null;
  description: string | null;
  account: string | null;
  clock?: string | null;
  /** Seconds after creation the funds become available (default: 2 days after midnight UTC). */
  availableAfter?: 'standard' | 'now';
};

export function createBalanceTransaction(engine: Engine, input: NewBalanceTransaction): Stripe.BalanceTransaction {
  const clock = input.clock ?? null;
  const created = engine.now(clock);
  const fee = input.fee ?? 0;
  const availableOn = input.availableAfter === 'now' ? created : Math.floor(created / 86400) * 86400 + 2 * 86400;
  const txn: Stripe.BalanceTransaction = {
    id: newId('txn'),
    object: 'balance_transaction',
    amount: input.amount,
    available_on: availableOn,
    balance_type: 'payments',
    created,
    currency: input.currency,
    description: input.description,
    exchange_rate: null,
    fee,
    fee_details: fee
      ? [{ amount: fee, application: null, currency: input.currency, description: input.feeDescription ?? 'Stripe processing fees', type: 'stripe_fee' }]
      : [],
    net: input.amount - fee,
    reporting_category: input.reporting_category,
    source: input.source,
    status: availableOn <= created ? 'available' : 'pending',
    type: input.type,
  };
  engine.store.insert('balance_transaction', txn, { account: input.account, clock });
  return txn;
}

registerPresenter('balance_transaction', (engine, obj) => {
  const id = obj['id'] as string;
  obj['status'] = (obj['available_on'] as number) <= engine.nowOf(id) ? 'available' : 'pending';
});

export type Funds = { available: Map<string, number>; pending: Map<string, number> };

export function funds(engine: Engine, account: string | null): Funds {
  const available = new Map<string, number>();
  const pending = new Map<string, number>();
  for (const txn of engine.store.list('balance_transaction', account)) {
    const target = txn.available_on <= engine.nowOf(txn.id) ? available : pending;
    target.set(txn.currency, (target.get(txn.currency) ?? 0) + txn.net);
  }
  return { available, pending };
}

export function availableBalance(engine: Engine, account: string | null, currency: string): number {
  return funds(engine, account).available.get(currency) ?? 0;
}

export function balanceObject(engine: Engine, account: string | null): Stripe.Balance {
  const { available, pending } = funds(engine, account);
  const currencies = new Set([...available.keys(), ...pending.keys()]);
  if (currencies.size === 0) currencies.add('usd');
  const rows = (m: Map<string, number>): Stripe.Balance.Available[] =>
    [...currencies].sort().map((currency) => ({ amount: m.get(currency) ?? 0, currency, source_types: { card: m.get(currency) ?? 0 } }));
  return {
    object: 'balance',
    available: rows(available),
    connect_reserved: [...currencies].sort().map((currency) => ({ amount: 0, currency })),
    livemode: false,
    pending: rows(pending),
  };
}

function listTransactions(req: Parameters<Route['handler']>[0]): unknown {
  const p = validate<{ type?: string; source?: string; currency?: string; payout?: string } & Record<string, unknown>>(req.body, {
    ...LIST_PARAMS,
    type: S.str(),
    source: S.str(),
    currency: S.str(),
    payout: S.str(),
  });
  const items = req.engine.store.list('balance_transaction', req.account, (t) =>
    (p.type === undefined || t.type === p.type) &&
    (p.source === undefined || t.source === p.source) &&
    (p.currency === undefined || t.currency === p.currency.toLowerCase()),
  );
  return listResponse(req.engine, items, p, '/v1/balance_transactions', 'balance transaction');
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/balance',
    handler: (req) => {
      validate(req.body, {});
      return balanceObject(req.engine, req.account);
    },
  },
  { method: 'GET', path: '/v1/balance_transactions', handler: listTransactions },
  { method: 'GET', path: '/v1/balance/history', handler: listTransactions },
  {
    method: 'GET',
    path: '/v1/balance_transactions/:id',
    handler: (req) => render(req.engine, mustGet(req, 'balance_transaction', req.params['id']), validate(req.body, {}).expand),
  },
  {
    method: 'GET',
    path: '/v1/balance/history/:id',
    handler: (req) => render(req.engine, mustGet(req, 'balance_transaction', req.params['id']), validate(req.body, {}).expand),
  },
];

