// What the client-area browser tests (client-*.test.mjs) share: a server
// per file with a mail sink for the sign-in codes, each contact signed in
// once through the page (the server mails 5 codes a minute to one client
// address) and pages at both sizes that reuse its cookies.
//
// Not a test file: its name matches no test pattern of `node --test e2e/`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, askForCode, checkPage, launchBrowser, startServer, startSmtpSink } from './harness.mjs';

/**
 * Starts the server, the mail sink and Chromium, with the owner's mail
 * settings pointing at the sink. `prefix` names the screenshots.
 */
export async function startClientArea(prefix) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const smtp = await startSmtpSink();
  const server = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: `grantbook-${prefix}-e2e-` });
  const browser = await launchBrowser();
  const { api, base } = server;
  await api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: 'owner@example.test', from_name: 'Harbour Hosting' },
  });

  const ca = {
    server,
    smtp,
    browser,
    api,
    base,

    /** Signs a contact in through the page once; returns its cookies. */
    async signIn(email) {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const code = await askForCode(page, base, smtp, email, () => server.log);
        await page.getByLabel('6-digit code').fill(code);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByTestId('portal-nav').waitFor();
        return await context.storageState();
      } finally {
        await context.close();
      }
    },

    /**
     * Runs steps(page) in a fresh page at size with a signed-in contact's
     * cookies; page errors fail it, a failure leaves a screenshot.
     */
    async inPage(size, state, name, steps) {
      const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, storageState: state });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await steps(page);
        assert.deepEqual(errors, [], 'the page threw errors');
      } catch (err) {
        await page.screenshot({ path: path.join(ARTIFACTS, `${prefix}-${size.name}-${name}-failure.png`), fullPage: true }).catch(() => {});
        throw err;
      } finally {
        await context.close();
      }
    },

    /** Opens #/<hash> of the client area and waits for testid. */
    async open(page, hash, testid) {
      const url = `${base}/portal#/${hash}`;
      // The same address again changes no hash: load it afresh.
      if (page.url() === url) await page.reload();
      else await page.goto(url);
      await page.getByTestId(testid).waitFor();
      await page.waitForFunction(() => !document.querySelector('.loading'));
    },

    /** The overflow, axe and screenshot checks, named for this file. */
    check: (page, size, name) => checkPage(page, size, name, prefix),

    async close() {
      try {
        await browser.close();
      } finally {
        await server.stop();
        await smtp.close();
      }
    },
  };
  return ca;
}

/** Adds a contact with a grant to an account; returns it. */
export function addContact(api, accountId, first, last, email, grant) {
  return api('POST', '/api/contacts', { account_id: accountId, first_name: first, last_name: last, email, ...grant });
}

/** The texts of the client area's navigation, also while a phone's
 * menu is closed (role queries skip hidden links). */
export async function navLabels(page) {
  const nav = page.getByTestId('portal-nav');
  await nav.waitFor({ state: 'attached' });
  return (await nav.locator('a').allTextContents()).map((s) => s.trim());
}

/** Waits for a toast with text. */
export function toastSaying(page, text) {
  return page.getByTestId('toast').filter({ hasText: text }).first().waitFor();
}

/** fetch() from inside the page as the page does (cookies, CSRF token). */
export function pageFetch(page, method, url, body) {
  return page.evaluate(
    async ({ method, url, body }) => {
      const me = await fetch('/api/portal/me', { credentials: 'same-origin' }).then((r) => r.json());
      const res = await fetch(url, {
        method,
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json().catch(() => null) };
    },
    { method, url, body },
  );
}
