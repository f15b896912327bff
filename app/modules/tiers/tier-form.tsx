import { getFormProps, useForm, type SubmissionResult } from '@conform-to/react';
import { getValibotConstraint, parseWithValibot } from '@conform-to/valibot';
import { Form, Link, useNavigation } from '@remix-run/react';
import { useMemo, type ReactNode } from 'react';
import { Field, FormErrors, TextareaField } from '#app/components/field.tsx';
import { AmountField } from '#app/components/money.tsx';
import type { SupportedCurrency } from '#app/modules/ledger/currency.ts';
import { formatMoney, parseMajorAmount } from '#app/utils/money.ts';
import { MAX_PATRON_LIMIT, STRIPE_MINIMUM_CHARGE, yearlySavingsPercent } from './pricing.ts';
import { BENEFIT_MAX, MAX_BENEFITS, TIER_DESCRIPTION_MAX, tierSchema } from './schemas.ts';

export type TierFormValues = { name: string; monthlyAmount: string; yearlyAmount: string; description: string; benefits: string; patronLimit: string };

/** The tier form of the "new tier" and "edit tier" pages: same fields, same schema as the server. */
export function TierForm({
  currency,
  defaultValue,
  lastResult,
  submitLabel,
  submittingLabel,
  cancelTo,
  children,
}: {
  currency: SupportedCurrency;
  defaultValue?: TierFormValues;
  lastResult: SubmissionResult<string[]> | undefined;
  submitLabel: string;
  submittingLabel: string;
  cancelTo: string;
  children?: ReactNode;
}) {
  const schema = useMemo(() => tierSchema(currency), [currency]);
  const navigation = useNavigation();
  const [form, fields] = useForm({
    lastResult,
    defaultValue,
    constraint: getValibotConstraint(schema),
    onValidate: ({ formData }) => parseWithValibot(formData, { schema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  const monthly = parseMajorAmount(fields.monthlyAmount.value ?? '', currency);
  const yearly = parseMajorAmount(fields.yearlyAmount.value ?? '', currency);
  const savings = monthly.ok && yearly.ok && monthly.minor > 0 && yearly.minor < monthly.minor * 12 ? yearlySavingsPercent(monthly.minor, yearly.minor) : null;
  const example = currency === 'jpy' ? '500' : '5 or 4.50';
  const submitting = navigation.state === 'submitting';
  return (
    <Form method="post" {...getFormProps(form)}>
      <FormErrors id={form.errorId} errors={form.errors} />
      <Field field={fields.name} label="Tier name" placeholder="Supporter" autoComplete="off" />
      <AmountField
        field={fields.monthlyAmount}
        label="Monthly price"
        currency={currency}
        placeholder={currency === 'jpy' ? '500' : '5'}
        hint={`What a patron pays each month, like ${example}. At least ${formatMoney(STRIPE_MINIMUM_CHARGE[currency], currency)}, Stripe’s smallest charge. Patrons may choose to pay more.`}
      />
      <AmountField
        field={fields.yearlyAmount}
        label="Yearly price (optional)"
        currency={currency}
        hint={
          savings !== null
            ? `Patrons who pay yearly save ${savings}% compared with 12 monthly payments.`
            : 'Offer a yearly option at a discount: less than 12 monthly payments. Leave empty for monthly only.'
        }
      />
      <TextareaField field={fields.description} label="Description (optional)" rows={4} hint={`Up to ${TIER_DESCRIPTION_MAX} characters.`} />
      <TextareaField field={fields.benefits} label="Benefits (optional)" rows={5} hint={`One per line, up to ${MAX_BENEFITS} lines of ${BENEFIT_MAX} characters.`} />
      <Field
        field={fields.patronLimit}
        label="Patron limit (optional)"
        placeholder="No limit"
        autoComplete="off"
        hint={`For tiers with a promise you can only keep for a few people. 1 to ${MAX_PATRON_LIMIT.toLocaleString('en')}; the page shows how many places are left.`}
      />
      {children}
      <div className="form-actions">
        <button type="submit" disabled={submitting}>
          {submitting ? submittingLabel : submitLabel}
        </button>
        <Link to={cancelTo}>Cancel</Link>
      </div>
    </Form>
  );
}
