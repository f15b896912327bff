import { afterAll, beforeAll, expect, test } from 'vitest';
import { pageText, startStripeStory, type StripeStory } from '#tests/stripe.ts';

let story: StripeStory;
beforeAll(async () => {
  story = await startStripeStory();
});
afterAll(async () => {
  await story?.close();
});

const HOUR = 3600;
const DAY = 24 * HOUR;
const seconds = (date: Date | null) => Math.floor((date as Date).getTime() / 1000);
const day = (date: Date | null) => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date as Date);

async function setup(tiers = [{ name: 'Bronze', monthlyAmount: 300 }, { name: 'Gold', monthlyAmount: 1000 }]) {
  const maker = await story.maker();
  const made = await story.project(maker, tiers);
  const pat = await story.patron();
  return { maker, ...made, pat };
}

test('upgrade mid-period: the difference is invoiced and charged now, the ledger posts it, the next renewal bills the new price', async () => {
  const { maker, project, tiers, pat } = await setup();
  const [bronze, gold] = tiers as [(typeof tiers)[0], (typeof tiers)[0]];
  const pledgeId = await story.pledge(pat, project.url, { tierId: bronze.id });
  const start = await story.pledgeRow(pledgeId);
  await story.advanceClock(pat.clockId!, seconds(start.current_period_start) + 15 * DAY);

  const result = await story.manage(pat, pledgeId, { intent: 'change-tier', tierId: gold.id });
  expect(result.status).toBe(200);
  expect(result.text).toContain("You're now on Gold. The difference for this period has been charged.");
  await story.settle();

  const upgraded = await story.pledgeRow(pledgeId);
  expect(upgraded).toMatchObject({ status: 'active', tier_id: gold.id, amount: 1000, scheduled_tier_id: null });
  expect(upgraded.current_period_end).toEqual(start.current_period_end);
  const proration = (await story.invoiceRows(pledgeId)).find((invoice) => invoice.billing_reason === 'subscription_update');
  expect(proration?.status).toBe('paid');
  // About half of the €7 difference: half the period was left.
  expect(proration!.amount_paid).toBeGreaterThan(300);
  expect(proration!.amount_paid).toBeLessThan(400);
  const stripeInvoice = await story.stripe.invoices.retrieve(proration!.stripe_invoice_id);
  expect(stripeInvoice.amount_paid).toBe(proration!.amount_paid);
  expect(proration!.stripe_fee! + proration!.platform_fee! + proration!.maker_net!).toBe(proration!.amount_paid);

  await story.advanceClock(pat.clockId!, seconds(start.current_period_end) + 2 * HOUR);
  const renewal = (await story.invoiceRows(pledgeId)).find((invoice) => invoice.billing_reason === 'subscription_cycle');
  expect(renewal).toMatchObject({ status: 'paid', amount_paid: 1000 });
  const paid = 300 + proration!.amount_paid + 1000;
  const fees = (await story.invoiceRows(pledgeId)).reduce((sum, invoice) => sum + (invoice.stripe_fee ?? 0), 0);
  const platform = (await story.invoiceRows(pledgeId)).reduce((sum, invoice) => sum + (invoice.platform_fee ?? 0), 0);
  expect(await story.balances(project.id)).toEqual({
    'stripe_balance:eur': paid - fees,
    'platform_revenue:eur': -platform,
    [`maker_payable:${maker.id}:eur`]: -(paid - fees - platform),
  });
  await story.expectInvariants();
});

test('downgrade at period end: Gold until the renewal ("Changes to Bronze on …"), then Bronze at the Bronze price', async () => {
  const { project, tiers, pat } = await setup();
  const [bronze, gold] = tiers as [(typeof tiers)[0], (typeof tiers)[0]];
  const pledgeId = await story.pledge(pat, project.url, { tierId: gold.id });
  const start = await story.pledgeRow(pledgeId);
  await story.advanceClock(pat.clockId!, seconds(start.current_period_start) + 10 * DAY);

  const result = await story.manage(pat, pledgeId, { intent: 'change-tier', tierId: bronze.id });
  expect(result.status).toBe(200);
  expect(result.text).toContain(`Changes to Bronze on ${day(start.current_period_end)}.`);
  await story.settle();
  const scheduled = await story.pledgeRow(pledgeId);
  expect(scheduled).toMatchObject({ tier_id: gold.id, amount: 1000, scheduled_tier_id: bronze.id, scheduled_amount: 300 });
  expect(scheduled.scheduled_change_at).toEqual(start.current_period_end);
  // No money moved for a downgrade.
  expect((await story.invoiceRows(pledgeId)).map((invoice) => invoice.billing_reason)).toEqual(['subscription_create']);
  const page = await pageText(await pat.browser.get(`/patron/pledges/${pledgeId}`));
  expect(page).toContain(`Changes to Bronze (€3/month) on ${day(start.current_period_end)}`);
  expect(page).toContain('Stay on Gold');

  await story.advanceClock(pat.clockId!, seconds(start.current_period_end) + 2 * HOUR);
  const renewed = await story.pledgeRow(pledgeId);
  expect(renewed).toMatchObject({ status: 'active', tier_id: bronze.id, amount: 300, scheduled_tier_id: null, scheduled_change_at: null });
  const renewal = (await story.invoiceRows(pledgeId)).find((invoice) => invoice.billing_reason === 'subscription_cycle');
  expect(renewal).toMatchObject({ status: 'paid', amount_paid: 300 });
  await story.expectInvariants();
});

test('a scheduled downgrade can be called off before the period ends', async () => {
  const { project, tiers, pat } = await setup();
  const [bronze, gold] = tiers as [(typeof tiers)[0], (typeof tiers)[0]];
  const pledgeId = await story.pledge(pat, project.url, { tierId: gold.id });
  const start = await story.pledgeRow(pledgeId);
  expect((await story.manage(pat, pledgeId, { intent: 'change-tier', tierId: bronze.id })).status).toBe(200);
  const kept = await story.manage(pat, pledgeId, { intent: 'change-tier', tierId: gold.id });
  expect(kept.text).toContain('You stay on Gold.');
  await story.settle();
  expect(await story.pledgeRow(pledgeId)).toMatchObject({ tier_id: gold.id, amount: 1000, scheduled_tier_id: null });
  await story.advanceClock(pat.clockId!, seconds(start.current_period_end) + 2 * HOUR);
  expect(await story.pledgeRow(pledgeId)).toMatchObject({ status: 'active', tier_id: gold.id, amount: 1000 });
  const renewal = (await story.invoiceRows(pledgeId)).find((invoice) => invoice.billing_reason === 'subscription_cycle');
  expect(renewal).toMatchObject({ status: 'paid', amount_paid: 1000 });
  await story.expectInvariants();
});

test('an upgrade while a downgrade is scheduled prorates from the tier that was paid for, not the scheduled one', async () => {
  const { project, tiers, pat } = await setup([
    { name: 'Bronze', monthlyAmount: 300 },
    { name: 'Gold', monthlyAmount: 1000 },
    { name: 'Platinum', monthlyAmount: 2000 },
  ]);
  const [bronze, gold, platinum] = tiers as [(typeof tiers)[0], (typeof tiers)[0], (typeof tiers)[0]];
  const pledgeId = await story.pledge(pat, project.url, { tierId: gold.id });
  const start = await story.pledgeRow(pledgeId);
  expect((await story.manage(pat, pledgeId, { intent: 'change-tier', tierId: bronze.id })).status).toBe(200);
  await story.advanceClock(pat.clockId!, seconds(start.current_period_start) + 15 * DAY);
  const result = await story.manage(pat, pledgeId, { intent: 'change-tier', tierId: platinum.id });
  expect(result.text).toContain("You're now on Platinum.");
  await story.settle();
  expect(await story.pledgeRow(pledgeId)).toMatchObject({ tier_id: platinum.id, amount: 2000, scheduled_tier_id: null });
  const proration = (await story.invoiceRows(pledgeId)).find((invoice) => invoice.billing_reason === 'subscription_update')!;
  // Half a period of (Platinum − Gold) = about €5, not half of (Platinum − Bronze) = about €8.50.
  expect(proration.amount_paid).toBeGreaterThan(400);
  expect(proration.amount_paid).toBeLessThan(600);
  await story.expectInvariants();
});

test('cancel at period end, undo, cancel again: benefits until the end, then the pledge ends without another charge', async () => {
  const { project, tiers, pat } = await setup([{ name: 'Supporter', monthlyAmount: 500 }]);
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const start = await story.pledgeRow(pledgeId);

  const cancelled = await story.manage(pat, pledgeId, { intent: 'cancel' });
  expect(cancelled.text).toContain(`Your pledge ends on ${day(start.current_period_end)}. You keep your benefits until then.`);
  await story.settle();
  expect(await story.pledgeRow(pledgeId)).toMatchObject({ status: 'active', cancel_at_period_end: true });
  const list = await pageText(await pat.browser.get('/patron'));
  expect(list).toContain(`Cancelling — ends on ${day(start.current_period_end)}`);
  expect(list).not.toContain('Next charge');

  const resumed = await story.manage(pat, pledgeId, { intent: 'resume' });
  expect(resumed.text).toContain('Your pledge continues.');
  await story.settle();
  expect(await story.pledgeRow(pledgeId)).toMatchObject({ status: 'active', cancel_at_period_end: false });
  expect(await pageText(await pat.browser.get('/patron'))).toContain('Next charge');

  await story.manage(pat, pledgeId, { intent: 'cancel' });
  await story.advanceClock(pat.clockId!, seconds(start.current_period_end) + 2 * HOUR);
  expect(await story.pledgeRow(pledgeId)).toMatchObject({ status: 'ended', stripe_status: 'canceled' });
  expect((await story.invoiceRows(pledgeId)).map((invoice) => invoice.billing_reason)).toEqual(['subscription_create']);
  const ended = (await story.emailsTo(pat.email)).filter((email) => email.tag === 'pledge-ended');
  expect(ended).toHaveLength(1);
  expect(ended[0]!.text).toContain('as you asked');
  await story.expectInvariants();
});

test('another patron cannot see or change a pledge: 404, and nothing happens at Stripe', async () => {
  const { project, tiers, pat } = await setup([{ name: 'Supporter', monthlyAmount: 500 }]);
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const stranger = await story.patron({ clock: false });
  expect((await stranger.browser.get(`/patron/pledges/${pledgeId}`)).status).toBe(404);
  expect((await story.manage(stranger, pledgeId, { intent: 'cancel' })).status).toBe(404);
  const { stripe_subscription_id } = await story.pledgeRow(pledgeId);
  expect((await story.stripe.subscriptions.retrieve(stripe_subscription_id as string)).cancel_at_period_end).toBe(false);
  // Amounts never come from the form.
  expect((await story.manage(pat, pledgeId, { intent: 'change-tier', tierId: tiers[0]!.id, amount: '1' })).status).toBe(400);
});

test('/patron without pledges points to makers to back; without a session it asks to log in', async () => {
  const newcomer = await story.patron({ clock: false });
  const page = await pageText(await newcomer.browser.get('/patron'));
  expect(page).toContain('You are not backing anyone yet.');
  expect(page).toContain('Discover makers to back');
  const anonymous = await fetch(`${story.appUrl}/patron`, { redirect: 'manual' });
  expect(anonymous.status).toBe(302);
  expect(anonymous.headers.get('location')).toBe('/login?redirectTo=%2Fpatron');
  // Someone who never pledged has no Stripe customer: the portal says why instead of failing.
  const never = await story.maker();
  const portal = await never.browser.post('/patron/portal', {});
  expect(portal.status).toBe(400);
  expect(await pageText(portal)).toContain('saved when you make your first pledge');
});
