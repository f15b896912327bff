import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startStripeStory, type Patron, type StripeStory } from '#tests/stripe.ts';

/**
 * Property: whatever a patron does (renewals, tier changes, cancelling, a card that stops working
 * and its replacement), delivering Stripe's webhooks with duplicates, concurrent copies and in
 * shuffled order — and then every event again, late, shuffled and concurrently — leaves the
 * pledge, its invoices, the ledger and the emails exactly as delivering each event once, in order.
 */

let story: StripeStory;
let processStripeEvent: typeof import('#app/modules/payments/process-event.server.ts').processStripeEvent;
let project: Awaited<ReturnType<StripeStory['project']>>;
beforeAll(async () => {
  story = await startStripeStory();
  ({ processStripeEvent } = await import('#app/modules/payments/process-event.server.ts'));
  const maker = await story.maker();
  project = await story.project(maker, [
    { name: 'Bronze', monthlyAmount: 300 },
    { name: 'Gold', monthlyAmount: 1000 },
  ]);
});
afterAll(async () => {
  await story?.close();
});

const ACTIONS = ['renew', 'upgrade', 'downgrade', 'cancel', 'resume', 'failCard', 'fixCard'] as const;
type Action = (typeof ACTIONS)[number];

async function perform(pat: Patron, pledgeId: string, action: Action): Promise<string> {
  const [bronze, gold] = project.tiers;
  switch (action) {
    case 'renew': {
      const { stripe_subscription_id } = await story.pledgeRow(pledgeId);
      const sub = await story.stripe.subscriptions.retrieve(stripe_subscription_id as string);
      if (sub.status === 'canceled') return 'ended';
      await story.advanceClock(pat.clockId!, sub.items.data[0]!.current_period_end + 2 * 3600);
      return 'renewed';
    }
    case 'upgrade':
    case 'downgrade': {
      const result = await story.manage(pat, pledgeId, { intent: 'change-tier', tierId: (action === 'upgrade' ? gold : bronze)!.id });
      await story.settle();
      return String(result.status);
    }
    case 'cancel':
    case 'resume': {
      const result = await story.manage(pat, pledgeId, { intent: action });
      await story.settle();
      return String(result.status);
    }
    case 'failCard':
      if ((await story.pledgeRow(pledgeId)).status === 'ended') return 'ended';
      await story.useFailingCard(pat, pledgeId);
      return 'card fails';
    case 'fixCard':
      await story.updateCardInPortal(pat);
      return 'card fixed';
  }
}

/** Everything observable about one pledge, without ids or absolute times (two patrons are compared). */
async function observe(pledgeId: string) {
  const pledge = await story.pledgeRow(pledgeId);
  const tiers = new Map(project.tiers.map((tier) => [tier.id, tier.name]));
  const invoices = await story.invoiceRows(pledgeId);
  const ledger = await story.db
    .selectFrom('ledger_transactions')
    .innerJoin('ledger_entries', 'ledger_entries.transaction_id', 'ledger_transactions.id')
    .innerJoin('ledger_accounts', 'ledger_accounts.id', 'ledger_entries.account_id')
    .select(['ledger_transactions.kind', sql<string>`split_part(ledger_accounts.code, ':', 1)`.as('account'), sql<number>`sum(ledger_entries.amount)::int8`.as('amount'), sql<number>`count(distinct ledger_transactions.id)::int`.as('transactions')])
    .where('ledger_transactions.pledge_id', '=', pledgeId)
    .groupBy(['ledger_transactions.kind', sql`split_part(ledger_accounts.code, ':', 1)`])
    .orderBy('kind')
    .orderBy('account')
    .execute();
  const patron = await story.db.selectFrom('users').select('email').where('id', '=', pledge.patron_id).executeTakeFirstOrThrow();
  return {
    status: pledge.status,
    stripeStatus: pledge.stripe_status,
    tier: tiers.get(pledge.tier_id),
    amount: pledge.amount,
    scheduled: pledge.scheduled_tier_id ? tiers.get(pledge.scheduled_tier_id) : null,
    cancelling: pledge.cancel_at_period_end,
    invoices: invoices.map((invoice) => [invoice.billing_reason, invoice.status, invoice.amount_paid, invoice.attempt_count, invoice.stripe_fee, invoice.platform_fee, invoice.maker_net, invoice.receipt_sent_at !== null]),
    ledger,
    emails: (await story.emailsTo(patron.email)).map((email) => email.tag).sort(),
  };
}

/**
 * Every stored event of the patron's customer processed once more, in a shuffled order and a few
 * at a time: a late or repeated event (Stripe retries for days) must not move anything.
 */
async function replayShuffled(customerId: string, order: number[]): Promise<void> {
  const { rows } = await sql<{ id: string }>`
    select id from stripe_events where payload::jsonb->'data'->'object'->>'customer' = ${customerId} or object_id = ${customerId} order by id`.execute(story.db);
  const ids = rows.map((row) => row.id);
  const shuffled = ids.map((id, index) => ({ id, key: order[index % order.length]! * ids.length + index })).sort((a, b) => a.key - b.key);
  for (let i = 0; i < shuffled.length; i += 3) {
    await Promise.all(shuffled.slice(i, i + 3).map(({ id }) => processStripeEvent(story.db, id, { mode: 'replay' })));
  }
  await story.settle();
}

async function run(actions: readonly Action[], replayOrder: number[] | null) {
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.project.url, { tierId: project.tiers[0]!.id });
  const results: string[] = [];
  for (const action of actions) results.push(`${action}:${await perform(pat, pledgeId, action)}`);
  if (replayOrder) await replayShuffled(pat.customerId, replayOrder);
  return { results, state: await observe(pledgeId) };
}

test('duplicated, concurrent and shuffled webhooks end in the state of ordered, single delivery', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...ACTIONS), { minLength: 2, maxLength: 6 }),
      fc.record({ webhookDuplicates: fc.constantFrom(0.5, 1), webhookConcurrent: fc.boolean(), webhookShuffle: fc.boolean() }),
      fc.array(fc.nat(1000), { minLength: 8, maxLength: 8 }),
      async (actions, faults, replayOrder) => {
        story.sandbox.configure({ webhookDuplicates: 0, webhookConcurrent: false, webhookShuffle: false });
        const reference = await run(actions, null);
        story.sandbox.configure(faults);
        let faulty: Awaited<ReturnType<typeof run>>;
        try {
          faulty = await run(actions, replayOrder);
        } finally {
          story.sandbox.configure({ webhookDuplicates: 0, webhookConcurrent: false, webhookShuffle: false });
        }
        expect(faulty.results).toEqual(reference.results);
        expect(faulty.state).toEqual(reference.state);
        await story.expectInvariants();
      },
    ),
    { numRuns: 12, endOnFailure: true },
  );
});
