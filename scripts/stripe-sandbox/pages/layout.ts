/** Shared HTML for the sandbox's hosted pages (Checkout, portal, onboarding, invoices, 3-D Secure). */

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

export function formatMoney(amount: number, currency: string): string {
  const cur = currency.toUpperCase();
  const divisor = ZERO_DECIMAL.has(currency.toLowerCase()) ? 1 : 100;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: cur }).format(amount / divisor);
  } catch {
    return `${(amount / divisor).toFixed(divisor === 1 ? 0 : 2)} ${cur}`;
  }
}

export function formatDate(ts: number): string {
  return new Date(ts * 1000).toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
}

export function intervalLabel(interval: string | undefined, count: number | undefined): string {
  if (!interval) return '';
  return count && count > 1 ? `every ${count} ${interval}s` : `per ${interval}`;
}

const CSS = `
:root { color-scheme: light; --ink: #1a1f36; --muted: #5c667a; --line: #dfe3eb; --accent: #4f46e5; --accent-ink: #fff;
  --bad: #b42318; --bad-bg: #fef3f2; --ok: #067647; --ok-bg: #ecfdf3; --bg: #f6f8fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
.banner { background: #fff4e5; color: #7a4d00; text-align: center; font-size: 13px; padding: 6px 12px; border-bottom: 1px solid #f5d9a8; }
main { max-width: 960px; margin: 0 auto; padding: 32px 20px 64px; }
.split { display: grid; grid-template-columns: 1fr 1fr; gap: 48px; align-items: start; }
@media (max-width: 760px) { .split { grid-template-columns: 1fr; gap: 24px; } }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 24px; }
.card + .card { margin-top: 16px; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 0 0 12px; }
p { margin: 0 0 12px; }
.muted { color: var(--muted); }
.amount { font-size: 32px; font-weight: 700; margin: 4px 0 16px; }
.back { display: inline-block; margin-bottom: 20px; color: var(--muted); text-decoration: none; }
.back:hover, .back:focus { color: var(--ink); text-decoration: underline; }
.lines { list-style: none; padding: 0; margin: 0 0 16px; }
.lines li { display: flex; justify-content: space-between; gap: 16px; padding: 8px 0; border-bottom: 1px solid var(--line); }
.lines li:last-child { border-bottom: 0; }
.total { display: flex; justify-content: space-between; font-weight: 600; padding-top: 8px; }
label { display: block; font-size: 14px; font-weight: 600; margin: 14px 0 6px; }
input[type=text], input[type=email], input[type=tel], input[type=url], select { width: 100%; font: inherit; padding: 10px 12px; border: 1px solid #c4cad6; border-radius: 8px; background: #fff; color: var(--ink); }
input:focus, select:focus, button:focus, a:focus { outline: 3px solid rgba(79,70,229,.35); outline-offset: 1px; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
button, .button { display: inline-block; font: inherit; font-weight: 600; border: 0; border-radius: 8px; padding: 12px 18px; cursor: pointer;
  background: var(--accent); color: var(--accent-ink); text-decoration: none; text-align: center; }
button.wide { width: 100%; margin-top: 20px; }
button.secondary, .button.secondary { background: #fff; color: var(--ink); border: 1px solid #c4cad6; }
button.danger, .button.danger { background: #fff; color: var(--bad); border: 1px solid #f1b5ae; }
.error { background: var(--bad-bg); color: var(--bad); border: 1px solid #f1b5ae; border-radius: 8px; padding: 10px 12px; margin: 12px 0; }
.notice { background: var(--ok-bg); color: var(--ok); border: 1px solid #a6e9c3; border-radius: 8px; padding: 10px 12px; margin: 12px 0; }
.hint { font-size: 13px; color: var(--muted); margin-top: 10px; }
.hint code, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 16px; }
.actions form { margin: 0; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; border-radius: 999px; padding: 2px 8px; background: #eef0f5; color: var(--muted); vertical-align: middle; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
fieldset { border: 0; padding: 0; margin: 0; }
legend { font-weight: 600; margin-bottom: 4px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

export function layout(title: string, body: string, opts: { script?: string } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Stripe sandbox</title>
<style>${CSS}</style>
</head>
<body>
<div class="banner" role="note">Test mode — Stripe sandbox. No real money moves.</div>
<main>
${body}
</main>
${opts.script ? `<script>${opts.script}</script>` : ''}
</body>
</html>`;
}

/** Card number, expiry and CVC fields (names: card_number, card_expiry, card_cvc). */
export function cardFields(values: { number?: string; expiry?: string; cvc?: string } = {}): string {
  return `
    <label for="card_number">Card number</label>
    <input type="text" id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" required
      placeholder="4242 4242 4242 4242" value="${escapeHtml(values.number ?? '')}" aria-describedby="card-hint">
    <div class="row">
      <div>
        <label for="card_expiry">Expiry (MM / YY)</label>
        <input type="text" id="card_expiry" name="card_expiry" inputmode="numeric" autocomplete="cc-exp" required placeholder="12 / 34" value="${escapeHtml(values.expiry ?? '')}">
      </div>
      <div>
        <label for="card_cvc">CVC</label>
        <input type="text" id="card_cvc" name="card_cvc" inputmode="numeric" autocomplete="cc-csc" required placeholder="123" value="${escapeHtml(values.cvc ?? '')}">
      </div>
    </div>
    <p class="hint" id="card-hint">Test cards: <code>4242 4242 4242 4242</code> succeeds, <code>4000 0000 0000 9995</code> is declined,
      <code>4000 0025 0000 3155</code> asks for authentication. Any future expiry and any CVC.</p>`;
}

/** Parses `MM / YY` or `MM/YYYY`. */
export function parseExpiry(value: string): { month: number; year: number } | null {
  const m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(value.replace(/\s+/g, ' '));
  if (!m) return null;
  const month = Number(m[1]);
  let year = Number(m[2]);
  if (year < 100) year += 2000;
  if (month < 1 || month > 12) return null;
  return { month, year };
}

/** Tiny progressive enhancement: formats the card number as the person types. */
export const CARD_SCRIPT = `
document.querySelectorAll('input[name=card_number]').forEach(function (el) {
  el.addEventListener('input', function () {
    var d = el.value.replace(/\\D/g, '').slice(0, 19);
    el.value = d.replace(/(.{4})/g, '$1 ').trim();
  });
});
document.querySelectorAll('form[data-once]').forEach(function (f) {
  f.addEventListener('submit', function () {
    var b = f.querySelector('button[type=submit]');
    if (b) { b.disabled = true; b.textContent = b.getAttribute('data-busy') || 'Processing…'; }
  });
});`;

/** The 3D Secure test page: the bank asks to confirm `what` (already HTML-safe); both outcomes post to `action`. */
export function challengePage(what: string, action: string): string {
  const form = (outcome: 'complete' | 'fail', label: string, className = '') => `
            <form method="post" action="${escapeHtml(action)}" data-once>
              <input type="hidden" name="outcome" value="${outcome}">
              <button type="submit"${className ? ` class="${className}"` : ''}>${label}</button>
            </form>`;
  const body = `
        <div class="card" style="max-width:480px;margin:0 auto">
          <h1>3D Secure 2 test page</h1>
          <p>Your bank asks you to confirm ${what}.</p>
          <p class="muted">This is a test authentication. Choose the outcome.</p>
          <div class="actions">${form('complete', 'Complete authentication')}${form('fail', 'Fail authentication', 'danger')}
          </div>
        </div>`;
  return layout('Authenticate', body);
}
