import { afterAll, beforeAll, expect, test } from 'vitest';
import { CARDS, pageText, startStripeStory, type StripeStory } from '#tests/stripe.ts';

let story: StripeStory;
beforeAll(async () => {
  story = await startStripeStory();
});
afterAll(async () => {
  await story?.close();
});

test('a patron joins a tier: Checkout, Stripe confirms through webhooks, the pledge is active, receipted and in the ledger', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const supporter = tiers[0]!;
  const pat = await story.patron();

  const response = await story.join(pat, project.url, { tierId: supporter.id });
  expect(response.status).toBe(303);
  const checkoutUrl = response.headers.get('location') as string;
  expect(checkoutUrl).toContain('/checkout/cs_test_');
  const pending = await story.db.selectFrom('pledges').selectAll().where('patron_id', '=', pat.id).executeTakeFirstOrThrow();
  expect(pending).toMatchObject({ status: 'pending', tier_id: supporter.id, amount: 500, currency: 'eur', interval: 'month' });
  expect(pending.stripe_checkout_session_id).toBe(checkoutUrl.split('/checkout/')[1]);

  // Back from Checkout before Stripe has confirmed: the page waits, it does not claim success.
  const waiting = await pageText(await pat.browser.get(`${project.url}?pledge=${pending.id}`));
  expect(waiting).toContain('Confirming your pledge of €5/month');
  expect(waiting).not.toContain('thank you!');

  const done = await story.completeCheckout(checkoutUrl, CARDS.visa);
  expect(done.status).toBe(303);
  expect(done.location).toBe(`${story.appUrl}${project.url}?pledge=${pending.id}`);
  await story.settle();

  const pledge = await story.db.selectFrom('pledges').selectAll().where('id', '=', pending.id).executeTakeFirstOrThrow();
  expect(pledge).toMatchObject({ status: 'active', stripe_status: 'active', cancel_at_period_end: false, tier_id: supporter.id, amount: 500 });
  expect(pledge.stripe_subscription_id).toMatch(/^sub_/);
  expect(pledge.current_period_end!.getTime() - pledge.current_period_start!.getTime()).toBeGreaterThan(27 * 86_400_000);

  const invoices = await story.db.selectFrom('pledge_invoices').selectAll().where('pledge_id', '=', pledge.id).execute();
  expect(invoices).toHaveLength(1);
  expect(invoices[0]).toMatchObject({ status: 'paid', billing_reason: 'subscription_create', amount_paid: 500, stripe_fee: 45, platform_fee: 25, maker_net: 430 });
  expect(invoices[0]!.receipt_sent_at).not.toBeNull();

  const balances = await story.balances(project.id);
  expect(balances).toEqual({ 'stripe_balance:eur': 455, 'platform_revenue:eur': -25, [`maker_payable:${maker.id}:eur`]: -430 });

  const page = await pageText(await pat.browser.get(`${project.url}?pledge=${pledge.id}`));
  expect(page).toContain(`You're a patron of ${project.name} at €5/month — thank you!`);
  expect(page).toContain('Your first receipt is on its way.');

  const receipts = await story.emailsTo(pat.email);
  expect(receipts.map((email) => email.subject)).toEqual([`Receipt: €5 to ${project.name}`]);
  expect(receipts[0]!.text).toMatch(/Stripe's processing fee: +€0\.45/);
  expect(receipts[0]!.text).toMatch(/Makerfund's fee \(5%\): +€0\.25/);
  expect(receipts[0]!.text).toMatch(/To .+: +€4\.30/);

  const patronPage = await pageText(await pat.browser.get('/patron'));
  expect(patronPage).toContain(project.name);
  expect(patronPage).toContain('Active');
  expect(patronPage).toContain('€5/month');
  expect(patronPage).toContain('Next charge');
  expect(patronPage).toContain('€4.30');
  await story.expectInvariants();
});

test('20 patrons join a 5-place tier at once: exactly 5 go to Checkout, 15 hear the tier is full', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Sponsor', monthlyAmount: 2000, patronLimit: 5 }]);
  const sponsor = tiers[0]!;
  const patrons = await Promise.all(Array.from({ length: 20 }, () => story.patron({ clock: false })));
  const responses = await Promise.all(patrons.map((patron) => story.join(patron, project.url, { tierId: sponsor.id })));
  const statuses = responses.map((response) => response.status).sort();
  expect(statuses).toEqual([...Array(5).fill(303), ...Array(15).fill(409)]);
  for (const response of responses.filter((r) => r.status === 409)) {
    expect(await pageText(response)).toContain('This tier is full');
  }
  const held = await story.db.selectFrom('pledges').select('stripe_checkout_session_id').where('tier_id', '=', sponsor.id).where('status', '=', 'pending').execute();
  expect(held).toHaveLength(5);
  const sessions = await story.stripe.checkout.sessions.list({ limit: 100 });
  expect(sessions.data.filter((session) => session.metadata?.tier_id === sponsor.id)).toHaveLength(5);
  expect(new Set(held.map((row) => row.stripe_checkout_session_id)).size).toBe(5);
});

test('a custom amount above the tier price becomes the subscription price; below it is refused', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Friend', monthlyAmount: 500 }]);
  const friend = tiers[0]!;
  const pat = await story.patron();

  const low = await story.join(pat, project.url, { tierId: friend.id, amount: '4.99' });
  expect(low.status).toBe(400);
  expect(await pageText(low)).toContain('Friend starts at €5/month');
  const junk = await story.join(pat, project.url, { tierId: friend.id, amount: '7,50' });
  expect(junk.status).toBe(400);

  const pledgeId = await story.pledge(pat, project.url, { tierId: friend.id, amount: '7.50' });
  const pledge = await story.db.selectFrom('pledges').selectAll().where('id', '=', pledgeId).executeTakeFirstOrThrow();
  expect(pledge).toMatchObject({ status: 'active', tier_id: friend.id, amount: 750 });
  const subscription = await story.stripe.subscriptions.retrieve(pledge.stripe_subscription_id as string);
  expect(subscription.items.data[0]!.price.unit_amount).toBe(750);
  expect(subscription.metadata).toEqual({ pledge_id: pledgeId, project_id: project.id, tier_id: friend.id });
  const [invoice] = await story.db.selectFrom('pledge_invoices').selectAll().where('pledge_id', '=', pledgeId).execute();
  const bt = await story.stripe.balanceTransactions.retrieve(invoice!.stripe_balance_transaction_id as string);
  expect(invoice).toMatchObject({ amount_paid: 750, stripe_fee: bt.fee, platform_fee: 38, maker_net: 750 - bt.fee - 38 });
  const page = await pageText(await pat.browser.get(`${project.url}?pledge=${pledgeId}`));
  expect(page).toContain(`You're a patron of ${project.name} at €7.50/month — thank you!`);
  await story.expectInvariants();
});

test('what cannot be pledged is refused with a reason, and nothing is held', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Monthly only', monthlyAmount: 500 }]);
  const other = await story.project(maker, [{ name: 'Elsewhere', monthlyAmount: 500 }]);
  const pat = await story.patron({ clock: false });

  const yearly = await story.join(pat, project.url, { tierId: tiers[0]!.id, interval: 'year' });
  expect(yearly.status).toBe(400);
  expect(await pageText(yearly)).toContain('Monthly only is not offered with yearly billing');
  const foreignTier = await story.join(pat, project.url, { tierId: other.tiers[0]!.id });
  expect(foreignTier.status).toBe(400);
  const own = await story.join(maker, project.url, { tierId: tiers[0]!.id });
  expect(own.status).toBe(403);
  expect(await pageText(own)).toContain('You cannot pledge to your own project');
  const unknownKey = await pat.browser.post(`${project.url}/pledge`, { tierId: tiers[0]!.id, interval: 'month', status: 'active' });
  expect(unknownKey.status).toBe(400);
  const anonymous = await fetch(new URL(`${project.url}/pledge`, story.appUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: story.appUrl },
    body: new URLSearchParams({ tierId: tiers[0]!.id }).toString(),
    redirect: 'manual',
  });
  expect(anonymous.status).toBe(302);
  expect(anonymous.headers.get('location')).toMatch(/^\/login\?redirectTo=/);
  expect(await story.db.selectFrom('pledges').select('id').where('patron_id', 'in', [pat.id, maker.id]).execute()).toEqual([]);
});

test('when Stripe cannot start Checkout the patron is told, the pledge expires and its place is free again', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Solo', monthlyAmount: 500, patronLimit: 1 }]);
  const pat = await story.patron({ clock: false });
  story.sandbox.configure({ failureRate: 1 });
  let response: Response;
  try {
    response = await story.join(pat, project.url, { tierId: tiers[0]!.id });
  } finally {
    story.sandbox.configure({ failureRate: 0 });
  }
  expect(response.status).toBe(502);
  expect(await pageText(response)).toContain('Nothing was charged');
  const pledges = await story.db.selectFrom('pledges').select('status').where('patron_id', '=', pat.id).execute();
  expect(pledges).toEqual([{ status: 'expired' }]);
  const again = await story.join(pat, project.url, { tierId: tiers[0]!.id });
  expect(again.status).toBe(303);
});

test('an abandoned Checkout expires the pledge when Stripe says so, and frees its place', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Solo', monthlyAmount: 500, patronLimit: 1 }]);
  const pat = await story.patron({ clock: false });
  const other = await story.patron({ clock: false });
  const response = await story.join(pat, project.url, { tierId: tiers[0]!.id });
  expect(response.status).toBe(303);
  expect((await story.join(other, project.url, { tierId: tiers[0]!.id })).status).toBe(409);

  const pending = await story.db.selectFrom('pledges').selectAll().where('patron_id', '=', pat.id).executeTakeFirstOrThrow();
  await story.stripe.checkout.sessions.expire(pending.stripe_checkout_session_id as string);
  await story.settle();
  expect(await story.pledgeRow(pending.id)).toMatchObject({ status: 'expired', stripe_subscription_id: null });
  const page = await pageText(await pat.browser.get(`${project.url}?pledge=${pending.id}`));
  expect(page).toContain('This checkout was not completed, so nothing was charged.');
  expect((await story.join(other, project.url, { tierId: tiers[0]!.id })).status).toBe(303);
});

test('choosing again after leaving Checkout gives up the earlier place and expires its session', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [
    { name: 'Small', monthlyAmount: 500, patronLimit: 1 },
    { name: 'Big', monthlyAmount: 1500 },
  ]);
  const pat = await story.patron({ clock: false });
  const first = await story.join(pat, project.url, { tierId: tiers[0]!.id });
  const second = await story.join(pat, project.url, { tierId: tiers[1]!.id });
  expect([first.status, second.status]).toEqual([303, 303]);
  await story.settle();
  const pledges = await story.db.selectFrom('pledges').select(['tier_id', 'status', 'stripe_checkout_session_id']).where('patron_id', '=', pat.id).orderBy('created_at').execute();
  expect(pledges.map((pledge) => [pledge.tier_id, pledge.status])).toEqual([
    [tiers[0]!.id, 'expired'],
    [tiers[1]!.id, 'pending'],
  ]);
  expect((await story.stripe.checkout.sessions.retrieve(pledges[0]!.stripe_checkout_session_id as string)).status).toBe('expired');
  const someoneElse = await story.patron({ clock: false });
  expect((await story.join(someoneElse, project.url, { tierId: tiers[0]!.id })).status).toBe(303);
});

test('a patron already backing the project is sent to manage the pledge instead of a second one', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [
    { name: 'Supporter', monthlyAmount: 500 },
    { name: 'Sponsor', monthlyAmount: 2000 },
  ]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  const again = await story.join(pat, project.url, { tierId: tiers[0]!.id });
  expect(again.status).toBe(409);
  expect(await pageText(again)).toContain('You already back this project');

  // The project page offers the pledge they have, not a second one.
  const html = await (await pat.browser.get(project.url)).text();
  expect(html).toMatch(new RegExp(`<strong>Your tier.</strong> <a [^>]*href="/patron/pledges/${pledgeId}">Manage your pledge</a>`));
  expect(html).toMatch(new RegExp(`<a class="button button-secondary" [^>]*href="/patron/pledges/${pledgeId}">Switch to (<!-- -->)?Sponsor</a>`));
  expect(html).not.toContain('>Become a patron</button>');
  expect(html.match(new RegExp(`href="/patron/pledges/${pledgeId}"`, 'g'))?.length).toBe(2);
  // Someone else still sees the tiers as open.
  const other = await story.patron();
  expect(await (await other.browser.get(project.url)).text()).toContain('>Become a patron</button>');
});

test('yearly billing where the tier offers it: a yearly subscription at the yearly price', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Annual', monthlyAmount: 500, yearlyAmount: 5000 }]);
  const pat = await story.patron();
  const low = await story.join(pat, project.url, { tierId: tiers[0]!.id, interval: 'year', amount: '49.99' });
  expect(await pageText(low)).toContain('Annual starts at €50/year');
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id, interval: 'year' });
  const pledge = await story.pledgeRow(pledgeId);
  expect(pledge).toMatchObject({ status: 'active', interval: 'year', amount: 5000 });
  expect(pledge.current_period_end!.getTime() - pledge.current_period_start!.getTime()).toBeGreaterThan(364 * 86_400_000);
  const [invoice] = await story.invoiceRows(pledgeId);
  expect(invoice).toMatchObject({ amount_paid: 5000, platform_fee: 250 });
  expect(await pageText(await pat.browser.get('/patron'))).toContain('€50/year');
  await story.expectInvariants();
});
