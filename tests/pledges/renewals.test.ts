import { afterAll, beforeAll, expect, test } from 'vitest';
import { CARDS, pageText, startStripeStory, type StripeStory } from '#tests/stripe.ts';

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

test('a year of renewals: 12 paid periods, 12 receipts, and the ledger exact to the cent', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });

  for (let month = 1; month < 12; month++) {
    const before = await story.pledgeRow(pledgeId);
    // Stripe finalizes and charges a renewal about an hour after the period ends.
    await story.advanceClock(pat.clockId!, seconds(before.current_period_end) + 2 * HOUR);
    const after = await story.pledgeRow(pledgeId);
    expect(after.status).toBe('active');
    expect(after.current_period_start).toEqual(before.current_period_end);
  }

  const invoices = await story.invoiceRows(pledgeId);
  expect(invoices).toHaveLength(12);
  expect(invoices.map((invoice) => invoice.billing_reason)).toEqual(['subscription_create', ...Array(11).fill('subscription_cycle')]);
  for (const invoice of invoices) {
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 500, stripe_fee: 45, platform_fee: 25, maker_net: 430 });
    expect(invoice.receipt_sent_at).not.toBeNull();
  }
  // Twelve consecutive periods, none paid twice.
  for (let i = 1; i < invoices.length; i++) expect(invoices[i]!.period_start).toEqual(invoices[i - 1]!.period_end);

  expect(await story.balances(project.id)).toEqual({ 'stripe_balance:eur': 12 * 455, 'platform_revenue:eur': -12 * 25, [`maker_payable:${maker.id}:eur`]: -12 * 430 });
  const receipts = (await story.emailsTo(pat.email)).filter((email) => email.tag === 'pledge-receipt');
  expect(receipts).toHaveLength(12);
  const patronPage = await pageText(await pat.browser.get('/patron'));
  expect(patronPage.match(/Renewal/g)).toHaveLength(11);
  await story.expectInvariants();
});

test('a failed renewal: past due with benefits, an email with the next try, then a new card in the portal makes it active again', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  await story.useFailingCard(pat, pledgeId);

  const { current_period_end } = await story.pledgeRow(pledgeId);
  await story.advanceClock(pat.clockId!, seconds(current_period_end) + 2 * HOUR);
  const pastDue = await story.pledgeRow(pledgeId);
  expect(pastDue.status).toBe('past_due');
  const [failedInvoice] = (await story.invoiceRows(pledgeId)).filter((invoice) => invoice.billing_reason === 'subscription_cycle');
  expect(failedInvoice).toMatchObject({ status: 'open', attempt_count: 1, amount_paid: 0 });
  expect(failedInvoice!.next_payment_attempt).not.toBeNull();

  const failures = (await story.emailsTo(pat.email)).filter((email) => email.tag === 'pledge-payment-failed');
  expect(failures).toHaveLength(1);
  expect(failures[0]!.subject).toBe(`Your payment to ${project.name} failed — please update your card`);
  expect(failures[0]!.text).toContain('Your benefits continue while we try again.');
  const nextTry = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(failedInvoice!.next_payment_attempt!);
  expect(failures[0]!.text).toContain(`We will try your card again on ${nextTry}.`);
  expect(failures[0]!.text).toContain(`${story.appUrl}/patron`);

  const page = await pageText(await pat.browser.get('/patron'));
  expect(page).toContain('Past due — update your card');
  expect(page).toContain('Update your card');
  expect(page).toContain(`Next try</dt><dd>${nextTry}`);
  expect(page).not.toContain('Next charge');
  // Benefits continue: the pledge still counts as a patron.
  const projectPage = await pageText(await pat.browser.get(project.url));
  expect(projectPage).toMatch(/<strong>1<\/strong> patron\b/);

  await story.updateCardInPortal(pat);
  const recovered = await story.pledgeRow(pledgeId);
  expect(recovered.status).toBe('active');
  const paid = (await story.invoiceRows(pledgeId)).find((invoice) => invoice.stripe_invoice_id === failedInvoice!.stripe_invoice_id);
  expect(paid).toMatchObject({ status: 'paid', amount_paid: 500, stripe_fee: 45, platform_fee: 25, maker_net: 430 });
  expect((await story.emailsTo(pat.email)).filter((email) => email.tag === 'pledge-receipt')).toHaveLength(2);
  expect(await story.balances(project.id)).toEqual({ 'stripe_balance:eur': 910, 'platform_revenue:eur': -50, [`maker_payable:${maker.id}:eur`]: -860 });
  await story.expectInvariants();
});

test('a renewal that keeps failing: one email per attempt, then Stripe gives up, the pledge ends and the patron is told', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  await story.useFailingCard(pat, pledgeId);

  let at = seconds((await story.pledgeRow(pledgeId)).current_period_end) + 2 * HOUR;
  await story.advanceClock(pat.clockId!, at);
  // Stripe retries 3, 5 and 7 days after each failed attempt (the sandbox's Smart Retries stand-in).
  for (const days of [3, 5, 7]) {
    expect((await story.pledgeRow(pledgeId)).status).toBe('past_due');
    at += days * DAY;
    await story.advanceClock(pat.clockId!, at);
  }
  const ended = await story.pledgeRow(pledgeId);
  expect(ended).toMatchObject({ status: 'ended', stripe_status: 'canceled' });
  expect(ended.ended_at).not.toBeNull();

  const emails = await story.emailsTo(pat.email);
  expect(emails.filter((email) => email.tag === 'pledge-payment-failed')).toHaveLength(3);
  const endedEmails = emails.filter((email) => email.tag === 'pledge-ended-payment-failed');
  expect(endedEmails).toHaveLength(1);
  expect(endedEmails[0]!.subject).toBe(`Your pledge to ${project.name} has ended`);
  expect(endedEmails[0]!.text).toContain('could not collect your payment');

  // Nothing was collected for the failed period; the place in the tier is free.
  const invoices = await story.invoiceRows(pledgeId);
  expect(invoices.filter((invoice) => invoice.status === 'paid')).toHaveLength(1);
  expect(await pageText(await pat.browser.get('/patron'))).toContain('Ended');
  expect(await pageText(await pat.browser.get(project.url))).toMatch(/<strong>0<\/strong> patrons/);
  await story.expectInvariants();
});

test('a renewal the bank wants authenticated: the patron gets the invoice link to confirm it, once', async () => {
  const maker = await story.maker();
  const { project, tiers } = await story.project(maker, [{ name: 'Supporter', monthlyAmount: 500 }]);
  const pat = await story.patron();
  const pledgeId = await story.pledge(pat, project.url, { tierId: tiers[0]!.id });
  await story.useFailingCard(pat, pledgeId, CARDS.authenticationRequired);
  await story.advanceClock(pat.clockId!, seconds((await story.pledgeRow(pledgeId)).current_period_end) + 2 * HOUR);

  expect((await story.pledgeRow(pledgeId)).status).toBe('past_due');
  const renewal = (await story.invoiceRows(pledgeId)).find((invoice) => invoice.billing_reason === 'subscription_cycle')!;
  expect(renewal).toMatchObject({ status: 'open', attempt_count: 1 });
  const emails = (await story.emailsTo(pat.email)).filter((email) => email.tag.startsWith('pledge-payment'));
  expect(emails.map((email) => email.tag)).toEqual(['pledge-payment-action-required']);
  expect(emails[0]!.subject).toBe(`Confirm your payment to ${project.name}`);
  expect(emails[0]!.text).toContain(`Confirm it here: ${renewal.hosted_invoice_url}`);
  await story.expectInvariants();
});
