/**
 * `redirectTo` values come from the query string: accept only same-origin
 * relative paths, so a crafted login link cannot send someone to another site.
 */
export function safeRedirectPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\\]/.test(value)) return fallback;
  try {
    const resolved = new URL(value, 'http://makerfund.invalid');
    if (resolved.origin !== 'http://makerfund.invalid') return fallback;
    const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
    // Dot segments resolve away: `/.//evil.com` becomes `//evil.com`, another site.
    return path.startsWith('//') ? fallback : path;
  } catch {
    return fallback;
  }
}
