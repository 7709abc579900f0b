// What the client-area browser tests (client-*.test.mjs) share, on the
// harness's client-area stack: each contact signed in once through the
// page (the server mails 5 codes a minute to one client address) and pages
// at both sizes that reuse its cookies.
//
// Not a test file: its name matches no test pattern of `node --test e2e/`.
import assert from 'node:assert/strict';
import { inSizedPage, look, portalSignIn, startPortalStack } from './harness.mjs';

/** Starts the server (mail to a sink), Chromium and an account of the
 * stack's own; `prefix` names the screenshots. */
export async function startClientArea(prefix) {
  const st = await startPortalStack(prefix);
  const { server, api, smtp, browser } = st;
  const { base } = server;

  return {
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
        await portalSignIn(page, base, smtp, email, () => server.log);
        await page.getByTestId('portal-nav').waitFor({ state: 'attached' });
        return await context.storageState();
      } finally {
        await context.close();
      }
    },

    /** Runs steps(page) in a fresh page at size with a signed-in contact's
     * cookies; page errors fail it, a failure leaves a screenshot. */
    inPage(size, state, name, steps) {
      return inSizedPage(
        browser,
        size,
        `${prefix}-${name}`,
        async (page) => {
          const errors = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await steps(page);
          assert.deepEqual(errors, [], 'the page threw errors');
        },
        { storageState: state },
      );
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

    /** The overflow, axe and screenshot checks: <prefix>-<size>-<name>.png. */
    check: (page, size, name) => look(page, `${size.name} ${name}`, `${prefix}-${size.name}-${name}.png`),

    close: st.stop,
  };
}

/** Adds a contact with a grant to an account; returns it. */
export function addContact(api, accountId, first, last, email, grant) {
  return api('POST', '/api/contacts', { account_id: accountId, first_name: first, last_name: last, email, ...grant });
}

/** The texts of the client area's navigation, also while a phone's
 * menu is closed (role queries skip hidden links): the sections the grant
 * allows (My requests and Security, there for everyone, are checked). */
export async function navLabels(page) {
  const nav = page.getByTestId('portal-nav');
  await nav.waitFor({ state: 'attached' });
  const all = (await nav.locator('a').allTextContents()).map((s) => s.trim());
  assert.deepEqual(all.slice(-2), ['My requests', 'Security']);
  return all.slice(0, -2);
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
