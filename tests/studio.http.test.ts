import { afterAll, beforeAll, expect, test } from 'vitest';
import { env } from '#app/core/env.server.ts';
import { formatDay } from '#app/modules/pledges/labels.ts';
import { formatMonth } from '#app/modules/studio/format.ts';
import { lastMonths } from '#app/modules/studio/metrics.ts';
import { Browserish, logIn, startTestApp } from './http.ts';
import { createTestUser, type TestUser } from './factories.ts';
import { insertInvoice, insertPatron, insertPledge, insertProject, insertTier } from './factories/studio.ts';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
const daysAhead = (days: number) => new Date(NOW.getTime() + days * DAY);
/** The 15th of the month `back` months before this one, UTC. */
const monthsAgo = (back: number) => new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() - back, 15, 12));
const MONTHS = lastMonths(NOW, 12);
const monthKey = (date: Date) => `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;

let app: Awaited<ReturnType<typeof startTestApp>>;
let maker: TestUser;
let outsider: TestUser;
const ids = { project: '', empty: '', sponsor: '', supporter: '', early: '' };
const dates = {
  grace: { since: daysAgo(100), next: daysAhead(10) },
  evil: { since: daysAgo(50), next: daysAhead(300) },
  ada: { since: daysAgo(40), ends: daysAhead(5) },
  charles: { since: daysAgo(35), retry: daysAhead(2) },
  ended: { since: daysAgo(200), ended: daysAgo(10) },
};
const paidThisMonth = new Date(Math.max(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), 1), NOW.getTime() - 60_000));

/**
 * One project with every kind of patron: active (monthly and yearly), cancelling, past due
 * on an archived tier, ended, and a checkout that never finished. Names a spreadsheet would
 * run as formulas, and names with commas and quotes.
 */
beforeAll(async () => {
  app = await startTestApp();
  maker = await createTestUser({ handle: 'ada-maker', displayName: 'Ada Maker' });
  outsider = await createTestUser({ handle: 'someone-else' });
  const project = await insertProject(maker.id, { slug: 'analytical-engine', name: 'Analytical Engine', currency: 'eur' });
  ids.project = project.id;
  ids.empty = (await insertProject(maker.id, { slug: 'difference-engine', name: 'Difference Engine' })).id;
  const sponsor = await insertTier(project.id, { name: 'Sponsor', monthlyAmount: 2500, position: 1 });
  const supporter = await insertTier(project.id, { name: 'Supporter', monthlyAmount: 500, yearlyAmount: 6000, position: 0 });
  const early = await insertTier(project.id, { name: '-Early bird', monthlyAmount: 700, position: 2, archivedAt: daysAgo(20) });
  Object.assign(ids, { sponsor: sponsor.id, supporter: supporter.id, early: early.id });

  const grace = await insertPatron({ handle: 'grace', displayName: 'Grace Hopper' });
  const evil = await insertPatron({ handle: 'mallory', displayName: '=HYPERLINK("https://evil.example","Click")' });
  const ada = await insertPatron({ handle: 'ada', displayName: 'Lovelace, "Ada"' });
  const charles = await insertPatron({ handle: 'charles', displayName: '@charles' });
  const gone = await insertPatron({ handle: 'gone', displayName: 'Gone Patron' });
  const shopper = await insertPatron({ handle: 'shopper', displayName: 'Window Shopper' });

  const base = { projectId: project.id };
  const gracePledge = await insertPledge({ ...base, patronId: grace.id, tierId: sponsor.id, amount: 2500, startedAt: dates.grace.since, currentPeriodEnd: dates.grace.next });
  const evilPledge = await insertPledge({ ...base, patronId: evil.id, tierId: supporter.id, interval: 'year', amount: 6000, startedAt: dates.evil.since, currentPeriodEnd: dates.evil.next });
  await insertPledge({ ...base, patronId: ada.id, tierId: supporter.id, amount: 500, cancelAtPeriodEnd: true, startedAt: dates.ada.since, currentPeriodEnd: dates.ada.ends });
  const charlesPledge = await insertPledge({ ...base, patronId: charles.id, tierId: early.id, amount: 700, status: 'past_due', startedAt: dates.charles.since, currentPeriodEnd: daysAgo(1) });
  const gonePledge = await insertPledge({ ...base, patronId: gone.id, tierId: sponsor.id, amount: 2500, status: 'ended', startedAt: dates.ended.since, endedAt: dates.ended.ended });
  await insertPledge({ ...base, patronId: shopper.id, tierId: sponsor.id, amount: 2500, status: 'pending', startedAt: null });

  // Income: this month, last month, two months ago (yearly, fee not known yet), five months ago, and 13 months ago (outside the window).
  const split = { amountPaid: 2500, stripeFee: 103, platformFee: 125, makerNet: 2272 };
  await insertInvoice({ pledgeId: gracePledge.id, ...split, paidAt: paidThisMonth });
  await insertInvoice({ pledgeId: gracePledge.id, ...split, paidAt: monthsAgo(1) });
  await insertInvoice({ pledgeId: evilPledge.id, amountPaid: 6000, stripeFee: null, platformFee: 300, makerNet: null, paidAt: monthsAgo(2) });
  await insertInvoice({ pledgeId: gonePledge.id, ...split, paidAt: monthsAgo(5) });
  await insertInvoice({ pledgeId: gonePledge.id, ...split, paidAt: monthsAgo(13) });
  await insertInvoice({ pledgeId: charlesPledge.id, status: 'open', amountPaid: 700, nextPaymentAttempt: dates.charles.retry });

  // Another maker's project with a paying patron: none of it may show up.
  const other = await insertProject(outsider.id, { slug: 'analytical-engine' });
  const otherTier = await insertTier(other.id, { name: 'Other tier', monthlyAmount: 9900 });
  const otherPledge = await insertPledge({ projectId: other.id, patronId: grace.id, tierId: otherTier.id, amount: 9900, startedAt: daysAgo(90) });
  await insertInvoice({ pledgeId: otherPledge.id, amountPaid: 9900, stripeFee: 300, platformFee: 495, makerNet: 9105, paidAt: paidThisMonth });
});

afterAll(async () => {
  await app?.stop();
});

function decode(html: string): string {
  return html
    .replace(/<!-- -->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The text of every cell, row by row, of the table with this id (tbody and tfoot). */
function tableRows(html: string, id: string): string[][] {
  const table = html.match(new RegExp(`<table[^>]*id="${id}"[^>]*>([\\s\\S]*?)</table>`))?.[1];
  if (!table) throw new Error(`no table #${id}`);
  const body = table.replace(/<thead>[\s\S]*?<\/thead>/, '').replace(/<caption[\s\S]*?<\/caption>/, '');
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) => [...(row[1] ?? '').matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => decode(cell[1] ?? '')));
}

function stat(html: string, name: string): string {
  const block = html.match(new RegExp(`data-stat="${name}"[^>]*>([\\s\\S]*?)</div>`))?.[1];
  if (!block) throw new Error(`no stat ${name}`);
  return decode(block);
}

const dashboardPath = () => `/studio/projects/${ids.project}`;

test('the maker sees MRR, patron count, churn and the resilience sentence, exactly', async () => {
  const browser = await logIn(app.url, maker);
  const response = await browser.get(dashboardPath());
  expect(response.status).toBe(200);
  const html = await response.text();
  expect(html).toContain('<title>Analytical Engine · Studio · Makerfund</title>');
  // 2500 + 6000/12 + 500 (cancelling still pays this period) + 700 (past due, Stripe retrying).
  expect(stat(html, 'mrr')).toBe(
    'Monthly recurring revenue €42 What active (including cancelling) and past-due pledges bring in a month. Yearly pledges count as a twelfth, rounded to the nearest cent.',
  );
  expect(stat(html, 'patrons')).toBe('Patrons 4 2 active · 1 past due · 1 cancelling');
  // Five pledges were live 30 days ago (the ended one too); one has ended since.
  expect(stat(html, 'churn')).toBe(`Churn, last 30 days 20% 1 pledge ended in the last 30 days; 5 were live on ${formatDay(daysAgo(30).toISOString())}.`);
  // 2500 of 4200 is 59.5%; the top 3 (2500 + 700 + 500) give 88.1%.
  expect(decode(html)).toContain(
    'Your largest patron gives 60% of monthly income. Your top 3 patrons give 88%. If your largest patron left, it would fall from €42 to €17 a month.',
  );
  // Nothing from the other maker's project (€99 pledge, €99 invoice).
  expect(html).not.toContain('€99');
  expect(html).not.toContain('Other tier');
  expect(html).not.toContain('Window Shopper');
});

test('the income table itemises every month of the last 12: gross, Stripe fee, platform fee, net, "pending" while the fee is unknown', async () => {
  const browser = await logIn(app.url, maker);
  const html = await (await browser.get(dashboardPath())).text();
  const special: Record<string, string[]> = {
    [monthKey(paidThisMonth)]: ['1', '€25', '€1.03', '€1.25', '€22.72'],
    [monthKey(monthsAgo(1))]: ['1', '€25', '€1.03', '€1.25', '€22.72'],
    [monthKey(monthsAgo(2))]: ['1', '€60', 'pending', '€3', 'pending'],
    [monthKey(monthsAgo(5))]: ['1', '€25', '€1.03', '€1.25', '€22.72'],
  };
  const expected = MONTHS.map((month) => [formatMonth(month), ...(special[month] ?? ['0', '€0', '€0', '€0', '€0'])]);
  expected.push(['12 months', '4', '€135', '€3.09 + 1 pending', '€6.75', '€68.16 + 1 pending']);
  expect(tableRows(html, 'income-eur')).toEqual(expected);

  // The chart: SVG drawn on the server, named for screen readers, one bar per non-zero value
  // (gross in 4 months, known net in 3), and its numbers as a table.
  expect(html).toMatch(/<figure class="bar-chart" aria-labelledby="[^"]+" aria-describedby="[^"]+"/);
  expect(html).toContain('class="recharts-surface"');
  expect(decode(html)).toContain('Over the last 12 months: €135 gross, €68.16 net to you after fees. Net leaves out 1 payment whose fees are not known yet.');
  expect(html.match(/class="recharts-rectangle/g)?.length).toBe(7);
  expect(html).toContain('<summary>Show the numbers</summary>');
  expect(html).not.toMatch(/<script(?![^>]*nonce=)/);
});

test('patrons are listed with name, @handle link, tier, amount, status, since and next charge; current ones first', async () => {
  const browser = await logIn(app.url, maker);
  const html = await (await browser.get(dashboardPath())).text();
  expect(tableRows(html, 'patrons')).toEqual([
    ['Grace Hopper @grace', 'Sponsor', '€25/month', 'Active', formatDay(dates.grace.since.toISOString()), formatDay(dates.grace.next.toISOString())],
    ['=HYPERLINK("https://evil.example","Click") @mallory', 'Supporter', '€60/year', 'Active', formatDay(dates.evil.since.toISOString()), formatDay(dates.evil.next.toISOString())],
    ['Lovelace, "Ada" @ada', 'Supporter', '€5/month', 'Cancelling', formatDay(dates.ada.since.toISOString()), `None: ends ${formatDay(dates.ada.ends.toISOString())}`],
    ['@charles @charles', '-Early bird', '€7/month', 'Past due', formatDay(dates.charles.since.toISOString()), `Retry on ${formatDay(dates.charles.retry.toISOString())}`],
    ['Gone Patron @gone', 'Sponsor', '€25/month', 'Ended', formatDay(dates.ended.since.toISOString()), `None: ended ${formatDay(dates.ended.ended.toISOString())}`],
  ]);
  expect(html).toMatch(/<a [^>]*href="\/@grace">@grace<\/a>/);
  // The filter form lists statuses with counts and every tier, archived ones marked.
  expect(decode(html)).toContain('Any status (5) Active (2) Past due (1) Cancelling (1) Ended (1)');
  expect(decode(html)).toContain('Any tier Supporter Sponsor -Early bird (archived)');
  expect(html).toContain(`href="/studio/projects/${ids.project}/patrons.csv"`);
});

test('filters by status and tier through the GET form, and say so when nothing matches', async () => {
  const browser = await logIn(app.url, maker);
  const names = async (query: string) => {
    const response = await browser.get(`${dashboardPath()}?${query}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    return html.includes('id="patrons"') ? tableRows(html, 'patrons').map((row) => row[0]) : decode(html);
  };
  expect(await names('status=cancelling')).toEqual(['Lovelace, "Ada" @ada']);
  expect(await names('status=past_due&tier=')).toEqual(['@charles @charles']);
  expect(await names(`tier=${ids.sponsor}`)).toEqual(['Grace Hopper @grace', 'Gone Patron @gone']);
  expect(await names(`status=ended&tier=${ids.sponsor}`)).toEqual(['Gone Patron @gone']);
  expect(await names(`status=active&tier=${ids.supporter}`)).toEqual(['=HYPERLINK("https://evil.example","Click") @mallory']);
  expect(await names(`status=ended&tier=${ids.supporter}`)).toContain('No patrons match these filters. Show all patrons');
  // The filtered page links the CSV with the same filters.
  const html = await (await browser.get(`${dashboardPath()}?status=active&tier=${ids.supporter}`)).text();
  expect(html).toContain(`href="/studio/projects/${ids.project}/patrons.csv?status=active&amp;tier=${ids.supporter}"`);
  expect(html).toContain('<option value="active" selected="">Active (2)</option>');

  const bad = await browser.get(`${dashboardPath()}?status=pending`);
  expect(bad.status).toBe(400);
  expect(decode(await bad.text())).toContain('Those filters did not make sense: Choose a status from the list.');
});

test('another maker, a visitor and a malformed id never see the dashboard', async () => {
  const other = await logIn(app.url, outsider);
  for (const path of [dashboardPath(), `${dashboardPath()}?status=active`, `${dashboardPath()}/patrons.csv`]) {
    const response = await other.get(path);
    expect(response.status, path).toBe(404);
    const body = await response.text();
    expect(body).not.toContain('Grace Hopper');
    expect(body).not.toContain('Analytical Engine');
  }
  // Route data requests (single fetch) are guarded the same way.
  expect((await other.get(`${dashboardPath()}.data`)).status).toBe(404);

  const owner = await logIn(app.url, maker);
  expect((await owner.get('/studio/projects/not-a-uuid')).status).toBe(404);
  expect((await owner.get('/studio/projects/00000000-0000-4000-8000-000000000000/patrons.csv')).status).toBe(404);

  const visitor = new Browserish(app.url);
  const response = await visitor.get(dashboardPath());
  expect(response.status).toBe(302);
  expect(response.headers.get('location')).toBe(`/login?redirectTo=${encodeURIComponent(dashboardPath())}`);
  expect((await visitor.get(`${dashboardPath()}/patrons.csv`)).status).toBe(302);
});

test('the CSV export has exact bytes: header, RFC 4180 quoting, formula cells defused, ISO dates', async () => {
  const browser = await logIn(app.url, maker);
  const response = await browser.get(`${dashboardPath()}/patrons.csv`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
  expect(response.headers.get('content-disposition')).toBe('attachment; filename="analytical-engine-patrons.csv"');
  expect(response.headers.get('cache-control')).toBe('private, no-store');
  const iso = (date: Date) => date.toISOString();
  expect(await response.text()).toBe(
    [
      'handle,display_name,tier,status,amount_minor,currency,interval,since,next_charge',
      `grace,Grace Hopper,Sponsor,active,2500,EUR,month,${iso(dates.grace.since)},${iso(dates.grace.next)}`,
      `mallory,"'=HYPERLINK(""https://evil.example"",""Click"")",Supporter,active,6000,EUR,year,${iso(dates.evil.since)},${iso(dates.evil.next)}`,
      `ada,"Lovelace, ""Ada""",Supporter,cancelling,500,EUR,month,${iso(dates.ada.since)},`,
      `charles,'@charles,'-Early bird,past_due,700,EUR,month,${iso(dates.charles.since)},${iso(dates.charles.retry)}`,
      `gone,Gone Patron,Sponsor,ended,2500,EUR,month,${iso(dates.ended.since)},`,
      '',
    ].join('\r\n'),
  );

  const filtered = await browser.get(`${dashboardPath()}/patrons.csv?status=active&tier=${ids.sponsor}`);
  expect(await filtered.text()).toBe(
    `handle,display_name,tier,status,amount_minor,currency,interval,since,next_charge\r\ngrace,Grace Hopper,Sponsor,active,2500,EUR,month,${iso(dates.grace.since)},${iso(dates.grace.next)}\r\n`,
  );
  expect((await browser.get(`${dashboardPath()}/patrons.csv?tier=nope`)).status).toBe(400);
});

test('a project without patrons or income says how to get them', async () => {
  const browser = await logIn(app.url, maker);
  const response = await browser.get(`/studio/projects/${ids.empty}`);
  expect(response.status).toBe(200);
  const html = await response.text();
  const text = decode(html);
  expect(text).toContain(`No patrons yet — share your project page: ${new URL('/@ada-maker/difference-engine', env().APP_URL).href}`);
  expect(html).toContain('href="/@ada-maker/difference-engine"');
  expect(text).toContain("No payments in the last 12 months yet. Each month's income shows here once a patron's payment goes through.");
  expect(text).toContain('Once patrons pledge, you will see here how much of your income rests on your largest patrons.');
  expect(stat(html, 'mrr')).toContain('€0');
  expect(stat(html, 'churn')).toContain(`No pledges were live on ${formatDay(daysAgo(30).toISOString())}`);
  expect(html).not.toContain('patrons.csv');
  expect(html).not.toContain('<svg');
  // The empty CSV is still a valid file with its header.
  expect(await (await browser.get(`/studio/projects/${ids.empty}/patrons.csv`)).text()).toBe(
    'handle,display_name,tier,status,amount_minor,currency,interval,since,next_charge\r\n',
  );
});

test('long lists are paged 50 at a time, keeping the filters; yen amounts have no decimals', async () => {
  const project = await insertProject(maker.id, { slug: 'yen-project', name: 'Yen Project', currency: 'jpy' });
  const tier = await insertTier(project.id, { name: 'Koban', monthlyAmount: 500 });
  for (let index = 0; index < 51; index += 1) {
    const patron = await insertPatron({ handle: `yen-${String(index).padStart(2, '0')}`, displayName: `Yen ${index}` });
    await insertPledge({ projectId: project.id, patronId: patron.id, tierId: tier.id, currency: 'jpy', amount: index === 0 ? 12000 : 500, interval: index === 0 ? 'year' : 'month', startedAt: daysAgo(60 - index / 10) });
  }
  const browser = await logIn(app.url, maker);
  const first = await (await browser.get(`/studio/projects/${project.id}?status=active`)).text();
  expect(tableRows(first, 'patrons')).toHaveLength(50);
  expect(decode(first)).toContain('Page 1 of 2');
  expect(first).toContain(`href="/studio/projects/${project.id}?status=active&amp;page=2"`);
  // 50 × ¥500 + ¥12,000 / 12.
  expect(stat(first, 'mrr')).toContain('¥26,000');
  expect(stat(first, 'mrr')).toContain('rounded to the nearest whole JPY');
  expect(tableRows(first, 'patrons')[0]?.[2]).toBe('¥12,000/year');

  const second = await (await browser.get(`/studio/projects/${project.id}?status=active&page=2`)).text();
  expect(tableRows(second, 'patrons').map((row) => row[0])).toEqual(['Yen 50 @yen-50']);
  expect(decode(second)).toContain('Page 2 of 2');
  const beyond = await (await browser.get(`/studio/projects/${project.id}?page=3`)).text();
  expect(decode(beyond)).toContain('This page is past the end of the list. Go to the first page');
});
