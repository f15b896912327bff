import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readOutbox } from '#app/core/email.server.ts';
import { launchBrowser, startProductionServer, type RunningServer } from './harness.ts';

let server: RunningServer;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startProductionServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

test('a maker signs up, logs out, logs back in and edits their public page', async () => {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // A 400 answer to a refused form is expected; anything else logged as an error is a bug.
    if (message.type() === 'error' && !message.text().includes('status of 400')) pageErrors.push(message.text());
  });

  await page.goto(server.url);
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill('lin@example.test');
  await page.getByLabel('Display name').fill('Lin Wei');
  await page.getByLabel('Handle').fill('lin-wei');
  // Client-side validation (hydrated React + conform) answers before any request.
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Password').blur();
  await expect.poll(() => page.getByText('Use at least 8 characters').isVisible()).toBe(true);
  await page.getByLabel('Password').fill('a sturdy passphrase');
  await page.getByRole('button', { name: 'Create account' }).click();

  await page.waitForURL('**/settings/profile?welcome=1');
  await expect.poll(() => page.getByRole('banner').textContent()).toContain('Signed in as Lin Wei');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect.poll(() => page.getByRole('banner').getByRole('link', { name: 'Log in' }).isVisible()).toBe(true);

  await page.getByRole('banner').getByRole('link', { name: 'Log in' }).click();
  await page.getByLabel('Email').fill('lin@example.test');
  await page.getByLabel('Password').fill('the wrong passphrase');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect.poll(() => page.getByText('That email and password do not match an account').isVisible()).toBe(true);
  await page.getByLabel('Password').fill('a sturdy passphrase');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect.poll(() => page.getByRole('banner').textContent()).toContain('Signed in as Lin Wei');

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Bio').fill('I build terminal tools.\nSponsors keep them alive.');
  await page.getByLabel('Link 1 label').fill('GitHub');
  await page.getByLabel('Link 1 URL').fill('https://github.com/lin-wei');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect.poll(() => page.getByRole('status').textContent()).toContain('Saved');

  await page.goto(`${server.url}/@lin-wei`);
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Lin Wei');
  expect(await page.getByText('I build terminal tools.').isVisible()).toBe(true);
  expect(await page.getByRole('link', { name: 'GitHub' }).getAttribute('href')).toBe('https://github.com/lin-wei');

  // The welcome email went through the job queue to the outbox.
  await expect
    .poll(async () => (await readOutbox(path.join(server.dataDir, 'outbox'))).map((email) => `${email.to}: ${email.subject}`), { timeout: 15_000 })
    .toContain('lin@example.test: Welcome to Makerfund');

  expect(pageErrors).toEqual([]);
});

test('the layout works on a phone-sized screen and 404s help', async () => {
  const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
  const response = await page.goto(`${server.url}/@nobody-here`);
  expect(response?.status()).toBe(404);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
  expect(await page.getByText('There is no maker called @nobody-here').isVisible()).toBe(true);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
});
