import type { CronItem, JobHelpers, TaskList } from 'graphile-worker';
import * as v from 'valibot';
import { db } from '#app/core/db.server.ts';
import { sendEmail } from '#app/core/email.server.ts';
import { env } from '#app/core/env.server.ts';
import { cleanUpAccounts } from '#app/modules/accounts/cleanup.server.ts';
import { welcomeEmail } from '#app/modules/accounts/emails.ts';
import { getUserEmail } from '#app/modules/accounts/users.server.ts';
import { sendPaymentProblem, sendPledgeEnded, sendPledgeReceipt, sendPledgeReceipts } from '#app/modules/notifications/pledge-notifications.server.ts';
import { drainStripeEvents } from '#app/modules/payments/event-queue.server.ts';
import { syncFromStripe } from '#app/modules/payments/stripe-sync.server.ts';

/**
 * The job map: every background task by name, with the payload it accepts.
 * (app/routes.ts is the site map; this is its counterpart for the job queue.)
 */
const payloads = {
  send_welcome_email: v.strictObject({ userId: v.pipe(v.string(), v.uuid()) }),
  clean_up_accounts: v.strictObject({ _cron: v.optional(v.unknown()) }),
  // Processes stored Stripe events (queued after intake, retried at the earliest retry, and every minute).
  drain_stripe_events: v.strictObject({ _cron: v.optional(v.unknown()) }),
  // Scheduled (see cronItems): graphile-worker adds `_cron` to the payload.
  sync_stripe: v.strictObject({ _cron: v.optional(v.unknown()) }),
  send_pledge_receipt: v.strictObject({ pledgeInvoiceId: v.pipe(v.string(), v.uuid()) }),
  // A "batch job": receipts queued under one job key while it waits are merged into its array;
  // an entry that fails is retried alone (graphile-worker keeps only the failed entries).
  send_pledge_receipts: v.array(v.strictObject({ pledgeInvoiceId: v.pipe(v.string(), v.uuid()) })),
  send_payment_problem_email: v.strictObject({
    pledgeInvoiceId: v.pipe(v.string(), v.uuid()),
    attempt: v.pipe(v.number(), v.integer(), v.minValue(1)),
    kind: v.picklist(['failed', 'action_required']),
  }),
  send_pledge_ended_email: v.strictObject({ pledgeId: v.pipe(v.string(), v.uuid()), reason: v.picklist(['payment_failed', 'cancelled']) }),
};

export type JobPayloads = { [Name in keyof typeof payloads]: v.InferOutput<(typeof payloads)[Name]> };

/** A batch job's handler returns one promise per entry of its payload: rejected entries are retried. */
type Handler<Payload> = (payload: Payload, helpers: JobHelpers) => Promise<void | Promise<unknown>[]>;

const handlers: { [Name in keyof JobPayloads]: Handler<JobPayloads[Name]> } = {
  async send_welcome_email({ userId }) {
    const user = await getUserEmail(db, userId);
    if (!user) return; // the account was deleted before the job ran
    await sendEmail(welcomeEmail({ email: user.email, displayName: user.display_name, handle: user.handle }, env().APP_URL));
  },
  async drain_stripe_events() {
    await drainStripeEvents(db);
  },
  async clean_up_accounts() {
    await cleanUpAccounts(db);
  },
  async sync_stripe() {
    // Without Stripe (a test process, a machine without the sandbox) there is nothing to compare with.
    if (!env().STRIPE_SECRET_KEY) return;
    await syncFromStripe(db, {});
  },
  async send_pledge_receipt({ pledgeInvoiceId }) {
    await sendPledgeReceipt(db, pledgeInvoiceId);
  },
  async send_pledge_receipts(entries) {
    const results = await sendPledgeReceipts(db, entries.map((entry) => entry.pledgeInvoiceId));
    return results.map((result) => (result instanceof Error ? Promise.reject(result) : Promise.resolve(result)));
  },
  async send_payment_problem_email(payload) {
    await sendPaymentProblem(db, payload);
  },
  async send_pledge_ended_email(payload) {
    await sendPledgeEnded(db, payload);
  },
};

/** Scheduled jobs; every worker loads them, graphile-worker runs each tick once across workers. */
export const cronItems: CronItem[] = [
  // Repairs what missed or failed webhooks left behind (MONEY.md: "Missed events").
  { task: 'sync_stripe', match: '*/15 * * * *', identifier: 'sync_stripe', options: { backfillPeriod: 0, maxAttempts: 1 } },
  { task: 'clean_up_accounts', match: '17 4 * * *', identifier: 'clean_up_accounts', options: { backfillPeriod: 0, maxAttempts: 3 } },
  // A safety net: events stored by a process that died before it queued the drain.
  { task: 'drain_stripe_events', match: '* * * * *', identifier: 'drain_stripe_events', options: { backfillPeriod: 0, maxAttempts: 1 } },
];

export const taskList: TaskList = Object.fromEntries(
  Object.entries(handlers).map(([name, handler]) => [
    name,
    async (payload: unknown, helpers: JobHelpers) => {
      const schema = payloads[name as keyof JobPayloads];
      // A malformed payload can never succeed: fail it loudly rather than retry forever silently.
      const parsed = v.parse(schema, payload);
      return (handler as Handler<typeof parsed>)(parsed, helpers);
    },
  ]),
);
