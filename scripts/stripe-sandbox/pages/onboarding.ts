/**
 * Hosted Connect onboarding at an account link's url: the maker fills a short form (test data
 * is fine), agrees, and returns to `return_url` with the account enabled (account.updated).
 * Expired or used links go to `refresh_url`, like Stripe. Also a tiny Express dashboard for
 * login links.
 */
import type { PageRoute } from '../api.ts';
import { completeOnboarding } from '../connect.ts';
import { balanceObject } from '../balance.ts';
import { escapeHtml, formatMoney, layout } from './layout.ts';

function field(id: string, label: string, opts: { type?: string; autocomplete?: string; placeholder?: string; value?: string } = {}): string {
  return `<label for="${id}">${escapeHtml(label)}</label>
    <input type="${opts.type ?? 'text'}" id="${id}" name="${id}" ${opts.autocomplete ? `autocomplete="${opts.autocomplete}"` : ''}
      placeholder="${escapeHtml(opts.placeholder ?? '')}" value="${escapeHtml(opts.value ?? '')}">`;
}

export const pages: PageRoute[] = [
  {
    method: 'GET',
    path: '/connect/onboarding/:token',
    handler: ({ engine, params }) => {
      const link = engine.store.internal.accountLinks[params['token'] ?? ''];
      if (!link) return { status: 404, html: layout('Onboarding', '<div class="card"><h1>This link is not valid</h1></div>') };
      if (link.used || link.visited || link.expires_at < engine.now()) return { redirect: link.refresh_url };
      const account = engine.store.get('account', link.account);
      if (!account) return { status: 404, html: layout('Onboarding', '<div class="card"><h1>This account no longer exists</h1></div>') };
      link.visited = true;
      const body = `
        <div class="card" style="max-width:560px;margin:0 auto">
          <h1>Get paid by Makerfund</h1>
          <p class="muted">Makerfund partners with Stripe for secure payouts. Test mode: use any test values, e.g. routing number <code>110000000</code> and account number <code>000123456789</code>.</p>
          <form method="post" action="/connect/onboarding/${escapeHtml(link.token)}" data-once>
            <fieldset>
              <legend>About you</legend>
              <div class="row">
                <div>${field('first_name', 'First name', { autocomplete: 'given-name' })}</div>
                <div>${field('last_name', 'Last name', { autocomplete: 'family-name' })}</div>
              </div>
              ${field('email', 'Email address', { type: 'email', autocomplete: 'email', value: account.email ?? '' })}
              ${field('phone', 'Mobile phone', { type: 'tel', autocomplete: 'tel' })}
              ${field('dob', 'Date of birth', { placeholder: 'YYYY-MM-DD' })}
              ${field('ssn_last_4', 'Last 4 digits of SSN', { placeholder: '0000' })}
              ${field('website', 'Business website', { type: 'text', placeholder: 'https://', value: account.business_profile?.url ?? '' })}
            </fieldset>
            <fieldset style="margin-top:16px">
              <legend>Where payouts go</legend>
              ${field('routing_number', 'Routing number', { placeholder: '110000000' })}
              ${field('account_number', 'Account number', { placeholder: '000123456789' })}
            </fieldset>
            <label style="display:flex;gap:8px;align-items:flex-start;font-weight:400;margin-top:16px">
              <input type="checkbox" name="tos" value="accepted" required>
              <span>I agree to the Stripe Connected Account Agreement.</span>
            </label>
            <button type="submit" class="wide">Agree and submit</button>
          </form>
          <p class="hint"><a href="${escapeHtml(link.return_url)}">Exit without finishing</a></p>
        </div>`;
      return { html: layout('Onboarding', body) };
    },
  },
  {
    method: 'POST',
    path: '/connect/onboarding/:token',
    handler: ({ engine, params, form }) => {
      const link = engine.store.internal.accountLinks[params['token'] ?? ''];
      if (!link) return { status: 404, html: layout('Onboarding', '<div class="card"><h1>This link is not valid</h1></div>') };
      if (link.used) return { redirect: link.refresh_url };
      const account = engine.store.get('account', link.account);
      if (!account) return { status: 404, html: layout('Onboarding', '<div class="card"><h1>This account no longer exists</h1></div>') };
      const s = (k: string): string => (typeof form[k] === 'string' ? (form[k] as string).trim() : '');
      completeOnboarding(engine, account, {
        website: s('website'),
        accountNumber: s('account_number'),
        routingNumber: s('routing_number'),
        firstName: s('first_name'),
        lastName: s('last_name'),
      });
      link.used = true;
      return { redirect: link.return_url };
    },
  },
  {
    method: 'GET',
    path: '/connect/dashboard/:account',
    handler: ({ engine, params }) => {
      const account = engine.store.get('account', params['account']);
      if (!account) return { status: 404, html: layout('Dashboard', '<div class="card"><h1>Account not found</h1></div>') };
      const balance = balanceObject(engine, account.id);
      const rows = balance.available
        .map((b) => `<dt>Available (${escapeHtml(b.currency.toUpperCase())})</dt><dd>${escapeHtml(formatMoney(b.amount, b.currency))}</dd>`)
        .join('');
      const payouts = engine.store.list('payout', account.id).slice(0, 10)
        .map((p) => `<li><span>${escapeHtml(new Date(p.created * 1000).toISOString().slice(0, 10))} — ${escapeHtml(p.status)}</span><span>${escapeHtml(formatMoney(p.amount, p.currency))}</span></li>`)
        .join('');
      const body = `
        <div class="card"><h1>Express dashboard</h1><p class="muted">${escapeHtml(account.email ?? account.id)}</p>
          <dl class="facts">${rows}</dl></div>
        <div class="card"><h2>Recent payouts</h2>${payouts ? `<ul class="lines">${payouts}</ul>` : '<p class="muted">No payouts yet.</p>'}</div>`;
      return { html: layout('Express dashboard', body) };
    },
  },
];
