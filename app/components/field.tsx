import { getInputProps, getTextareaProps, type FieldMetadata } from '@conform-to/react';
import type { ReactNode } from 'react';

type Common = { label: string; hint?: ReactNode };

/** A labelled input wired to conform: aria-invalid, aria-describedby and its error list. */
export function Field({
  field,
  label,
  hint,
  type = 'text',
  ...rest
}: Common & {
  field: FieldMetadata<string | null | undefined, any, string[]>;
  type?: 'text' | 'email' | 'password' | 'url';
  autoComplete?: string;
  placeholder?: string;
  autoFocus?: boolean;
}) {
  const hintId = hint ? `${field.id}-hint` : undefined;
  const inputProps = getInputProps(field, { type, ariaDescribedBy: hintId });
  return (
    <div className="field">
      <label htmlFor={field.id}>{label}</label>
      {hint ? (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      <input {...inputProps} {...rest} key={inputProps.key} />
      <FieldErrors id={field.errorId} errors={field.errors} />
    </div>
  );
}

export function TextareaField({ field, label, hint, rows = 5 }: Common & { field: FieldMetadata<string | null | undefined, any, string[]>; rows?: number }) {
  const hintId = hint ? `${field.id}-hint` : undefined;
  const props = getTextareaProps(field, { ariaDescribedBy: hintId });
  return (
    <div className="field">
      <label htmlFor={field.id}>{label}</label>
      {hint ? (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      <textarea {...props} key={props.key} rows={rows} />
      <FieldErrors id={field.errorId} errors={field.errors} />
    </div>
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
