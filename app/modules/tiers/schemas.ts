import * as v from 'valibot';
import type { SupportedCurrency } from '#app/modules/ledger/currency.ts';
import { formatMoney, parseMajorAmount } from '#app/utils/money.ts';
import { MAX_MONTHLY_AMOUNT, MAX_PATRON_LIMIT, STRIPE_MINIMUM_CHARGE } from './pricing.ts';

/**
 * The tier form. Prices are typed in major units as the patron sees them ("5", "4.50") and
 * become integer minor units here, by string arithmetic, in the project's currency: the schema
 * is made per currency so JPY refuses "4.50" and EUR refuses "4.555".
 */

export const TIER_NAME_MAX = 60;
export const TIER_DESCRIPTION_MAX = 2000;
export const MAX_BENEFITS = 10;
export const BENEFIT_MAX = 120;

function amountSchema(currency: SupportedCurrency, missing: string) {
  const minimum = STRIPE_MINIMUM_CHARGE[currency];
  return v.pipe(
    v.string(missing),
    v.trim(),
    v.nonEmpty(missing),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const parsed = parseMajorAmount(dataset.value, currency);
      if (parsed.ok) return parsed.minor;
      addIssue({ message: parsed.message });
      return NEVER;
    }),
    v.minValue(minimum, `Stripe cannot charge less than ${formatMoney(minimum, currency)}`),
    v.maxValue(MAX_MONTHLY_AMOUNT * 12, `At most ${formatMoney(MAX_MONTHLY_AMOUNT * 12, currency)}`),
  );
}

const optionalText = (max: number, message: string) => v.optional(v.pipe(v.string(), v.trim(), v.maxLength(max, message)));

const BenefitsSchema = v.optional(
  v.pipe(
    v.string(),
    v.transform((text) =>
      text
        .split(/\r?\n/)
        .map((line) => line.trim().replace(/^[-*•]\s+/, ''))
        .filter(Boolean),
    ),
    // A check, not maxLength: conform would turn maxLength into the textarea's character limit.
    v.check((lines) => lines.length <= MAX_BENEFITS, `At most ${MAX_BENEFITS} benefits, one per line`),
    v.check((lines) => lines.every((line) => line.length <= BENEFIT_MAX), `Each benefit has at most ${BENEFIT_MAX} characters`),
  ),
);

const PatronLimitSchema = v.optional(
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d{1,6}$/, 'Enter a whole number of patrons, like 10'),
    v.transform(Number),
    v.minValue(1, 'A limit needs room for at least 1 patron'),
    v.maxValue(MAX_PATRON_LIMIT, `At most ${MAX_PATRON_LIMIT.toLocaleString('en')} patrons`),
  ),
);

export function tierSchema(currency: SupportedCurrency) {
  return v.pipe(
    v.strictObject({
      name: v.pipe(
        v.string('Name the tier'),
        v.trim(),
        v.nonEmpty('Name the tier'),
        v.maxLength(TIER_NAME_MAX, `A tier name has at most ${TIER_NAME_MAX} characters`),
      ),
      monthlyAmount: v.pipe(
        amountSchema(currency, 'Enter the monthly price'),
        v.maxValue(MAX_MONTHLY_AMOUNT, `A monthly price is at most ${formatMoney(MAX_MONTHLY_AMOUNT, currency)}`),
      ),
      yearlyAmount: v.optional(amountSchema(currency, 'Enter the yearly price')),
      description: optionalText(TIER_DESCRIPTION_MAX, `A description has at most ${TIER_DESCRIPTION_MAX} characters`),
      benefits: BenefitsSchema,
      patronLimit: PatronLimitSchema,
    }),
    v.forward(
      v.partialCheck(
        [['monthlyAmount'], ['yearlyAmount']],
        ({ monthlyAmount, yearlyAmount }) => yearlyAmount === undefined || yearlyAmount < monthlyAmount * 12,
        (issue) => `A yearly price is a discount: make it less than 12 monthly payments (${formatMoney(issue.input.monthlyAmount * 12, currency)})`,
      ),
      ['yearlyAmount'],
    ),
    v.transform((tier) => ({
      name: tier.name,
      monthlyAmount: tier.monthlyAmount,
      yearlyAmount: tier.yearlyAmount ?? null,
      description: tier.description ?? '',
      benefits: tier.benefits ?? [],
      patronLimit: tier.patronLimit ?? null,
    })),
  );
}

export type TierInput = v.InferOutput<ReturnType<typeof tierSchema>>;

const TierIdSchema = v.pipe(v.string('Which tier?'), v.uuid('Which tier?'));

/** The move up / move down buttons on the project's edit page. */
export const MoveTierSchema = v.strictObject({ intent: v.literal('move'), tierId: TierIdSchema, direction: v.picklist(['up', 'down']) });

/** The archive / unarchive buttons on the project's edit page. */
export const ArchiveTierSchema = v.strictObject({ intent: v.picklist(['archive', 'unarchive']), tierId: TierIdSchema });
