import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { BarChart } from '#app/components/bar-chart.tsx';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { env } from '#app/core/env.server.ts';
import { badRequest, notFound } from '#app/core/http.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { findStudioProject, getProjectDashboard, type PatronRow } from '#app/modules/studio/dashboard.server.ts';
import { parsePatronFilters, patronFiltersQuery } from '#app/modules/studio/filters.ts';
import { amountLabel, formatDay } from '#app/modules/pledges/labels.ts';
import { formatMonth, smallestUnitName } from '#app/modules/studio/format.ts';
import { PATRON_STATUS_LABELS, PATRON_STATUSES, type Concentration, type IncomeMonth, type IncomeSeries, type MonthFigure } from '#app/modules/studio/metrics.ts';
import studioStyles from '#app/styles/studio.css?url';
import { formatMoney } from '#app/utils/money.ts';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: studioStyles }];

/** One project's dashboard for its maker: numbers, income, resilience and the patrons list. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const project = (await findStudioProject(db, { projectId: params.projectId ?? '', makerId: user.id })) ?? notFound('There is no project of yours at this address.');
  const parsed = parsePatronFilters(new URL(request.url).searchParams);
  if (!parsed.success) badRequest(`Those filters did not make sense: ${parsed.message}.`);
  const dashboard = await getProjectDashboard(db, project, parsed.filters, new Date());
  return {
    ...dashboard,
    filters: { status: parsed.filters.status ?? '', tier: parsed.filters.tier ?? '' },
    shareUrl: new URL(project.publicPath, env().APP_URL).href,
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.project.name} · Studio · Makerfund` : 'Studio · Makerfund' }];

type Dashboard = ReturnType<typeof useLoaderData<typeof loader>>;

export default function ProjectDashboard() {
  const dashboard = useLoaderData<typeof loader>();
  const { project } = dashboard;
  return (
    <article className="studio-dashboard stack">
      <header className="studio-header">
        <p className="muted breadcrumb">
          <Link to="/studio">Studio</Link> / {project.name}
        </p>
        <h1>{project.name}</h1>
        <p>
          <Link to={project.publicPath}>See the public page</Link>
        </p>
      </header>
      <Numbers dashboard={dashboard} />
      <Resilience concentration={dashboard.concentration} />
      <Income income={dashboard.income} />
      <Patrons dashboard={dashboard} />
    </article>
  );
}

function Numbers({ dashboard }: { dashboard: Dashboard }) {
  const { revenue, statusCounts, churn } = dashboard;
  const patrons = revenue.reduce((sum, entry) => sum + entry.patrons, 0);
  return (
    <section aria-labelledby="numbers-title">
      <h2 id="numbers-title" className="visually-hidden">
        Key numbers
      </h2>
      <dl className="stat-grid">
        {revenue.map((entry) => (
          <div className="stat" key={entry.currency} data-stat="mrr">
            <dt>{revenue.length > 1 ? `Monthly recurring revenue (${entry.currency.toUpperCase()})` : 'Monthly recurring revenue'}</dt>
            <dd className="stat-value">{formatMoney(entry.monthly, entry.currency)}</dd>
            <dd className="stat-note">
              {`What active (including cancelling) and past-due pledges bring in a month. Yearly pledges count as a twelfth, rounded to the nearest ${smallestUnitName(entry.currency)}.`}
            </dd>
          </div>
        ))}
        <div className="stat" data-stat="patrons">
          <dt>Patrons</dt>
          <dd className="stat-value">{patrons}</dd>
          <dd className="stat-note">{`${statusCounts.active} active · ${statusCounts.past_due} past due · ${statusCounts.cancelling} cancelling`}</dd>
        </div>
        <div className="stat" data-stat="churn">
          <dt>{`Churn, last ${churn.days} days`}</dt>
          <dd className="stat-value">{churn.rate === null ? '—' : `${churn.rate}%`}</dd>
          <dd className="stat-note">
            {churn.rate === null
              ? `No pledges were live on ${formatDay(churn.windowStart)}, so there is nothing to compare with yet.`
              : `${churn.ended} ${churn.ended === 1 ? 'pledge' : 'pledges'} ended in the last ${churn.days} days; ${churn.liveAtStart} ${churn.liveAtStart === 1 ? 'was' : 'were'} live on ${formatDay(churn.windowStart)}.`}
          </dd>
        </div>
      </dl>
    </section>
  );
}

function resilienceSentences(entry: Concentration, labelCurrency: boolean): string[] {
  const income = labelCurrency ? `monthly ${entry.currency.toUpperCase()} income` : 'monthly income';
  if (entry.patrons === 1) return [`Your only patron gives 100% of ${income}: one cancellation would stop it.`];
  const sentences = [`Your largest patron gives ${entry.top1Share}% of ${income}.`];
  if (entry.patrons > 3) sentences.push(`Your top 3 patrons give ${entry.top3Share}%.`);
  sentences.push(`If your largest patron left, it would fall from ${formatMoney(entry.total, entry.currency)} to ${formatMoney(entry.total - entry.top1, entry.currency)} a month.`);
  return sentences;
}

function Resilience({ concentration }: { concentration: Concentration[] }) {
  return (
    <section aria-labelledby="resilience-title" className="card stack">
      <h2 id="resilience-title">Income resilience</h2>
      {concentration.length === 0 ? (
        <p className="muted">Once patrons pledge, you will see here how much of your income rests on your largest patrons.</p>
      ) : (
        <>
          {concentration.map((entry) => (
            <p className="resilience" key={entry.currency}>
              {resilienceSentences(entry, concentration.length > 1).join(' ')}
            </p>
          ))}
          <p className="muted">The smaller these shares, the less a single cancellation changes what you earn.</p>
        </>
      )}
    </section>
  );
}

function figure(value: MonthFigure, month: IncomeMonth, currency: string): string {
  if (value.pending === 0) return formatMoney(value.known, currency);
  if (value.pending === month.invoices) return 'pending';
  return `${formatMoney(value.known, currency)} + ${value.pending} pending`;
}

function Income({ income }: { income: IncomeSeries[] }) {
  return (
    <section aria-labelledby="income-title" className="stack">
      <h2 id="income-title">Income per month</h2>
      <p className="muted">Paid pledge invoices in the last 12 months, by the month they were paid (UTC). Refunds and disputes are not subtracted here.</p>
      {income.map((series) => (
        <IncomeForCurrency key={series.currency} series={series} labelCurrency={income.length > 1} />
      ))}
    </section>
  );
}

function IncomeForCurrency({ series, labelCurrency }: { series: IncomeSeries; labelCurrency: boolean }) {
  const { currency, months, total } = series;
  const money = (value: number) => formatMoney(value, currency);
  const suffix = labelCurrency ? ` (${currency.toUpperCase()})` : '';
  if (total.invoices === 0) {
    return (
      <div className="empty-state">
        <p>{`No payments${suffix} in the last 12 months yet. Each month's income shows here once a patron's payment goes through.`}</p>
      </div>
    );
  }
  const pendingNote = total.net.pending > 0 ? ` Net leaves out ${total.net.pending} ${total.net.pending === 1 ? 'payment' : 'payments'} whose fees are not known yet.` : '';
  return (
    <div className="stack">
      <BarChart
        title={`Gross and net income per month, last 12 months${suffix}`}
        summary={`Over the last 12 months: ${money(total.gross)} gross, ${money(total.net.known)} net to you after fees.${pendingNote}`}
        categoryName="Month"
        categories={months.map((month) => formatMonth(month.month))}
        axisLabels={months.map((month) => formatMonth(month.month, { short: true }))}
        series={[
          { name: 'Gross', className: 'bar-gross', values: months.map((month) => month.gross) },
          { name: 'Net to you', className: 'bar-net', values: months.map((month) => month.net.known) },
        ]}
        formatValue={money}
      />
      <div className="table-scroll">
        <table className="income-table" id={`income-${currency}`}>
          <caption>{`Where each month's money went${suffix}`}</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="numeric">
                Payments
              </th>
              <th scope="col" className="numeric">
                Gross
              </th>
              <th scope="col" className="numeric">
                Stripe fee
              </th>
              <th scope="col" className="numeric">
                Platform fee
              </th>
              <th scope="col" className="numeric">
                Net to you
              </th>
            </tr>
          </thead>
          <tbody>
            {months.map((month) => (
              <tr key={month.month}>
                <th scope="row">{formatMonth(month.month)}</th>
                <td className="numeric">{month.invoices}</td>
                <td className="numeric">{money(month.gross)}</td>
                <td className="numeric">{figure(month.stripeFee, month, currency)}</td>
                <td className="numeric">{figure(month.platformFee, month, currency)}</td>
                <td className="numeric">{figure(month.net, month, currency)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">12 months</th>
              <td className="numeric">{total.invoices}</td>
              <td className="numeric">{money(total.gross)}</td>
              <td className="numeric">{figure(total.stripeFee, total, currency)}</td>
              <td className="numeric">{figure(total.platformFee, total, currency)}</td>
              <td className="numeric">{figure(total.net, total, currency)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </div>
  );
}

function nextCharge(row: PatronRow): string {
  switch (row.status) {
    case 'active':
      return row.nextChargeAt ? formatDay(row.nextChargeAt) : '—';
    case 'past_due':
      return row.nextChargeAt ? `Retry on ${formatDay(row.nextChargeAt)}` : 'Payment failed';
    case 'cancelling':
      return row.endsAt ? `None: ends ${formatDay(row.endsAt)}` : 'None: ends at period end';
    case 'ended':
      return row.endsAt ? `None: ended ${formatDay(row.endsAt)}` : 'None';
  }
}

function Patrons({ dashboard }: { dashboard: Dashboard }) {
  const { project, patrons, filters, tiers, statusCounts, shareUrl } = dashboard;
  const everyone = PATRON_STATUSES.reduce((sum, status) => sum + statusCounts[status], 0);
  const filtered = Boolean(filters.status || filters.tier);
  const query = (page: number) => patronFiltersQuery({ status: filters.status, tier: filters.tier, page });
  const basePath = `/studio/projects/${project.id}`;
  return (
    <section aria-labelledby="patrons-title" className="stack">
      <div className="section-heading">
        <h2 id="patrons-title">Patrons</h2>
        {everyone > 0 ? (
          <a className="button button-secondary button-small" href={`${basePath}/patrons.csv${patronFiltersQuery(filters)}`} download>
            {filtered ? 'Download these patrons (CSV)' : 'Download all patrons (CSV)'}
          </a>
        ) : null}
      </div>
      {everyone === 0 ? (
        <div className="empty-state">
          <p>
            No patrons yet — share your project page: <a href={project.publicPath}>{shareUrl}</a>
          </p>
        </div>
      ) : (
        <>
          <Form method="get" action={basePath} className="filters" key={`${filters.status}|${filters.tier}`}>
            <div className="field">
              <label htmlFor="filter-status">Status</label>
              <select id="filter-status" name="status" defaultValue={filters.status}>
                <option value="">{`Any status (${everyone})`}</option>
                {PATRON_STATUSES.map((status) => (
                  <option key={status} value={status}>{`${PATRON_STATUS_LABELS[status]} (${statusCounts[status]})`}</option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="filter-tier">Tier</label>
              <select id="filter-tier" name="tier" defaultValue={filters.tier}>
                <option value="">Any tier</option>
                {tiers.map((tier) => (
                  <option key={tier.id} value={tier.id}>
                    {tier.archived ? `${tier.name} (archived)` : tier.name}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="button-small">
              Show patrons
            </button>
            {filtered ? <Link to={basePath}>Clear filters</Link> : null}
          </Form>
          {patrons.rows.length === 0 ? (
            <div className="empty-state">
              <p>
                {patrons.total === 0 ? 'No patrons match these filters. ' : 'This page is past the end of the list. '}
                <Link to={patrons.total === 0 ? basePath : `${basePath}${query(1)}`}>{patrons.total === 0 ? 'Show all patrons' : 'Go to the first page'}</Link>
              </p>
            </div>
          ) : (
            <div className="table-scroll">
              <table className="patrons-table" id="patrons">
                <caption className="visually-hidden">{`Patrons, ${patrons.total} in all`}</caption>
                <thead>
                  <tr>
                    <th scope="col">Patron</th>
                    <th scope="col">Tier</th>
                    <th scope="col" className="numeric">
                      Amount
                    </th>
                    <th scope="col">Status</th>
                    <th scope="col">Since</th>
                    <th scope="col">Next charge</th>
                  </tr>
                </thead>
                <tbody>
                  {patrons.rows.map((row) => (
                    <tr key={row.pledgeId}>
                      <td>
                        <span className="patron-name">{row.displayName}</span> <Link to={`/@${row.handle}`}>{`@${row.handle}`}</Link>
                      </td>
                      <td>{row.tierName}</td>
                      <td className="numeric">{amountLabel(row.amount, row.currency, row.interval)}</td>
                      <td>
                        <span className={`status status-${row.status}`}>{PATRON_STATUS_LABELS[row.status]}</span>
                      </td>
                      <td className="date">{formatDay(row.since)}</td>
                      <td>{nextCharge(row)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {patrons.pageCount > 1 ? (
            <nav className="pagination" aria-label="Patron pages">
              {patrons.page > 1 ? (
                <Link to={`${basePath}${query(patrons.page - 1)}`} rel="prev">
                  Previous
                </Link>
              ) : null}
              <span>{`Page ${patrons.page} of ${patrons.pageCount}`}</span>
              {patrons.page < patrons.pageCount ? (
                <Link to={`${basePath}${query(patrons.page + 1)}`} rel="next">
                  Next
                </Link>
              ) : null}
            </nav>
          ) : null}
        </>
      )}
    </section>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
