// Browser end-to-end test: the real server binary plus headless Chromium.
//
//   go build -tags sqlite_fts5 -o /tmp/grantbook . && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e
//
// Env: GRANTBOOK_BIN (required) the server binary; CHROMIUM_PATH (default
// /usr/bin/chromium); E2E_ARTIFACTS (default /tmp) where screenshots go.
// The server and browser set-up is in harness.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, launchBrowser, startServer } from './harness.mjs';

let server;
let base;
let TOKEN;
let api;
let browser;

before(async () => {
  server = await startServer({ dataDirPrefix: 'grantbook-e2e-' });
  ({ base, token: TOKEN, api } = server);
  browser = await launchBrowser();
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await server?.stop();
  }
});

test('add a contact with the Billing preset through the UI', { timeout: 90000 }, async () => {
  const account = await api('POST', '/api/accounts', { name: 'E2E Trading Ltd' });
  const service = await api('POST', `/api/accounts/${account.id}/services`, {
    name: 'e2e-shop.example',
    kind: 'domain',
    status: 'active',
  });

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const email = `ada.${Date.now()}@example.com`;
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  try {
    await page.goto(`${base}/#token=${TOKEN}`);
    // The token is taken out of the address bar.
    await page.waitForFunction(() => !location.hash.includes('token='));

    // A fresh account has no contacts: both the header and the empty state
    // offer the button.
    await page.getByTestId('contacts-empty').waitFor();
    await page.getByRole('button', { name: 'Add new contact' }).first().click();

    const dialog = page.getByTestId('add-contact');
    await dialog.waitFor();
    await dialog.getByRole('radio', { name: 'Company' }).click();
    await dialog.getByLabel('First name', { exact: true }).fill('Ada');
    await dialog.getByLabel('Last name', { exact: true }).fill('Lovelace');
    await dialog.getByLabel('Email', { exact: true }).fill(email);
    await dialog.getByLabel('Phone', { exact: true }).fill('+44 20 7946 0000');
    await dialog.getByLabel('Company', { exact: true }).fill('Analytical Engines Ltd');
    await dialog.getByLabel('Role', { exact: true }).selectOption({ label: 'Accountant' });

    await dialog.getByTestId('preset-billing').click();
    assert.equal(await dialog.getByRole('radio', { name: /^Billing/ }).isChecked(), true);
    // The Billing preset ticks the billing actions.
    assert.equal(await dialog.getByRole('checkbox', { name: 'Pay invoices' }).isChecked(), true);
    assert.equal(await dialog.getByRole('checkbox', { name: 'Cancel services' }).isChecked(), false);

    // Limit to the one service.
    await dialog.getByRole('radio', { name: 'Selected services' }).check();
    await dialog.getByRole('checkbox', { name: /e2e-shop\.example/ }).check();

    await dialog.getByRole('button', { name: 'Save contact' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10000 });
    await page.getByTestId('toast').filter({ hasText: 'Contact saved' }).first().waitFor();

    const row = page.getByTestId('contact-row').filter({ hasText: email });
    await row.waitFor();
    const access = (await row.getByTestId('contact-access').textContent())?.trim();
    assert.match(access ?? '', /Billing/, `access cell should show Billing, got "${access}"`);
    const rowText = await row.textContent();
    assert.match(rowText ?? '', /Ada Lovelace/);
    assert.match(rowText ?? '', /1 service/);

    await page.screenshot({ path: path.join(ARTIFACTS, 'contacts.png') });

    const list = await api('GET', `/api/contacts?account_id=${account.id}`);
    const stored = list.contacts.find((c) => c.email === email);
    assert.ok(stored, `contact ${email} not returned by GET /api/contacts`);
    assert.equal(stored.grant.preset, 'billing');
    assert.equal(stored.first_name, 'Ada');
    assert.equal(stored.last_name, 'Lovelace');
    assert.equal(stored.account_type, 'company');
    assert.equal(stored.company, 'Analytical Engines Ltd');
    assert.equal(stored.role, 'accountant');
    assert.deepEqual(stored.grant.service_ids, [service.id]);
    assert.equal(stored.grant.all_services, false);
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, 'contacts-failure.png') }).catch(() => {});
    throw err;
  } finally {
    await page.close();
  }
});
