import { expect, test } from 'vitest';
import { safeRedirectPath } from './redirects.ts';

test('same-origin relative paths are kept with their query and hash', () => {
  expect(safeRedirectPath('/settings/profile')).toBe('/settings/profile');
  expect(safeRedirectPath('/@grace?tab=posts#latest')).toBe('/@grace?tab=posts#latest');
  expect(safeRedirectPath('/')).toBe('/');
});

test('links to another site fall back to the home page', () => {
  const attacks = [
    '//evil.com',
    '///evil.com',
    'https://evil.com',
    'http://evil.com/path',
    '/\\evil.com',
    '\\\\evil.com',
    '/\\/evil.com',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.com',
    '/\t/evil.com',
    '/\n/evil.com',
    // Dot segments resolve away and would leave a protocol-relative URL behind.
    '/.//evil.com',
    '/..//evil.com',
    '/a/..//evil.com',
    '/%2e//evil.com',
  ];
  for (const attack of attacks) expect(safeRedirectPath(attack), attack).toBe('/');
});

test('encoded slashes stay in the path, where browsers do not decode them', () => {
  expect(safeRedirectPath('/%2F%2Fevil.com')).toBe('/%2F%2Fevil.com');
});

test('non-strings, empty and oversized values use the fallback', () => {
  expect(safeRedirectPath(undefined)).toBe('/');
  expect(safeRedirectPath(null)).toBe('/');
  expect(safeRedirectPath(['/settings/profile'])).toBe('/');
  expect(safeRedirectPath('')).toBe('/');
  expect(safeRedirectPath(`/${'a'.repeat(2000)}`)).toBe('/');
  expect(safeRedirectPath('//evil.com', '/login')).toBe('/login');
});
