// Browser end-to-end test of Settings → Client area: without an address
// the page and the invitation dialog say so; a wrong address is refused on
// its field; a saved one is normalised, shown in the invitation dialog and
// answered for by the server. The harness is in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ARTIFACTS, launchBrowser, startServer } from './harness.mjs';

test('set the client area address in Settings; the invite dialog follows', { timeout: 90000 }, async (t) => {
  const server = await startServer({ dataDirPrefix: 'grantbook-e2e-area-' });
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const { base, token, api } = server;
  await api('POST', '/api/accounts', { name: 'Acme Ltd' });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  try {
    await page.goto(`${base}/#token=${token}`);
    await page.getByRole('link', { name: 'Settings' }).click();
    const card = page.getByTestId('client-area-settings');
    await card.getByTestId('client-area-nudge').waitFor();
    await card.screenshot({ path: path.join(ARTIFACTS, 'e2e-client-area-unset.png') });
    const zone = await card.getByLabel('Time zone', { exact: true }).inputValue();
    assert.equal(zone, await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'the browser’s zone is offered');

    await card.getByLabel('Address').fill('http://portal.example.com');
    await card.getByRole('button', { name: 'Save client area' }).click();
    await card.getByText(/use https:\/\/ for an address on the internet/).waitFor();

    await card.getByLabel('Address').fill('Portal.Example.com/portal/');
    await card.getByRole('button', { name: 'Save client area' }).click();
    await card.getByText('Contacts sign in at').waitFor();
    assert.equal(await card.getByLabel('Address').inputValue(), 'https://portal.example.com');
    assert.equal(await card.getByTestId('client-area-nudge').count(), 0, 'the nudge is gone');
    await card.screenshot({ path: path.join(ARTIFACTS, 'e2e-client-area.png') });
    const saved = await api('GET', '/api/settings/client-area');
    assert.equal(saved.sign_in, 'https://portal.example.com/portal');
    assert.equal(saved.time_zone, zone);

    // serve now answers for the address's host.
    // (fetch may not set Host; node:http does.)
    const status = await new Promise((resolve, reject) => {
      http.get(base + '/api/health', { headers: { Host: 'portal.example.com' } }, (r) => resolve(r.statusCode)).on('error', reject);
    });
    assert.equal(status, 200);

    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'Invite user' }).first().click();
    const dialog = page.getByTestId('invite-user');
    await dialog.getByText('a welcome email tells them to sign in at https://portal.example.com/portal').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Add new contact, told by email: without a mail server that is refused
    // on the checkbox, and nothing is saved.
    await page.getByRole('button', { name: 'Add new contact' }).first().click();
    const add = page.getByTestId('add-contact');
    await add.getByLabel('First name', { exact: true }).fill('Ada');
    await add.getByLabel('Last name', { exact: true }).fill('Lovelace');
    await add.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await add.getByTestId('add-notify').check();
    await add.getByRole('button', { name: 'Save contact' }).click();
    await add.getByText('Set up the mail server under Settings first').waitFor();
    assert.equal((await api('GET', '/api/contacts')).total, 0);
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
