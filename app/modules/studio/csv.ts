/**
 * RFC 4180 CSV: CRLF after every record, a field quoted when it holds a comma, a quote, CR
 * or LF, quotes doubled inside. Text that a spreadsheet would run as a formula (starting
 * with = + - @, or tab / CR which some spreadsheets skip before one) gets a leading single
 * quote: OWASP's advice for CSV injection. Numbers are written as they are.
 */
export type CsvValue = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`csvField: ${value} is not a finite number`);
    return String(value);
  }
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}
