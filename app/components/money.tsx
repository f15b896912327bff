import { getInputProps } from '@conform-to/react';
import type { ReactNode } from 'react';
import { FieldFrame, hintId, type TextFieldMetadata } from '#app/components/field.tsx';
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
  field: TextFieldMetadata;
  label: string;
  currency: string;
  hint?: ReactNode;
  placeholder?: string;
}) {
  const currencyId = `${field.id}-currency`;
  const props = getInputProps(field, { type: 'text', ariaDescribedBy: [currencyId, hintId(field, hint)].filter(Boolean).join(' ') });
  return (
    <FieldFrame field={field} label={label} hint={hint}>
      {/* Layout inline, so the field works on any page whatever stylesheets it links. */}
      <div className="amount-input" style={{ display: 'flex', alignItems: 'stretch', gap: '0.4rem' }}>
        <span className="amount-currency" id={currencyId} style={{ alignSelf: 'center', fontWeight: 600, minWidth: '3ch' }}>
          {currency.toUpperCase()}
        </span>
        <input {...props} key={props.key} inputMode="decimal" autoComplete="off" placeholder={placeholder} />
      </div>
    </FieldFrame>
  );
}
