import { expect, test } from 'vitest';
import { csvField, toCsv } from './csv.ts';

test('fields are quoted only when RFC 4180 needs it, with quotes doubled', () => {
  expect(csvField('plain')).toBe('plain');
  expect(csvField('Lovelace, Ada')).toBe('"Lovelace, Ada"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField('two\nlines')).toBe('"two\nlines"');
  expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  expect(csvField('')).toBe('');
  expect(csvField(null)).toBe('');
  expect(csvField(1234)).toBe('1234');
  expect(csvField('Zoë 🦀')).toBe('Zoë 🦀');
});

test('text a spreadsheet would run as a formula gets a leading single quote', () => {
  expect(csvField('=HYPERLINK("http://evil.example","click")')).toBe('"\'=HYPERLINK(""http://evil.example"",""click"")"');
  expect(csvField('+1 555')).toBe("'+1 555");
  expect(csvField('-2+3')).toBe("'-2+3");
  expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  expect(csvField('\t=1')).toBe("'\t=1");
  expect(csvField('a=b')).toBe('a=b');
  // Numbers are data, not formulas.
  expect(csvField(-5)).toBe('-5');
  expect(() => csvField(Number.NaN)).toThrow();
});

test('records end with CRLF, header first', () => {
  expect(toCsv(['a', 'b'], [['1', 2], [null, 'x,y']])).toBe('a,b\r\n1,2\r\n,"x,y"\r\n');
  expect(toCsv(['only'], [])).toBe('only\r\n');
});
