/**
 * Declarative parameter specs: coerce Stripe's string-valued form params to the SDK's param
 * types and reject unknown or malformed ones with Stripe's messages.
 */
import type { FormValue } from './form.ts';
import { StripeApiError, invalidRequest, missingParam, unknownParam } from './errors.ts';

export type Spec =
  | { t: 'string'; required?: boolean; max?: number }
  | { t: 'int'; required?: boolean; min?: number; max?: number }
  | { t: 'bool'; required?: boolean }
  | { t: 'ts'; required?: boolean; now?: boolean }
  | { t: 'enum'; values: readonly string[]; required?: boolean }
  | { t: 'metadata'; required?: boolean }
  | { t: 'obj'; fields: Record<string, Spec>; required?: boolean; emptyable?: boolean; open?: boolean }
  | { t: 'arr'; of: Spec; required?: boolean; emptyable?: boolean }
  | { t: 'range'; required?: boolean }
  | { t: 'any'; required?: boolean }
  | { t: 'removed'; code: string; message: string; required?: boolean };

export const S = {
  str: (o: { max?: number } = {}): Spec => ({ t: 'string', ...o }),
  int: (o: { min?: number; max?: number } = {}): Spec => ({ t: 'int', ...o }),
  bool: (): Spec => ({ t: 'bool' }),
  ts: (o: { now?: boolean } = {}): Spec => ({ t: 'ts', ...o }),
  oneOf: (...values: string[]): Spec => ({ t: 'enum', values }),
  meta: (): Spec => ({ t: 'metadata' }),
  obj: (fields: Record<string, Spec>, o: { emptyable?: boolean; open?: boolean } = {}): Spec => ({ t: 'obj', fields, ...o }),
  arr: (of: Spec, o: { emptyable?: boolean } = {}): Spec => ({ t: 'arr', of, ...o }),
  range: (): Spec => ({ t: 'range' }),
  any: (): Spec => ({ t: 'any' }),
  /** A parameter this API version removed: rejected with its own error code. */
  removed: (code: string, message: string): Spec => ({ t: 'removed', code, message }),
  req: (spec: Spec): Spec => ({ ...spec, required: true }) as Spec,
};

/** `payment_method_types` gave way to `allowed_payment_method_types` in 2026-09-30.endive. */
export const PAYMENT_METHOD_TYPES_REMOVED: Spec = {
  t: 'removed',
  code: 'payment_method_types_no_longer_supported',
  message: 'The `payment_method_types` parameter is no longer supported as of API version 2026-09-30.endive. Use `allowed_payment_method_types` instead.',
};

export const LIST_PARAMS: Record<string, Spec> = {
  limit: S.int({ min: 1, max: 100 }),
  starting_after: S.str(),
  ending_before: S.str(),
  created: S.range(),
};

function fieldPath(parent: string, key: string): string {
  return parent ? `${parent}[${key}]` : key;
}

function lastName(path: string): string {
  const m = /([^[\]]+)\]?$/.exec(path);
  return m?.[1] ?? path;
}

function englishList(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  if (values.length === 2) return `${values[0]} or ${values[1]}`;
  return `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`;
}

function coerce(value: FormValue, spec: Spec, path: string): unknown {
  switch (spec.t) {
    case 'any':
      return value;
    case 'removed':
      throw invalidRequest(spec.message, path, spec.code);
    case 'string': {
      if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${JSON.stringify(value)}`, path);
      if (spec.max !== undefined && value.length > spec.max) {
        throw invalidRequest(`Invalid string: ${value.slice(0, 20)}...; must be at most ${spec.max} characters`, path);
      }
      return value;
    }
    case 'int': {
      if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim())) {
        throw invalidRequest(`Invalid integer: ${typeof value === 'string' ? value : JSON.stringify(value)}`, path);
      }
      const n = Number(value.trim());
      if (!Number.isSafeInteger(n)) throw invalidRequest(`Invalid integer: ${value}`, path);
      if (spec.min !== undefined && n < spec.min) {
        throw invalidRequest(`This value must be greater than or equal to ${spec.min}.`, path);
      }
      if (spec.max !== undefined && n > spec.max) {
        throw invalidRequest(`This value must be less than or equal to ${spec.max}.`, path);
      }
      return n;
    }
    case 'bool': {
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw invalidRequest(`Invalid boolean: ${typeof value === 'string' ? value : JSON.stringify(value)}`, path);
    }
    case 'ts': {
      if (spec.now && value === 'now') return 'now';
      if (typeof value !== 'string' || !/^\d+$/.test(value.trim())) {
        throw invalidRequest(`Invalid timestamp: must be an integer Unix timestamp${spec.now ? " or the string 'now'" : ''}.`, path);
      }
      return Number(value.trim());
    }
    case 'enum': {
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        throw invalidRequest(`Invalid ${lastName(path)}: must be one of ${englishList(spec.values)}`, path);
      }
      return value;
    }
    case 'metadata': {
      if (value === '') return '';
      const entries: [string, FormValue][] = Array.isArray(value)
        ? value.map((v, i) => [String(i), v])
        : typeof value === 'object'
          ? Object.entries(value)
          : [];
      if (typeof value === 'string') throw invalidRequest('Invalid metadata: metadata must be an object.', path);
      if (entries.length > 50) throw invalidRequest('Invalid metadata: metadata can have a maximum of 50 keys.', path);
      const out: Record<string, string> = {};
      for (const [k, v] of entries) {
        if (typeof v !== 'string') throw invalidRequest(`Invalid value for metadata key ${k}: must be a string.`, fieldPath(path, k));
        if (k.length > 40) throw invalidRequest(`Metadata keys can have a maximum length of 40 characters. The key '${k}' is too long.`, fieldPath(path, k));
        if (v.length > 500) throw invalidRequest(`Metadata values can have a maximum length of 500 characters. The value for '${k}' is too long.`, fieldPath(path, k));
        out[k] = v;
      }
      return out;
    }
    case 'range': {
      if (typeof value === 'string') return coerce(value, { t: 'int' }, path);
      if (Array.isArray(value)) throw invalidRequest('Invalid object', path);
      return validateObject(value, { gt: S.int(), gte: S.int(), lt: S.int(), lte: S.int() }, path);
    }
    case 'obj': {
      if (value === '' && spec.emptyable) return '';
      if (typeof value === 'string' || Array.isArray(value)) throw invalidRequest('Invalid object', path);
      if (spec.open) return value;
      return validateObject(value, spec.fields, path);
    }
    case 'arr': {
      if (value === '' && spec.emptyable) return '';
      if (!Array.isArray(value)) {
        // `expand=foo` style single value is tolerated for string arrays
        if (typeof value === 'string' && spec.of.t === 'string') return [value];
        if (typeof value === 'object') {
          const keys = Object.keys(value);
          if (keys.every((k) => /^\d+$/.test(k))) {
            return keys.sort((a, b) => Number(a) - Number(b)).map((k) => coerce(value[k] as FormValue, spec.of, fieldPath(path, k)));
          }
        }
        throw invalidRequest('Invalid array', path);
      }
      return value.map((v, i) => coerce(v, spec.of, fieldPath(path, String(i))));
    }
  }
}

function validateObject(value: { [key: string]: FormValue }, fields: Record<string, Spec>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const spec = fields[key];
    const p = fieldPath(path, key);
    if (!spec) {
      const err = unknownParam(p);
      err.validation = true;
      throw err;
    }
    try {
      out[key] = coerce(v, spec, p);
    } catch (err) {
      if (err instanceof StripeApiError) err.validation = true;
      throw err;
    }
  }
  for (const [key, spec] of Object.entries(fields)) {
    if (spec?.required && (out[key] === undefined || out[key] === '')) {
      const err = missingParam(fieldPath(path, key));
      err.validation = true;
      throw err;
    }
  }
  return out;
}

/**
 * Validates top-level params against a spec (plus `expand`, always allowed) and returns the
 * coerced object. Cast the result to the SDK's `…Params` type of the endpoint.
 */
export function validate<T = Record<string, unknown>>(raw: Record<string, FormValue>, fields: Record<string, Spec>): T & { expand?: string[] } {
  return validateObject(raw, { ...fields, expand: S.arr(S.str()) }, '') as T & { expand?: string[] };
}

/** Applies Stripe's metadata semantics: '' clears everything, a '' value unsets a key. */
export type MetadataInput = Record<string, string | number | null> | '' | undefined | null;

export function mergeMetadata(current: Record<string, string> | null, update: MetadataInput): Record<string, string> {
  const base = current ?? {};
  if (update === undefined || update === null) return base;
  if (update === '') return {};
  const out = { ...base };
  for (const [k, v] of Object.entries(update)) {
    if (v === '' || v === null) delete out[k];
    else out[k] = String(v);
  }
  return out;
}

export function newMetadata(update: MetadataInput): Record<string, string> {
  return mergeMetadata({}, update);
}
