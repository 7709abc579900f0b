// Access requests through the client area's UI, against the real server
// binary: a refusal (the grant changed under an open page) offers "Request
// access" with a note; asking again is "asked already"; asking for what the
// grant allows is "you already have this"; the daily limit is said; a
// site's refusal link (/portal?request=…&item=…) opens the request after
// sign-in; My requests lists them; Ask for more time while the grant ends.
// At a desktop and a phone size, with axe-core and screenshots
// (E2E_ARTIFACTS/requests-<size>-<screen>.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, SIZES, checkEnv, launchBrowser, look, portalNav, portalSignIn, startServer, startSmtpSink } from './harness.mjs';

let server;
let api;
let browser;
let smtp;
let account;

before(async () => {
  checkEnv();
  smtp = await startSmtpSink();
  server = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-requests-e2e-' });
  api = server.api;
  browser = await launchBrowser();
  await api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: 'owner@example.test', from_name: 'Requests E2E' },
  });
  const lc = await api('GET', '/api/settings/lifecycle');
  await api('PUT', '/api/settings/lifecycle', { ...lc, requests_per_day: 3 });
  account = await api('POST', '/api/accounts', { name: 'Requests Ltd' });
  await api('POST', `/api/accounts/${account.id}/invoices`, { number: 'INV-1', amount_cents: 1200 });
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await server?.stop();
    await smtp?.close();
  }
});

const inAMonth = () => new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);

for (const size of SIZES) {
  test(`${size.name}: refusals offer Request access; My requests; Ask for more time`, async () => {
    const email = `bea.${size.name}@example.test`;
    const bea = await api('POST', '/api/contacts', {
      account_id: account.id, first_name: 'Bea', last_name: 'Billing', email, preset: 'billing', expires_at: inAMonth(),
    });
    const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
    const page = await context.newPage();
    const shot = (name) => look(page, `${size.name} ${name}`, `requests-${size.name}-${name}.png`);
    const dialog = page.getByTestId('request-dialog');
    const send = async (note) => {
      if (note !== undefined) await dialog.getByLabel('Note to the owner').fill(note);
      await dialog.getByRole('button', { name: 'Send request' }).click();
      await dialog.getByTestId('request-outcome').or(dialog.getByTestId('request-error')).first().waitFor();
    };
    try {
      await portalSignIn(page, server.base, smtp, email, () => server.log);
      await portalNav(page, 'Invoices');
      await page.getByTestId('portal-invoice-row').first().waitFor();

      // The owner takes invoices away; the next visit is refused and offers the request.
      await api('PATCH', `/api/contacts/${bea.id}`, { preset: 'technical' });
      await portalNav(page, 'Invoices');
      const offer = page.getByTestId('refusal-offer');
      await offer.waitFor();
      assert.match(await offer.innerText(), /invoices\.view/);
      await shot('refusal');
      await offer.getByRole('button', { name: 'Request access' }).click();
      await dialog.waitFor();
      await send('For the year-end accounts');
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /went to the owner/);
      await shot('request-sent');
      await dialog.getByRole('button', { name: 'Done' }).click();

      // The same again, from a site's refusal link: asked already, the note replaced.
      await page.goto(`${server.base}/portal?request=permission&item=invoices.view`);
      await dialog.waitFor();
      assert.equal(new URL(page.url()).search, '', 'the offer leaves the address bar once read');
      await send('Needed by Friday');
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /asked for .* already.*note was updated/s);
      await dialog.getByRole('button', { name: 'Done' }).click();

      // What the grant allows already: 409.
      await page.goto(`${server.base}/portal?request=permission&item=services.view`);
      await dialog.waitFor();
      await send();
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /You already have this/);
      await dialog.getByRole('button', { name: 'Done' }).click();

      // My requests; Ask for more time (the grant ends in a month).
      await portalNav(page, 'My requests');
      await page.getByTestId('request-row').first().waitFor();
      await page.getByRole('button', { name: 'Ask for more time' }).click();
      await dialog.waitFor();
      await shot('more-time');
      await send('The project runs until spring');
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /went to the owner/);
      await dialog.getByRole('button', { name: 'Done' }).click();
      await page.getByTestId('request-row').nth(1).waitFor();
      const rows = await page.getByTestId('request-row').allInnerTexts();
      assert.equal(rows.length, 2, rows.join('\n'));
      assert.match(rows.join('\n'), /Needed by Friday/);
      await shot('my-requests');

      // A new request past the day's limit (3 here): said so.
      await page.goto(`${server.base}/portal?request=permission&item=quotes.view`);
      await dialog.waitFor();
      await send();
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /went to the owner/);
      await dialog.getByRole('button', { name: 'Done' }).click();
      await page.goto(`${server.base}/portal?request=permission&item=invoices.pay`);
      await dialog.waitFor();
      await send();
      assert.match(await dialog.getByTestId('request-error').innerText(), /the most a day/);
      await shot('limit');

      // The owner sees them, with the notes.
      const pending = await api('GET', `/api/access-requests?state=pending&contact_id=${bea.id}`);
      assert.deepEqual(pending.access_requests.map((r) => r.kind).sort(), ['extend', 'permission', 'permission']);
      assert.ok(pending.access_requests.some((r) => r.note === 'Needed by Friday'));
    } catch (e) {
      await page.screenshot({ path: path.join(ARTIFACTS, `requests-${size.name}-failure.png`), fullPage: true }).catch(() => {});
      throw e;
    } finally {
      await context.close();
    }
  });
}
