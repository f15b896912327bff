/**
 * Parsing of Stripe's form encoding: `items[0][price]=p&metadata[k]=v&expand[]=x`.
 * The SDK encodes arrays with indexes (`expand[0]=…`), other clients use `expand[]=…`; both work.
 * Values stay strings; params.ts coerces them per endpoint.
 */

export type FormValue = string | FormObject | FormValue[];
export type FormObject = { [key: string]: FormValue };

function decode(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** Splits `a[b][0][]` into ['a', 'b', '0', '']. */
export function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  let last = open;
  re.lastIndex = open;
  while ((m = re.exec(key)) !== null) {
    if (m.index !== last) break;
    parts.push(m[1] ?? '');
    last = re.lastIndex;
  }
  if (last !== key.length) return [key];
  return parts;
}

type Node = { [key: string]: Node | string };

export function parseForm(body: string): FormObject {
  const root: Node = {};
  if (!body) return {};
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    const parts = splitKey(rawKey);
    let node: Node = root;
    for (let i = 0; i < parts.length; i++) {
      let part = parts[i] ?? '';
      const isLast = i === parts.length - 1;
      if (part === '' && i > 0) part = String(Object.keys(node).length);
      if (isLast) {
        node[part] = value;
      } else {
        const next = node[part];
        if (next === undefined || typeof next === 'string') {
          const created: Node = {};
          node[part] = created;
          node = created;
        } else {
          node = next;
        }
      }
    }
  }
  return normalize(root) as FormObject;
}

/** Objects whose keys are exactly 0..n-1 become arrays. */
function normalize(node: Node | string): FormValue {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  const out: FormObject = {};
  for (const k of keys) out[k] = normalize(node[k] as Node | string);
  if (keys.length > 0 && keys.every((k) => /^(0|[1-9]\d*)$/.test(k))) {
    const idx = keys.map(Number).sort((a, b) => a - b);
    if (idx.every((n, i) => n === i)) return idx.map((n) => out[String(n)] as FormValue);
  }
  return out;
}

/** JSON bodies (used by the sandbox control endpoint) are turned into the same string tree. */
export function jsonToForm(value: unknown): FormValue {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(jsonToForm);
  if (typeof value === 'object') {
    const out: FormObject = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = jsonToForm(v);
    return out;
  }
  return String(value);
}

/** Encodes a nested object the way the SDK does (used by tests and pages). */
export function encodeForm(data: Record<string, unknown>): string {
  const pairs: string[] = [];
  const enc = (key: string, value: unknown): void => {
    if (value === undefined) return;
    if (value === null || typeof value !== 'object') {
      pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(value === null ? '' : String(value))}`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => enc(`${key}[${i}]`, v));
      return;
    }
    for (const [k, v] of Object.entries(value)) enc(`${key}[${k}]`, v);
  };
  for (const [k, v] of Object.entries(data)) enc(k, v);
  return pairs.join('&');
}
