import * as v from 'valibot';

/**
 * The forms of the pledge pages. Amounts arrive as typed text ("7.50"): they become minor units
 * in the project's currency in the module, and prices always come from our tables by id.
 */

const uuid = (message: string) => v.pipe(v.string(message), v.uuid(message));

/** POST /@handle/slug/pledge, from a tier card on the project page. */
export const JoinSchema = v.strictObject({
  tierId: uuid('Choose a tier'),
  interval: v.optional(v.picklist(['month', 'year'], 'Choose monthly or yearly billing'), 'month'),
  amount: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(20, 'Enter an amount like 7.50'))),
});

/** POST /patron/pledges/:id — one intent per button. */
export const ManageSchema = v.variant('intent', [
  v.strictObject({ intent: v.literal('change-tier'), tierId: uuid('Choose a tier') }),
  v.strictObject({ intent: v.literal('cancel') }),
  v.strictObject({ intent: v.literal('resume') }),
]);

export type ManageInput = v.InferOutput<typeof ManageSchema>;
