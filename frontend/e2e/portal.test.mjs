// Contact portal end-to-end test: the real server binary, a tiny SMTP sink
// that receives the sign-in codes, and headless Chromium.
//
//   (cd .. && go build -tags sqlite_fts5 -o /tmp/grantbook .) && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e
//
// Env: GRANTBOOK_BIN (required) the server binary; CHROMIUM_PATH (default
// /usr/bin/chromium); E2E_ARTIFACTS (default /tmp) where screenshots go.
// The server and browser set-up is in harness.mjs.
//
// The server allows 5 sign-in requests a minute per client address, and the
// whole test signs in from 127.0.0.1: it asks for exactly five codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACTS, askForCode, checkEnv, launchBrowser, startServer, startSmtpSink, startWindowServer } from './harness.mjs';

const SESSION_ENDED = 'Your session has ended. Sign in again.';

let server;
let base;
let TOKEN;
let api;
let browser;
let smtp;

// ---------------------------------------------------------------------------
// Server

before(async () => {
  checkEnv();
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  smtp = await startSmtpSink();
  server = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-portal-e2e-' });
  ({ base, token: TOKEN, api } = server);
  browser = await launchBrowser();
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await server?.stop();
    await smtp?.close();
  }
});

// ---------------------------------------------------------------------------
// Browser helpers

/** A fresh browser context (own cookie jar) with XSS and CSP tripwires. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const problems = { pageErrors: [], dialogs: [] };
  page.on('pageerror', (e) => problems.pageErrors.push(e.message));
  page.on('dialog', (d) => {
    problems.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return { context, page, problems };
}

/** The texts of the portal's navigation: the sections the grant allows
 * (My requests and Security are there for everyone, and checked once). */
async function navLabels(page) {
  const all = (await page.getByTestId('portal-nav').getByRole('link').allTextContents()).map((s) => s.trim());
  assert.deepEqual(all.slice(-2), ['My requests', 'Security']);
  return all.slice(0, -2);
}

async function columnTexts(page, tableTestId, col = 0) {
  const rows = page.getByTestId(tableTestId).locator('tbody tr');
  const out = [];
  for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).locator('td').nth(col).innerText()).trim());
  return out;
}

/**
 * The code works only in the browser that asked for it: the sign-in cookie
 * is HttpOnly (the page's script cannot read it), and the right code typed
 * into another browser is refused.
 */
async function assertCodeBoundToBrowser(page, email, code) {
  const cookie = (await page.context().cookies()).find((c) => c.name === 'gb_signin');
  assert.ok(cookie, 'sign-in sets the gb_signin cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.path, '/api/portal/');
  assert.equal(cookie.sameSite, 'Strict');
  assert.ok(!(await page.evaluate(() => document.cookie)).includes('gb_signin'), 'the page script can read gb_signin');
  const other = await newPage();
  try {
    await other.page.goto(`${base}/portal`);
    await other.page.getByTestId('portal-signin').waitFor();
    const r = await pageFetch(other.page, 'POST', '/api/portal/verify', { csrf: false, body: { email, code } });
    assert.equal(r.status, 422, 'the right code from another browser');
    assert.equal(r.json?.error?.code, 'invalid_code');
  } finally {
    await other.context.close();
  }
}

/** Signs a contact in through the portal UI with the code from the SMTP sink. */
async function portalSignIn(page, email, { wrongCodeFirst = false, elsewhereFirst = false } = {}) {
  const code = await askForCode(page, base, smtp, email, () => server.log);
  if (elsewhereFirst) await assertCodeBoundToBrowser(page, email, code);
  const field = page.getByLabel('6-digit code');
  if (wrongCodeFirst) {
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    await field.fill(wrong);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#portal-code-error').waitFor();
    assert.match(await page.locator('#portal-code-error').innerText(), /wrong or expired/i);
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-signin.png') });
  }
  await field.fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('portal-nav').waitFor();
}

async function openSection(page, label, testid) {
  await page.getByTestId('portal-nav').getByRole('link', { name: label, exact: true }).click();
  await page.getByTestId(testid).waitFor();
  // wait for the list (or its empty/error state) to replace "Loading…"
  await page.getByTestId(testid).locator('.loading').waitFor({ state: 'detached' });
}

/** fetch() from inside the page, with the page's cookies. */
function pageFetch(page, method, url, { csrf = true, body } = {}) {
  return page.evaluate(
    async ({ method, url, csrf, body }) => {
      const headers = { 'Content-Type': 'application/json' };
      if (csrf) {
        const me = await fetch('/api/portal/me', { credentials: 'same-origin' }).then((r) => r.json());
        headers['X-CSRF-Token'] = me.csrf_token;
      }
      const res = await fetch(url, {
        method,
        credentials: 'same-origin',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      let json = null;
      try {
        json = await res.json();
      } catch {
        /* empty */
      }
      return { status: res.status, json };
    },
    { method, url, csrf, body },
  );
}

async function expectSignedOut(page) {
  await page.getByTestId('portal-signin').waitFor({ timeout: 10000 });
  assert.equal((await page.getByTestId('portal-notice').innerText()).trim(), SESSION_ENDED);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

// ---------------------------------------------------------------------------
// Fixture

const fx = {};

async function seed() {
  await api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: 'owner@example.test', from_name: 'Portal E2E' },
  });
  const account = await api('POST', '/api/accounts', { name: 'Northwind Portal Ltd' });
  await api('PATCH', `/api/accounts/${account.id}`, {
    email: 'office@northwind.test',
    phone: '+44 20 7946 0001',
    address: '1 Harbour Road\nBristol',
  });
  const svc = async (name, kind) => api('POST', `/api/accounts/${account.id}/services`, { name, kind, status: 'active' });
  const alpha = await svc('alpha-hosting.example', 'hosting');
  const beta = await svc('beta-domain.example', 'domain');
  const gamma = await svc('gamma-licence', 'licence');

  const inv = async (number, service, cents) =>
    api('POST', `/api/accounts/${account.id}/invoices`, {
      service_id: service ? service.id : 0,
      number,
      amount_cents: cents,
      currency: 'EUR',
      due_at: '2099-12-31',
    });
  const invAlpha = await inv('INV-ALPHA', alpha, 12000);
  const invBeta = await inv('INV-BETA', beta, 4550);
  const invNone = await inv('INV-GENERAL', null, 990);
  const invBeta2 = await inv('INV-BETA-2', beta, 2500);

  await api('POST', `/api/accounts/${account.id}/quotes`, { number: 'Q-100', title: 'Shop redesign', amount_cents: 350000, currency: 'EUR' });
  await api('POST', `/api/accounts/${account.id}/quotes`, { number: 'Q-101', title: 'Extra mailboxes', amount_cents: 12000, currency: 'USD' });

  const sr = async (subject, service) =>
    api('POST', `/api/accounts/${account.id}/support`, { service_id: service ? service.id : 0, subject, body: `About: ${subject}` });
  await sr('Alpha is slow', alpha);
  await sr('Beta DNS change', beta);
  await sr('General question', null);

  const contact = (first, email, grant) =>
    api('POST', '/api/contacts', { account_id: account.id, first_name: first, last_name: 'Tester', email, ...grant });
  const tech = await contact('Tess', 'tess.tech@example.test', { preset: 'technical' });
  const billing = await contact('Bill', 'bill.billing@example.test', { preset: 'billing' });
  const single = await contact('Sina', 'sina.single@example.test', {
    preset: 'custom',
    permissions: ['services.view', 'support.view', 'invoices.view'],
    service_ids: [beta.id],
  });
  Object.assign(fx, { account, alpha, beta, gamma, invAlpha, invBeta, invNone, invBeta2, tech, billing, single });
}

// ---------------------------------------------------------------------------

test('contact portal: what each contact sees and what is refused', { timeout: 240000 }, async (t) => {
  await seed();

  await t.test('technical contact: services and support, no invoices', async () => {
    const { context, page, problems } = await newPage();
    try {
      await portalSignIn(page, fx.tech.email, { wrongCodeFirst: true, elsewhereFirst: true });
      assert.equal((await page.getByTestId('portal-account').innerText()).trim(), 'Northwind Portal Ltd');
      assert.equal((await page.getByTestId('portal-contact').innerText()).trim(), 'Tess Tester');
      assert.deepEqual(await navLabels(page), ['Services', 'Support requests']);

      await openSection(page, 'Services', 'portal-services');
      assert.deepEqual(
        (await columnTexts(page, 'portal-services-table')).sort(),
        ['alpha-hosting.example', 'beta-domain.example', 'gamma-licence'],
      );

      // Not in the nav, and refused by the server from this very page.
      const invoices = await pageFetch(page, 'GET', '/api/portal/invoices', { csrf: false });
      assert.equal(invoices.status, 403);
      assert.equal(invoices.json?.error?.code, 'forbidden');

      // CSRF: the same POST without the header is refused; with it, it works.
      const noCsrf = await pageFetch(page, 'POST', '/api/portal/support', {
        csrf: false,
        body: { service_id: fx.alpha.id, subject: 'csrf probe', body: 'x' },
      });
      assert.equal(noCsrf.status, 403);
      assert.equal(noCsrf.json?.error?.code, 'csrf');

      await openSection(page, 'Support requests', 'portal-support');
      const subjects = await page.getByTestId('portal-support-table').locator('tbody tr strong').allInnerTexts();
      assert.ok(subjects.includes('Alpha is slow') && subjects.includes('Beta DNS change'), `support list: ${subjects}`);
      assert.ok(!subjects.includes('csrf probe'), 'the refused POST must not have created a request');

      // Open a request through the form.
      await page.getByRole('button', { name: 'Open a request' }).first().click();
      const form = page.getByTestId('support-form');
      await form.waitFor();
      const options = (await form.getByLabel('About').locator('option').allInnerTexts()).map((s) => s.trim());
      assert.ok(options.includes('Not about a service'), `service select: ${options}`);
      await form.getByLabel('About').selectOption({ label: 'gamma-licence' });
      await form.getByLabel('Subject').fill('Licence key lost');
      await form.getByLabel('Message').fill('Please send the key again.');
      await page.screenshot({ path: path.join(ARTIFACTS, 'portal-support-form.png') });
      await form.getByRole('button', { name: 'Send request' }).click();
      await form.waitFor({ state: 'detached' });
      await page.getByTestId('portal-support-table').getByText('Licence key lost').waitFor();
      const owned = await api('GET', `/api/accounts/${fx.account.id}/support`);
      const opened = owned.support_requests.find((r) => r.subject === 'Licence key lost');
      assert.ok(opened, 'the owner sees the request');
      assert.equal(opened.service_id, fx.gamma.id);
      assert.equal(opened.opened_by, fx.tech.email);
      await shot(page, 'portal-technical.png');

      // The owner signs Tess out everywhere from the contact page.
      const sessions = await api('GET', `/api/contacts/${fx.tech.id}/sessions`);
      assert.equal(sessions.sessions.filter((s) => !s.revoked_at).length, 1);
      const owner = await newPage();
      try {
        await owner.page.goto(`${base}/#token=${TOKEN}`);
        await owner.page.goto(`${base}/#/contacts/${fx.tech.id}`);
        const panel = owner.page.getByTestId('sessions-panel');
        await panel.getByTestId('session-row').first().waitFor();
        assert.match(await panel.getByTestId('session-row').first().innerText(), /Active/);
        await panel.getByRole('button', { name: 'Sign out everywhere' }).click();
        await owner.page.getByTestId('confirm-dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
        await panel.getByText('Signed out', { exact: false }).first().waitFor();
        await panel.scrollIntoViewIfNeeded();
        await owner.page.screenshot({ path: path.join(ARTIFACTS, 'owner-sessions.png') });
        assert.deepEqual(owner.problems.pageErrors, []);
      } finally {
        await owner.context.close();
      }
      const after = await api('GET', `/api/contacts/${fx.tech.id}/sessions`);
      assert.ok(after.sessions.every((s) => s.revoked_at), 'every session is revoked');

      // Next navigation: back to sign-in.
      await page.getByTestId('portal-nav').getByRole('link', { name: 'Services', exact: true }).click();
      await expectSignedOut(page);
      assert.deepEqual(problems.pageErrors, []);
      assert.deepEqual(problems.dialogs, []);
    } catch (err) {
      await shot(page, 'portal-technical-failure.png').catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });

  await t.test('billing contact: invoices and quotes, pays one, no support', async () => {
    const { context, page, problems } = await newPage();
    try {
      await portalSignIn(page, fx.billing.email);
      assert.deepEqual(await navLabels(page), ['Invoices', 'Quotes', 'Mail history']);

      await openSection(page, 'Invoices', 'portal-invoices');
      assert.deepEqual(
        (await columnTexts(page, 'portal-invoices-table')).sort(),
        ['INV-ALPHA', 'INV-BETA', 'INV-BETA-2', 'INV-GENERAL'],
      );
      const row = page.getByTestId('portal-invoice-row').filter({ hasText: 'INV-BETA' }).filter({ hasNotText: 'INV-BETA-2' });
      assert.match(await row.innerText(), /45\.50/);
      // No one-click "mark as paid": the contact reports a payment, the
      // owner confirms it (the report form: e2e/client-billing.test.mjs).
      assert.equal(await row.getByRole('button', { name: 'Mark as paid' }).count(), 0);
      await api('PUT', '/api/settings/payments', { bank_transfer: { enabled: true, details: 'IBAN DE02 1203 0000 0000 2020 51' } });
      const report = await pageFetch(page, 'POST', `/api/portal/invoices/${fx.invBeta.id}/payment-report`, {
        body: { method: 'bank_transfer', paid_on: '2026-01-01', reference: 'INV-BETA', confirm: true },
      });
      assert.equal(report.status, 201, JSON.stringify(report.json));
      assert.equal(report.json.invoice.status, 'reported');
      await api('POST', `/api/invoices/${fx.invBeta.id}/confirm-payment`);
      await openSection(page, 'Quotes', 'portal-quotes');
      await openSection(page, 'Invoices', 'portal-invoices');
      await row.getByText('Paid', { exact: true }).waitFor();
      const owned = await api('GET', `/api/accounts/${fx.account.id}/invoices`);
      const paid = owned.invoices.find((i) => i.id === fx.invBeta.id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.paid_by, fx.billing.email);
      assert.equal(owned.invoices.find((i) => i.id === fx.invAlpha.id).status, 'unpaid');

      const support = await pageFetch(page, 'GET', '/api/portal/support', { csrf: false });
      assert.equal(support.status, 403);
      assert.equal(support.json?.error?.code, 'forbidden');

      await openSection(page, 'Quotes', 'portal-quotes');
      const quotes = await page.getByTestId('portal-quotes-table').innerText();
      assert.match(quotes, /Shop redesign/);
      assert.match(quotes, /Extra mailboxes/);
      await openSection(page, 'Invoices', 'portal-invoices');
      await shot(page, 'portal-billing.png');

      // The owner suspends Bill: the next request throws him out.
      await api('PATCH', `/api/contacts/${fx.billing.id}`, { status: 'suspended' });
      await page.getByTestId('portal-nav').getByRole('link', { name: 'Quotes', exact: true }).click();
      await expectSignedOut(page);
      assert.deepEqual(problems.pageErrors, []);
      assert.deepEqual(problems.dialogs, []);
    } catch (err) {
      await shot(page, 'portal-billing-failure.png').catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });

  await t.test('single-service contact sees only that service', async () => {
    const { context, page, problems } = await newPage();
    try {
      await portalSignIn(page, fx.single.email);
      assert.deepEqual(await navLabels(page), ['Services', 'Invoices', 'Support requests']);

      await openSection(page, 'Services', 'portal-services');
      assert.deepEqual(await columnTexts(page, 'portal-services-table'), ['beta-domain.example']);

      await openSection(page, 'Invoices', 'portal-invoices');
      assert.deepEqual((await columnTexts(page, 'portal-invoices-table')).sort(), ['INV-BETA', 'INV-BETA-2']);
      // invoices.view only: reporting a payment is refused with the grant's reason.
      const refusal = await pageFetch(page, 'POST', `/api/portal/invoices/${fx.invBeta2.id}/payment-report`, {
        body: { method: 'bank_transfer', paid_on: '2026-01-01', reference: 'x', confirm: true },
      });
      assert.equal(refusal.status, 403);
      assert.match(refusal.json.error.message, /invoices\.pay not included/);
      const owned = await api('GET', `/api/accounts/${fx.account.id}/invoices`);
      assert.equal(owned.invoices.find((i) => i.id === fx.invBeta2.id).status, 'unpaid');
      await shot(page, 'portal-single.png');

      await openSection(page, 'Support requests', 'portal-support');
      const subjects = await page.getByTestId('portal-support-table').locator('tbody tr strong').allInnerTexts();
      assert.deepEqual(subjects, ['Beta DNS change']);
      assert.equal(await page.getByRole('button', { name: 'Open a request' }).count(), 0, 'no support.open');

      for (const [url, code] of [
        ['/api/portal/quotes', 403],
        ['/api/portal/profile', 403],
      ]) {
        const r = await pageFetch(page, 'GET', url, { csrf: false });
        assert.equal(r.status, code, url);
      }
      // Opening a request is refused on the server too.
      const open = await pageFetch(page, 'POST', '/api/portal/support', { body: { service_id: fx.beta.id, subject: 'x', body: 'y' } });
      assert.equal(open.status, 403);

      assert.deepEqual(problems.pageErrors, []);
      assert.deepEqual(problems.dialogs, []);
    } catch (err) {
      await shot(page, 'portal-single-failure.png').catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });
});

// ---------------------------------------------------------------------------

test('one address in two accounts: choose after the code, switch without signing in again', { timeout: 90000 }, async () => {
  const email = 'pat.multi@example.test';
  const second = await api('POST', '/api/accounts', { name: 'Second Portal Ltd' });
  await api('POST', `/api/accounts/${second.id}/services`, { name: 'second-hosting.example', kind: 'hosting' });
  await api('POST', '/api/contacts', { account_id: fx.account.id, first_name: 'Pat', last_name: 'Multi', email, preset: 'technical' });
  await api('POST', '/api/contacts', { account_id: second.id, first_name: 'Pat', last_name: 'Multi', email, preset: 'billing' });

  const { context, page, problems } = await newPage();
  try {
    await page.getByLabel('6-digit code').fill(await askForCode(page, base, smtp, email, () => server.log));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    const chooser = page.getByTestId('portal-account-chooser');
    await chooser.waitFor();
    const choices = (await chooser.getByRole('listitem').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(choices, ['Northwind Portal Ltd', 'Second Portal Ltd']);
    await shot(page, 'portal-chooser.png');
    await chooser.getByRole('button', { name: 'Northwind Portal Ltd' }).click();
    await page.getByTestId('portal-nav').waitFor();
    assert.deepEqual(await navLabels(page), ['Services', 'Support requests']);

    const switcher = page.getByTestId('portal-account-switcher');
    assert.equal(await switcher.locator('option:checked').innerText(), 'Northwind Portal Ltd');
    await switcher.selectOption({ label: 'Second Portal Ltd' });
    await page.getByTestId('portal-nav').getByRole('link', { name: 'Invoices', exact: true }).waitFor();
    assert.deepEqual(await navLabels(page), ['Invoices', 'Quotes', 'Mail history']);
    assert.equal(await page.getByTestId('portal-account-switcher').locator('option:checked').innerText(), 'Second Portal Ltd');
    await shot(page, 'portal-switcher.png');

    // The choice belongs to the session: a reload stays in the same account.
    await page.reload();
    await page.getByTestId('portal-nav').waitFor();
    assert.equal(await page.getByTestId('portal-account-switcher').locator('option:checked').innerText(), 'Second Portal Ltd');
    const services = await pageFetch(page, 'GET', '/api/portal/services', { csrf: false });
    assert.equal(services.status, 403, 'billing in the second account: no services');
    assert.deepEqual(problems.pageErrors, []);
  } catch (err) {
    await shot(page, 'portal-chooser-failure.png').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------------------

const XSS_IMG = '<img src=x onerror="window.__xss=1">';
const XSS_SCRIPT = '<script>window.__xss=1</script>';

/** Nothing ran, nothing was injected, and the payload is on screen as text. */
async function assertInert(page, problems, label, { expectText = [XSS_IMG, XSS_SCRIPT] } = {}) {
  const state = await page.evaluate(() => ({
    xss: window.__xss,
    csp: window.__csp || [],
    injected: document.querySelectorAll('img[onerror], img[src="x"], body script, [onerror], [onload]').length,
    text: document.body.innerText,
  }));
  assert.equal(state.xss, undefined, `${label}: window.__xss was set`);
  assert.equal(state.injected, 0, `${label}: the payload became markup`);
  assert.deepEqual(state.csp, [], `${label}: CSP violations (something tried to run)`);
  assert.deepEqual(problems.dialogs, [], `${label}: a dialog fired`);
  for (const s of expectText) assert.ok(state.text.includes(s), `${label}: "${s}" is not shown as text`);
  await page.screenshot({ path: path.join(ARTIFACTS, `xss-${label}.png`), fullPage: true });
}

test('XSS payloads stay text in the owner UI and the portal', { timeout: 180000 }, async () => {
  const account = await api('POST', '/api/accounts', { name: XSS_IMG });
  await api('PATCH', `/api/accounts/${account.id}`, { phone: '+1 555 0100', address: `${XSS_SCRIPT}\n${XSS_IMG}` });
  const s1 = await api('POST', `/api/accounts/${account.id}/services`, { name: XSS_IMG, kind: 'hosting' });
  await api('POST', `/api/accounts/${account.id}/services`, { name: XSS_SCRIPT, kind: 'domain' });
  await api('POST', `/api/accounts/${account.id}/invoices`, { service_id: s1.id, number: XSS_IMG, amount_cents: 100, currency: 'EUR' });
  await api('POST', `/api/accounts/${account.id}/invoices`, { number: XSS_SCRIPT, amount_cents: 200, currency: 'EUR' });
  await api('POST', `/api/accounts/${account.id}/quotes`, { number: 'Q-X', title: XSS_SCRIPT, amount_cents: 300, currency: 'EUR' });
  await api('POST', `/api/accounts/${account.id}/quotes`, { number: 'Q-Y', title: XSS_IMG, amount_cents: 400, currency: 'EUR' });
  await api('POST', `/api/accounts/${account.id}/support`, { service_id: s1.id, subject: XSS_IMG, body: XSS_SCRIPT });
  await api('POST', `/api/accounts/${account.id}/support`, { subject: XSS_SCRIPT, body: XSS_IMG });
  const contact = await api('POST', '/api/contacts', {
    account_id: account.id,
    first_name: XSS_IMG,
    last_name: XSS_SCRIPT,
    email: 'mallory@example.test',
    company: XSS_IMG,
    role: XSS_SCRIPT,
    preset: 'full',
  });

  // Portal first (also gives the owner a session row to show).
  {
    const { context, page, problems } = await newPage();
    try {
      await portalSignIn(page, contact.email);
      await assertInert(page, problems, 'portal-home', { expectText: [XSS_IMG] });
      for (const [label, testid, name] of [
        ['Services', 'portal-services', 'portal-services'],
        ['Invoices', 'portal-invoices', 'portal-invoices'],
        ['Quotes', 'portal-quotes', 'portal-quotes'],
        ['Support requests', 'portal-support', 'portal-support'],
        ['Profile', 'portal-profile', 'portal-profile'],
      ]) {
        await openSection(page, label, testid);
        await assertInert(page, problems, name);
      }
      assert.deepEqual(problems.pageErrors, []);
    } finally {
      await context.close();
    }
  }

  // Owner UI.
  const { context, page, problems } = await newPage();
  try {
    await page.goto(`${base}/#token=${TOKEN}`);
    await page.getByTestId('account-switcher').waitFor();
    await page.getByTestId('account-switcher').selectOption(String(account.id));
    await page.getByTestId('contact-row').first().waitFor();
    await assertInert(page, problems, 'owner-contacts');

    await page.goto(`${base}/#/contacts/${contact.id}`);
    await page.getByTestId('contact-header').waitFor();
    await page.getByTestId('session-row').first().waitFor();
    await assertInert(page, problems, 'owner-contact-detail');

    await page.goto(`${base}/#/accounts/${account.id}`);
    await page.getByTestId('services-table').waitFor();
    await assertInert(page, problems, 'owner-accounts');
    for (const [tab, testid] of [
      ['Invoices', 'account-invoices'],
      ['Quotes', 'account-quotes'],
      ['Support requests', 'account-support'],
    ]) {
      await page.getByRole('tab', { name: tab }).click();
      await page.getByTestId(testid).waitFor();
      await assertInert(page, problems, `owner-accounts-${testid.replace('account-', '')}`);
    }
    await page.getByRole('tab', { name: 'Profile' }).click();
    await page.getByTestId('account-profile').waitFor();
    assert.equal(await page.getByTestId('account-profile').getByLabel('Account name').inputValue(), XSS_IMG);
    await assertInert(page, problems, 'owner-accounts-profile', { expectText: [] });

    await page.goto(`${base}/#/audit`);
    await page.getByTestId('audit-table').waitFor();
    await assertInert(page, problems, 'owner-audit', { expectText: [XSS_IMG] });
    assert.deepEqual(problems.pageErrors, []);
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------------------

test('contacts CSV export and import from the Contacts page', { timeout: 90000 }, async (t) => {
  const account = await api('POST', '/api/accounts', { name: 'CSV Imports Ltd' });
  await api('POST', '/api/contacts', {
    account_id: account.id,
    first_name: 'Existing',
    last_name: 'Person',
    email: 'existing@example.test',
    preset: 'billing',
  });
  const probe = await fetch(`${base}/api/accounts/${account.id}/contacts.csv`, { headers: { Authorization: 'Bearer ' + TOKEN } });
  assert.equal(probe.status, 200, 'the CSV export endpoint answers');

  const { context, page, problems } = await newPage();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grantbook-csv-'));
  try {
    await page.goto(`${base}/#token=${TOKEN}`);
    await page.getByTestId('account-switcher').waitFor();
    await page.getByTestId('account-switcher').selectOption(String(account.id));
    await page.getByTestId('contact-row').first().waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^contacts-csv-imports-ltd-\d{4}-\d{2}-\d{2}\.csv$/);
    const exported = fs.readFileSync(await download.path(), 'utf8');
    assert.match(exported.split(/\r?\n/)[0], /^first_name,last_name,email,/);
    assert.match(exported, /existing@example\.test/);

    // A bad file: nothing imported, the errors are listed.
    const bad = path.join(tmp, 'bad.csv');
    fs.writeFileSync(bad, 'first_name,last_name,email\nAnn,One,ann@example.test\nBob,Two,not-an-address\n');
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByTestId('import-csv');
    await dialog.getByLabel('CSV file').setInputFiles(bad);
    await dialog.getByText('2 contacts found').waitFor();
    await dialog.getByRole('button', { name: /^Import 2 contacts/ }).click();
    await dialog.getByTestId('import-errors').waitFor();
    assert.match(await dialog.getByTestId('import-errors').innerText(), /3/);
    await dialog.getByRole('button', { name: 'Choose another file' }).click();

    // A good one, large enough for the progress bar to move.
    const rows = ['first_name,last_name,email,preset'];
    for (let i = 0; i < 60; i++) rows.push(`Person${i},Imported,person${i}@example.test,technical`);
    const good = path.join(tmp, 'good.csv');
    fs.writeFileSync(good, rows.join('\n') + '\n');
    await dialog.getByLabel('CSV file').setInputFiles(good);
    await dialog.getByRole('button', { name: /^Import 60 contacts/ }).click();
    await dialog.getByTestId('import-progress').locator('progress').waitFor();
    await dialog.getByTestId('import-done').waitFor({ timeout: 30000 });
    assert.match(await dialog.getByTestId('import-done').innerText(), /60 contacts were imported/);
    assert.equal(await dialog.locator('progress').evaluate((el) => el.value), 60);
    await page.screenshot({ path: path.join(ARTIFACTS, 'csv-import.png') });
    await dialog.getByRole('button', { name: 'Done' }).click();

    const list = await api('GET', `/api/contacts?account_id=${account.id}&limit=500`);
    assert.equal(list.total, 61);
    assert.deepEqual(problems.pageErrors, []);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await context.close();
  }
});

// ---------------------------------------------------------------------------

test('settings: passphrase, backup and restore; desktop lock screen', { timeout: 120000 }, async () => {
  const PASS = 'correct horse battery';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grantbook-backup-'));
  const { context, page, problems } = await newPage();
  try {
    await page.goto(`${base}/#token=${TOKEN}`);
    await page.goto(`${base}/#/settings`);
    const security = page.getByTestId('security-settings');
    await security.getByText('No passphrase').waitFor();
    await security.getByLabel('Passphrase', { exact: true }).fill('short');
    await security.getByLabel('Repeat it').fill('short');
    await security.getByRole('button', { name: 'Set passphrase' }).click();
    await security.getByText('at least 8 characters').first().waitFor();
    await security.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await security.getByLabel('Repeat it').fill(PASS);
    await security.getByRole('button', { name: 'Set passphrase' }).click();
    await security.getByText('Passphrase set').waitFor();
    assert.deepEqual(await api('GET', '/api/lock'), { enabled: true });

    // Export downloads the database; restoring it reports what came back.
    const backup = page.getByTestId('backup-settings');
    const [download] = await Promise.all([page.waitForEvent('download'), backup.getByRole('button', { name: 'Export backup' }).click()]);
    const file = path.join(tmp, download.suggestedFilename());
    await download.saveAs(file);
    assert.equal(fs.readFileSync(file).subarray(0, 15).toString('latin1'), 'SQLite format 3');
    const contacts = (await api('GET', '/api/contacts?limit=500')).total;

    await backup.locator('input[type=file]').setInputFiles(file);
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.getByText(download.suggestedFilename()).waitFor();
    await confirm.getByRole('button', { name: 'Restore backup' }).click();
    const result = page.getByTestId('restore-result');
    await result.waitFor({ timeout: 30000 });
    const text = await result.innerText();
    assert.match(text, new RegExp(`Restored ${contacts} contacts`));
    assert.match(text, /before-restore/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'settings.png'), fullPage: true });
    assert.deepEqual(problems.pageErrors, []);
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, 'settings-failure.png'), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await context.close();
  }

  // The desktop window's lock: the page talks to the window's own handler
  // (web.Window, served on loopback by tests/windowserve); only the Wails
  // bindings, whose presence makes the page the desktop one, are stood in.
  const win = await startWindowServer({ passphrase: PASS, account: 'Lock Test Ltd' });
  const desk = await newPage();
  try {
    await desk.context.addInitScript(() => {
      window.go = { app: { App: { ExportBackup: async () => '', RestoreBackup: async () => null } } };
    });
    const calls = [];
    desk.page.on('request', (r) => {
      const p = new URL(r.url()).pathname;
      if (r.method() === 'POST' && p === '/api/unlock') calls.push('Unlock');
      if (r.method() === 'POST' && p === '/api/lock') calls.push('Lock');
    });
    const { page: dp } = desk;
    await dp.goto(`${win.base}/#/contacts`);
    const lock = dp.getByTestId('lock-screen');
    await lock.waitFor();
    await lock.getByLabel('Passphrase').fill('not the passphrase');
    await lock.getByRole('button', { name: 'Unlock' }).click();
    await lock.getByText('That passphrase is not right.').waitFor();
    await dp.screenshot({ path: path.join(ARTIFACTS, 'lock-screen.png') });
    await lock.getByLabel('Passphrase').fill(PASS);
    await lock.getByRole('button', { name: 'Unlock' }).click();
    await lock.waitFor({ state: 'detached' });
    await dp.getByTestId('account-switcher').waitFor();
    await dp.getByRole('heading', { name: 'Contacts', exact: true }).waitFor();
    await dp.getByTestId('lock-now').click();
    await dp.getByTestId('lock-screen').waitFor();
    assert.deepEqual(calls, ['Unlock', 'Unlock', 'Lock']);
    // Locked again: the window's handler refuses the owner routes.
    assert.equal((await dp.evaluate(() => fetch('/api/accounts').then((r) => r.status))), 423);
    assert.deepEqual(desk.problems.pageErrors, []);
  } finally {
    await desk.context.close();
    await win.stop();
    await api('PUT', '/api/lock', { current: PASS, passphrase: '' });
  }
});
