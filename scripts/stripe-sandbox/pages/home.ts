/** `GET /`: a small status page for developers (switches, recent events and deliveries). */
import type { PageRoute } from '../api.ts';
import { API_VERSION } from '../engine.ts';
import { escapeHtml, layout } from './layout.ts';

export const pages: PageRoute[] = [
  {
    method: 'GET',
    path: '/',
    handler: ({ engine }) => {
      const events = engine.store.list('event', null).slice(0, 25);
      const rows = events
        .map((e) => `<li><span><code>${escapeHtml(e.type)}</code> <span class="muted">${escapeHtml((e.data.object as { id?: string }).id ?? '')}</span></span><span class="muted">${escapeHtml(new Date(e.created * 1000).toISOString().replace('T', ' ').slice(0, 19))}</span></li>`)
        .join('');
      const pending = engine.state.deliveries.filter((d) => d.status === 'pending').length;
      const failed = engine.state.deliveries.filter((d) => d.status === 'failed').length;
      const endpoints = engine.store.list('webhook_endpoint', null)
        .map((w) => `<li><span>${escapeHtml(w.url)}</span><span class="muted">${escapeHtml(w.status)}${engine.store.internal.webhookConnect[w.id] ? ' · connect' : ''}</span></li>`)
        .join('');
      const body = `
        <h1>Stripe sandbox</h1>
        <p class="muted">API version <code>${escapeHtml(API_VERSION)}</code> at <code>${escapeHtml(engine.baseUrl)}</code>.
          Use any <code>sk_test_…</code> key: <code>new Stripe(key, { host, port, protocol: 'http' })</code>.</p>
        <div class="card"><h2>Webhook endpoints</h2>${endpoints ? `<ul class="lines">${endpoints}</ul>` : '<p class="muted">None yet.</p>'}
          <p class="muted">${pending} deliveries pending, ${failed} given up.</p></div>
        <div class="card"><h2>Fault switches</h2><pre>${escapeHtml(JSON.stringify(engine.switches, null, 2))}</pre>
          <p class="hint">Change with <code>POST /v1/_sandbox/switches</code> (form or JSON).</p></div>
        <div class="card"><h2>Latest events</h2>${rows ? `<ul class="lines">${rows}</ul>` : '<p class="muted">No events yet.</p>'}</div>`;
      return { html: layout('Stripe sandbox', body) };
    },
  },
];
