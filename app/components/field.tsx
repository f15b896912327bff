import { getInputProps, getTextareaProps, type FieldMetadata } from '@conform-to/react';
import type { ReactNode } from 'react';

type Common = { label: string; hint?: ReactNode };
export type TextFieldMetadata = FieldMetadata<string | null | undefined, any, string[]>;

/** The id a field's hint gets, for aria-describedby; undefined without a hint. */
export function hintId(field: TextFieldMetadata, hint: ReactNode): string | undefined {
  return hint ? `${field.id}-hint` : undefined;
}

/** Label, optional hint, the control, and the field's error list: the frame every form field shares. */
export function FieldFrame({ field, label, hint, children }: Common & { field: TextFieldMetadata; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={field.id}>{label}</label>
      {hint ? (
        <p className="field-hint" id={hintId(field, hint)}>
          {hint}
        </p>
      ) : null}
      {children}
      <FieldErrors id={field.errorId} errors={field.errors} />
    </div>
  );
}

/** A labelled input wired to conform: aria-invalid, aria-describedby and its error list. */
export function Field({
  field,
  label,
  hint,
  type = 'text',
  ...rest
}: Common & {
  field: TextFieldMetadata;
  type?: 'text' | 'email' | 'password' | 'url';
  autoComplete?: string;
  placeholder?: string;
  autoFocus?: boolean;
}) {
  const inputProps = getInputProps(field, { type, ariaDescribedBy: hintId(field, hint) });
  return (
    <FieldFrame field={field} label={label} hint={hint}>
      <input {...inputProps} {...rest} key={inputProps.key} />
    </FieldFrame>
  );
}

export function TextareaField({ field, label, hint, rows = 5 }: Common & { field: TextFieldMetadata; rows?: number }) {
  const props = getTextareaProps(field, { ariaDescribedBy: hintId(field, hint) });
  return (
    <FieldFrame field={field} label={label} hint={hint}>
      <textarea {...props} key={props.key} rows={rows} />
    </FieldFrame>
  );
}

export function FieldErrors({ id, errors }: { id: string; errors?: string[] }) {
  return (
    <ul className="field-errors" id={id} aria-live="polite">
      {errors?.map((error) => (
        <li key={error}>{error}</li>
      ))}
    </ul>
  );
}

/** Errors about the form as a whole (for example a login that did not match). */
export function FormErrors({ id, errors }: { id: string; errors?: string[] }) {
  if (!errors?.length) return <div id={id} />;
  return (
    <div className="form-errors" id={id} role="alert">
      {errors.map((error) => (
        <p key={error}>{error}</p>
      ))}
    </div>
  );
}
