import { getInputProps, type FieldMetadata } from '@conform-to/react';
import type { ReactNode } from 'react';
import { FieldErrors } from '#app/components/field.tsx';
import { formatMoney } from '#app/utils/money.ts';

/** An amount of minor units as a price tag: "€5", "€4.50", "¥500". */
export function Money({ amount, currency }: { amount: number; currency: string }) {
  return <span className="money">{formatMoney(amount, currency)}</span>;
}

/**
 * A labelled amount input in major units ("5" or "4.50") with the currency shown beside it,
 * wired to conform like `Field`. The server converts the text to minor units exactly.
 */
export function AmountField({
  field,
  label,
  currency,
  hint,
  placeholder,
}: {
  field: FieldMetadata<string | null | undefined, any, string[]>;
  label: string;
  currency: string;
  hint?: ReactNode;
  placeholder?: string;
}) {
  const hintId = hint ? `${field.id}-hint` : undefined;
  const currencyId = `${field.id}-currency`;
  const props = getInputProps(field, { type: 'text', ariaDescribedBy: [currencyId, hintId].filter(Boolean).join(' ') });
  return (
    <div className="field">
      <label htmlFor={field.id}>{label}</label>
      {hint ? (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {/* Layout inline, so the field works on any page whatever stylesheets it links. */}
      <div className="amount-input" style={{ display: 'flex', alignItems: 'stretch', gap: '0.4rem' }}>
        <span className="amount-currency" id={currencyId} style={{ alignSelf: 'center', fontWeight: 600, minWidth: '3ch' }}>
          {currency.toUpperCase()}
        </span>
        <input {...props} key={props.key} inputMode="decimal" autoComplete="off" placeholder={placeholder} />
      </div>
      <FieldErrors id={field.errorId} errors={field.errors} />
    </div>
  );
}
