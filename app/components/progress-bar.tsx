/**
 * A horizontal bar for "how far along": a campaign's raised amount, a tier's taken places.
 * `label` names what is measured for screen readers; `valueText` is what they read out
 * ("3 of 10 places taken"). Values beyond max (an over-funded campaign) fill the bar.
 * Layout is inline so the bar works on any page, whatever stylesheets it links.
 */
export function ProgressBar({ value, max, label, valueText, tone = 'brand' }: { value: number; max: number; label: string; valueText?: string; tone?: 'brand' | 'muted' }) {
  const ratio = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  return (
    <div
      className={`progress-bar progress-bar-${tone}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={Math.min(Math.max(0, value), max)}
      aria-valuetext={valueText}
      style={{ height: '0.5rem', borderRadius: '999px', background: 'var(--line, #e4e0d8)', overflow: 'hidden' }}
    >
      <div
        className="progress-bar-fill"
        style={{ width: `${(ratio * 100).toFixed(2)}%`, height: '100%', borderRadius: 'inherit', background: tone === 'brand' ? 'var(--brand, #0f6b5c)' : 'var(--muted, #5f5a52)' }}
      />
    </div>
  );
}
