// Every page of the owner UI and of the client area at a desktop size
// (1280×800) and a phone size (390×844): no page scrolls sideways, axe-core
// finds no serious or critical violation, and a screenshot of each goes to
// E2E_ARTIFACTS (layout-<size>-<page>.png). On the phone the sidebar is a
// top bar with a menu button, tables are stacked cards with the same
// fields, and dialogs fit the screen and scroll inside.
//
//   GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, SIZES, askForCode, look, launchBrowser, startServer, startSmtpSink, startWindowServer } from './harness.mjs';

let server;
let smtp;
let browser;
const fx = {};

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  smtp = await startSmtpSink();
  server = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-layout-e2e-' });
  browser = await launchBrowser();
  const { api } = server;
  await api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: 'owner@example.test', from_name: 'Layout E2E' },
  });
  fx.account = await api('POST', '/api/accounts', { name: 'Northwind Traders and Partners International Ltd' });
  const id = fx.account.id;
  await api('PATCH', `/api/accounts/${id}`, { email: 'office@northwind.test', phone: '+44 20 7946 0001', address: '1 Harbour Road\nBristol' });
  const svc = await api('POST', `/api/accounts/${id}/services`, { name: 'northwind-traders-international.example', kind: 'domain' });
  await api('POST', `/api/accounts/${id}/services`, { name: 'Business hosting (large)', kind: 'hosting' });
  await api('POST', `/api/accounts/${id}/invoices`, { service_id: svc.id, number: 'INV-2026-0001', amount_cents: 123456, currency: 'EUR', due_at: '2099-12-31' });
  await api('POST', `/api/accounts/${id}/invoices`, { number: 'INV-2026-0002', amount_cents: 990, currency: 'EUR' });
  await api('POST', `/api/accounts/${id}/quotes`, { number: 'Q-100', title: 'Shop redesign with a longer title than usual', amount_cents: 350000, currency: 'EUR' });
  await api('POST', `/api/accounts/${id}/support`, { service_id: svc.id, subject: 'DNS change for the mail records', body: 'Please point MX to the new host.' });
  fx.contact = await api('POST', '/api/contacts', {
    account_id: id,
    first_name: 'Bartholomew',
    last_name: 'Featherstonehaugh-Whittington',
    email: 'bartholomew.featherstonehaugh@northwind-traders.example',
    company: 'Featherstonehaugh Accountancy Partners',
    role: 'accountant',
    preset: 'full',
    admin: { areas: ['orders', 'reports'] },
    expires_at: '2099-06-30',
  });
  await api('POST', '/api/contacts', { account_id: id, first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.test', preset: 'billing' });
  await api('POST', '/api/invitations', { account_id: id, first_name: 'Grace', last_name: 'Hopper', email: 'grace@example.test', preset: 'technical' });
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await server?.stop();
    await smtp?.close();
  }
});

/** The checks every page gets at every size. */
const check = (page, size, name) => look(page, `${size.name} ${name}`, `layout-${size.name}-${name}.png`);

async function newPage(size) {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** Runs steps in a fresh page; on failure a screenshot names the step. */
async function inPage(size, name, steps) {
  const { context, page, errors } = await newPage(size);
  try {
    await steps(page);
    assert.deepEqual(errors, [], 'the page threw errors');
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, `layout-${size.name}-${name}-failure.png`), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

for (const size of SIZES) {
  const phone = size.name === 'phone';

  test(`owner UI at ${size.width}×${size.height}`, { timeout: 120000 }, () =>
    inPage(size, 'owner', async (page) => {
      const { base, token } = server;
      await page.goto(`${base}/`);
      await page.getByTestId('signin').waitFor();
      await check(page, size, 'signin');

      await page.goto('about:blank'); // a fresh load takes the token from the address
      await page.goto(`${base}/#token=${token}`);
      await page.getByTestId('contact-row').first().waitFor();
      await check(page, size, 'contacts');
      if (phone) {
        // Stacked cards: the header row is hidden, each cell names its column.
        const cell = page.getByTestId('contact-row').first().locator('td').nth(2); // after the checkbox and the name
        assert.equal(await cell.evaluate((td) => getComputedStyle(td, '::before').content), '"Email"');
        assert.equal(await page.locator('table.data thead').evaluate((el) => el.getBoundingClientRect().height <= 1), true);
        // The sidebar is a top bar: the menu button opens the navigation.
        const menu = page.getByRole('button', { name: 'Menu' });
        assert.equal(await page.getByRole('link', { name: 'Audit log' }).isVisible(), false);
        await menu.click();
        assert.equal(await menu.getAttribute('aria-expanded'), 'true');
        await page.getByRole('link', { name: 'Audit log' }).click();
        await page.getByRole('heading', { name: 'Audit log' }).waitFor();
        assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      } else {
        assert.equal(await page.getByRole('button', { name: 'Menu' }).isVisible(), false);
      }

      await page.goto(`${base}/#/contacts`);
      await page.getByRole('button', { name: 'Add new contact' }).first().click();
      const dialog = page.getByTestId('add-contact');
      await dialog.waitFor();
      // The dialog focuses its first field, fits the screen and scrolls inside.
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'first_name');
      const box = await dialog.evaluate((d) => {
        const r = d.getBoundingClientRect();
        const c = d.querySelector('.content');
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, scrolls: c.scrollHeight > c.clientHeight, overflow: getComputedStyle(c).overflowY };
      });
      assert.ok(box.left >= 0 && box.top >= 0 && box.right <= size.width && box.bottom <= size.height, `${size.name}: the dialog leaves the screen ${JSON.stringify(box)}`);
      assert.ok(box.scrolls && box.overflow === 'auto', `${size.name}: the dialog's content does not scroll inside ${JSON.stringify(box)}`);
      await check(page, size, 'add-contact');
      await dialog.getByRole('button', { name: 'Cancel' }).click();

      const pages = [
        ['contact-detail', `#/contacts/${fx.contact.id}`, () => page.getByTestId('session-row').or(page.getByText('has not signed in')).first().waitFor()],
        ['invitations', '#/invitations', () => page.getByTestId('invitation-row').first().waitFor()],
        ['accounts', `#/accounts/${fx.account.id}`, () => page.getByTestId('services-table').waitFor()],
        ['audit', '#/audit', () => page.getByTestId('audit-table').waitFor()],
        ['settings', '#/settings', () => page.getByTestId('template-settings').getByLabel('Message', { exact: true }).waitFor()],
      ];
      for (const [name, hash, ready] of pages) {
        await page.goto(`${base}/${hash}`);
        await ready();
        await check(page, size, name);
      }
      for (const [tab, testid] of [
        ['Invoices', 'account-invoices'],
        ['Quotes', 'account-quotes'],
        ['Support requests', 'account-support'],
        ['Profile', 'account-profile'],
      ]) {
        await page.goto(`${base}/#/accounts/${fx.account.id}`);
        await page.getByRole('tab', { name: tab }).click();
        await page.getByTestId(testid).waitFor();
        await check(page, size, `accounts-${testid.replace('account-', '')}`);
      }
    }),
  );

  test(`client area at ${size.width}×${size.height}`, { timeout: 120000 }, () =>
    inPage(size, 'portal', async (page) => {
      const { base } = server;
      await page.goto(`${base}/portal`);
      await page.getByTestId('portal-signin').waitFor();
      await check(page, size, 'portal-signin');
      const code = await askForCode(page, base, smtp, fx.contact.email, () => server.log);
      await check(page, size, 'portal-code');
      await page.getByLabel('6-digit code').fill(code);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByTestId('portal-services').waitFor();
      await check(page, size, 'portal-home');

      for (const [section, testid] of [
        ['invoices', 'portal-invoices'],
        ['quotes', 'portal-quotes'],
        ['support', 'portal-support'],
        ['profile', 'portal-profile'],
        ['requests', 'portal-requests'],
        ['security', 'portal-security'],
      ]) {
        await page.goto(`${base}/portal#/${section}`);
        await page.getByTestId(testid).waitFor();
        await check(page, size, testid);
      }
      await page.goto(`${base}/portal#/support`);
      await page.getByTestId('portal-support').waitFor();
      await page.getByRole('button', { name: 'Open a request' }).first().click();
      await page.getByTestId('support-form').waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'sr-service');
      await check(page, size, 'portal-support-form');
    }),
  );
}

test('the desktop lock screen at both sizes', { timeout: 180000 }, async () => {
  const win = await startWindowServer({ passphrase: 'correct horse battery', account: 'Layout Lock Ltd' });
  try {
    for (const size of SIZES) {
      await inPage(size, 'lock-screen', async (page) => {
        // The Wails bindings' presence makes the page the desktop one.
        await page.context().addInitScript(() => {
          window.go = { app: { App: { ExportBackup: async () => '', RestoreBackup: async () => null } } };
        });
        await page.goto(`${win.base}/`);
        await page.getByTestId('lock-screen').waitFor();
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'lock-pass');
        await check(page, size, 'lock-screen');
      });
    }
  } finally {
    await win.stop();
  }
});
