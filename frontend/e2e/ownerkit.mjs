// What the owner-side browser tests share (owner-*.test.mjs): a server
// with a mail sink, the owner signed in at a size, a contact acting through
// the client area's API (signed in with the code from the sink), and the
// audit log read the way the owner reads it. Not a test file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, SIZES, codeFrom, look, launchBrowser, startServer, startSmtpSink } from './harness.mjs';

export { SIZES };

/** The server (mail to a sink) and the browser; stop() ends them. */
export async function startOwnerEnv(prefix) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const smtp = await startSmtpSink();
  const server = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: `grantbook-${prefix}-e2e-` });
  await server.api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: 'owner@example.test', from_name: 'Owner E2E' },
  });
  const browser = await launchBrowser();
  return {
    server,
    smtp,
    browser,
    api: server.api,
    async stop() {
      try {
        await browser.close();
      } finally {
        await server.stop();
        await smtp.close();
      }
    },
  };
}

/**
 * Runs steps in a fresh page at a size, signed in as the owner; a failure
 * leaves `<name>-<size>-failure.png`. The page must throw no errors.
 */
export async function asOwner(env, size, name, steps) {
  const context = await env.browser.newContext({ viewport: { width: size.width, height: size.height } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${env.server.base}/#token=${env.server.token}`);
    await page.getByRole('navigation', { name: 'Main', includeHidden: true }).waitFor({ state: 'attached' });
    await steps(page);
    assert.deepEqual(errors, [], 'the page threw errors');
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${size.name}-failure.png`), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

/**
 * The page as it stands checked like every page (no sideways scroll, no
 * serious axe violation) and saved as <name>-<size>.png to look at.
 */
export async function shot(page, name, size) {
  // From the top, so the sticky sidebar sits where a person sees it.
  await page.evaluate(() => window.scrollTo(0, 0));
  await look(page, `${size.name} ${name}`, `${name}-${size.name}.png`);
}

/** Opens a hash route and waits for a test id. */
export async function open(page, env, hash, testid) {
  await page.goto(`${env.server.base}/${hash}`);
  await page.getByTestId(testid).first().waitFor();
}

/** The owner finds the entry in the audit log (Audit log page). */
export async function seeAudit(page, env, summary) {
  await page.goto(`${env.server.base}/#/audit`);
  const row = page.getByTestId('audit-table').locator('tr', { hasText: summary }).first();
  await row.waitFor();
  return row;
}

/** Confirms the open confirmation dialog and waits for it to close. */
export async function confirm(page, label) {
  const dialog = page.getByTestId('confirm-dialog');
  await dialog.getByRole('button', { name: label, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

/**
 * A contact acting in the client area through its API, as the page does
 * (session cookie, CSRF token): `send(method, path, body)` returns
 * { status, json }.
 */
export async function asContact(env, email) {
  const { base } = env.server;
  const jar = new Map();
  let csrf = '';
  async function send(method, p, body) {
    const headers = { 'Content-Type': 'application/json', Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (csrf) headers['X-CSRF-Token'] = csrf;
    const res = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }
  const since = env.smtp.messages.length;
  assert.equal((await send('POST', '/api/portal/signin', { email })).status, 202);
  const code = await codeFrom(env.smtp, email, since, () => env.server.log);
  const v = await send('POST', '/api/portal/verify', { email, code });
  assert.equal(v.status, 200, JSON.stringify(v.json));
  csrf = v.json.csrf_token;
  return {
    async send(method, p, body, status) {
      const r = await send(method, p, body);
      if (status !== undefined) assert.equal(r.status, status, `${method} ${p}: ${JSON.stringify(r.json)}`);
      return r;
    },
  };
}

/** Waits (bounded) until an input shows want: a form is filled from the answer a moment after the click. */
export async function valueIs(input, want, timeoutMs = 10000) {
  const until = Date.now() + timeoutMs;
  let got = await input.inputValue();
  while (got !== want && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    got = await input.inputValue();
  }
  assert.equal(got, want);
}
