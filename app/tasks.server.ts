import type { TaskList } from 'graphile-worker';
import * as v from 'valibot';
import { db } from '#app/core/db.server.ts';
import { sendEmail } from '#app/core/email.server.ts';
import { env } from '#app/core/env.server.ts';
import { welcomeEmail } from '#app/modules/accounts/emails.ts';
import { getUserEmail } from '#app/modules/accounts/users.server.ts';

/**
 * The job map: every background task by name, with the payload it accepts.
 * (app/routes.ts is the site map; this is its counterpart for the job queue.)
 */
const payloads = {
  send_welcome_email: v.strictObject({ userId: v.pipe(v.string(), v.uuid()) }),
};

export type JobPayloads = { [Name in keyof typeof payloads]: v.InferOutput<(typeof payloads)[Name]> };

const handlers: { [Name in keyof JobPayloads]: (payload: JobPayloads[Name]) => Promise<void> } = {
  async send_welcome_email({ userId }) {
    const user = await getUserEmail(db, userId);
    if (!user) return; // the account was deleted before the job ran
    await sendEmail(welcomeEmail({ email: user.email, displayName: user.display_name, handle: user.handle }, env().APP_URL));
  },
};

export const taskList: TaskList = Object.fromEntries(
  Object.entries(handlers).map(([name, handler]) => [
    name,
    async (payload: unknown) => {
      const schema = payloads[name as keyof JobPayloads];
      // A malformed payload can never succeed: fail it loudly rather than retry forever silently.
      const parsed = v.parse(schema, payload);
      await (handler as (input: typeof parsed) => Promise<void>)(parsed);
    },
  ]),
);
