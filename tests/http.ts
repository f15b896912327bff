import { startApp, type RunningApp } from '../scripts/lib/app.ts';

/**
 * The real HTTP app (Express + Remix through Vite, as in development) on a
 * random port, against this test file's database. Requests go over real HTTP.
 */
export async function startTestApp(): Promise<RunningApp> {
  return startApp({
    mode: 'development',
    port: 0,
    database: { url: process.env.DATABASE_URL as string, embedded: false, ownedByThisProcess: false, stop: async () => {} },
    log: () => {},
  });
}

/** A tiny cookie-keeping client, so tests read like a browser session. */
export class Browserish {
  readonly base: string;
  readonly cookies = new Map<string, string>();

  constructor(base: string) {
    this.base = base;
  }

  async get(path: string, init: RequestInit = {}): Promise<Response> {
    return this.request(path, { ...init, method: 'GET' });
  }

  /** A form POST as a page of ours would send it (same Origin). */
  async post(path: string, form: Record<string, string>, init: { origin?: string | null; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...init.headers };
    if (init.origin !== null) headers.origin = init.origin ?? this.base;
    return this.request(path, { method: 'POST', body: new URLSearchParams(form).toString(), headers });
  }

  async request(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([key, value]) => `${key}=${value}`).join('; '));
    const response = await fetch(new URL(path, this.base), { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [key, ...rest] = (pair ?? '').split('=');
      const value = rest.join('=');
      if (!key) continue;
      if (value === '' || /max-age=0/i.test(cookie)) this.cookies.delete(key.trim());
      else this.cookies.set(key.trim(), value);
    }
    return response;
  }
}

/** Logs a test user in through the login form, as a person would; the client keeps the session cookie. */
export async function logIn(baseUrl: string, user: { email: string; password: string }): Promise<Browserish> {
  const browser = new Browserish(baseUrl);
  const response = await browser.post('/login', { email: user.email, password: user.password, redirectTo: '/' });
  if (response.status !== 302) throw new Error(`Logging in as ${user.email} answered ${response.status}, not a redirect`);
  return browser;
}

/** Text as a reader sees it in React's HTML: entities decoded. */
export function decodeEntities(html: string): string {
  return html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The messages right under one form field (conform names the list `<form id>-<field name>-error`). */
export function fieldMessages(html: string, name: string): string[] {
  const escaped = name.replace(/[.[\]]/g, (char) => `\\${char}`);
  const list = html.match(new RegExp(`<ul class="field-errors" id="[^"]*-${escaped}-error"[^>]*>(.*?)</ul>`));
  if (!list) throw new Error(`no error list for field ${name}`);
  return [...(list[1] ?? '').matchAll(/<li>(.*?)<\/li>/g)].map((match) => decodeEntities(match[1] as string));
}
