// Admin access in the client area, in Chromium at desktop and phone size:
// a contact with admin access only sees the site administration section
// (each area a link to the owner's site), not "Nothing to show"; and the
// ?return= hop of a site's sign-in: an OpenID Connect relying party on
// loopback sends the browser to Grantbook, the client area says "Sign in
// to continue to <site>", and once signed in the browser is back at the
// relying party with a code that buys an ID token for the contact. A
// ?return= elsewhere is ignored.
//
//   GRANTBOOK_BIN=$PWD/../build/bin/grantbook node --test e2e/client-admin.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SIZES, codeFrom } from './harness.mjs';
import { addContact, navLabels, startClientArea } from './client.mjs';

let ca;
let rp;
const fx = {};

/** The relying party: its callback page, and what reached it. */
function startRelyingParty() {
  const calls = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    calls.push(url);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Harbour Shop</title><h1>Harbour Shop admin</h1>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, calls, origin: `http://127.0.0.1:${server.address().port}` })));
}

before(async () => {
  ca = await startClientArea('client-admin');
  rp = await startRelyingParty();
  const { api, base } = ca;
  // The client area's address is also the OpenID Connect issuer.
  await api('PUT', '/api/settings/client-area', { ...(await api('GET', '/api/settings/client-area')), address: base });
  const site = (await api('GET', '/api/sites')).sites[0];
  await api('PUT', `/api/sites/${site.id}`, { ...site, name: 'Harbour Shop', base_url: rp.origin });
  fx.labels = Object.fromEntries(site.areas.map((a) => [a.name, a.label]));
  fx.client = await api('POST', `/api/sites/${site.id}/clients`, { name: 'Shop admin', redirect_uris: [`${rp.origin}/callback`] });
  fx.account = await api('POST', '/api/accounts', { name: 'Harbour Bakery Ltd' });
  await addContact(api, fx.account.id, 'Olga', 'Ops', 'olga@bakery.test', { preset: 'custom', permissions: [], admin: { areas: ['orders', 'reports'] } });
  fx.olga = await ca.signIn('olga@bakery.test');
});

after(async () => {
  await ca?.close();
  rp?.server.close();
});

for (const size of SIZES) {
  test(`admin only: the site administration section, not "Nothing to show" at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.olga, 'admin', async (page) => {
      await ca.open(page, '', 'portal-admin');
      assert.equal(await page.getByTestId('portal-nothing').count(), 0);
      assert.deepEqual(await navLabels(page), ['Site administration']);
      const site = page.getByTestId('admin-site');
      await site.getByRole('heading', { name: 'Harbour Shop' }).waitFor();
      const areas = site.getByTestId('admin-area');
      assert.deepEqual((await areas.allInnerTexts()).map((s) => s.trim()), [fx.labels.orders, fx.labels.reports]);
      assert.equal(await areas.getByRole('link', { name: fx.labels.orders }).getAttribute('href'), `${rp.origin}/admin/orders`);
      assert.equal(await areas.getByRole('link', { name: fx.labels.reports }).getAttribute('href'), `${rp.origin}/admin/reports`);
      assert.equal(await site.getByRole('link', { name: /Open site/ }).getAttribute('href'), rp.origin);
      await ca.check(page, size, 'admin');
    }),
  );

  test(`?return=: "Sign in to continue to" the site, and back to it signed in at ${size.name}`, { timeout: 90000 }, async () => {
    const context = await ca.browser.newContext({ viewport: { width: size.width, height: size.height } });
    try {
      const page = await context.newPage();
      const state = `state-${size.name}`;
      const authorize = new URL('/oidc/authorize', ca.base);
      for (const [k, v] of Object.entries({ client_id: fx.client.client_id, redirect_uri: `${rp.origin}/callback`, response_type: 'code', scope: 'openid email profile', state, nonce: `nonce-${size.name}` })) {
        authorize.searchParams.set(k, v);
      }
      await page.goto(authorize.href);
      await page.waitForURL((u) => u.pathname === '/portal' && (u.searchParams.get('return') || '').startsWith('/oidc/login?id='));
      const hint = page.getByTestId('portal-continue');
      await hint.waitFor();
      assert.match(await hint.innerText(), new RegExp(`Sign in to continue to Harbour Shop \\(${rp.origin.replace('http://', '').replace(/\./g, '\\.')}\\)`));
      await ca.check(page, size, 'signin-continue');

      await page.getByLabel('Email', { exact: true }).fill('olga@bakery.test');
      const since = ca.smtp.messages.length;
      await page.getByRole('button', { name: 'Send me a code' }).click();
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      assert.equal(await hint.count(), 1, 'the site is still named at the code step');
      const code = await codeFrom(ca.smtp, 'olga@bakery.test', since, () => ca.server.log);
      await page.getByLabel('6-digit code').fill(code);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();

      // Back at the relying party, with a code for this request.
      await page.waitForURL((u) => u.origin === rp.origin && u.pathname === '/callback');
      await page.getByRole('heading', { name: 'Harbour Shop admin' }).waitFor();
      const back = new URL(page.url());
      assert.equal(back.searchParams.get('state'), state);
      assert.equal(back.searchParams.get('error'), null);
      const res = await fetch(new URL('/oidc/token', ca.base), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(fx.client.client_id)}:${encodeURIComponent(fx.client.client_secret)}`).toString('base64'),
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: `${rp.origin}/callback` }),
      });
      const tokens = await res.json();
      assert.equal(res.status, 200, JSON.stringify(tokens));
      const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString());
      assert.equal(claims.email, 'olga@bakery.test');
      assert.equal(claims.nonce, `nonce-${size.name}`);
      assert.deepEqual(claims.grantbook_admin_areas, ['orders', 'reports']);
    } finally {
      await context.close();
    }
  });

  test(`?return= elsewhere: no site named, the client area stays at ${size.name}`, { timeout: 60000 }, async () => {
    for (const bad of ['https://evil.example/', '//evil.example/oidc/login?id=1', '/oidc/login?id=no-such-request']) {
      // Signed out: the sign-in page names no site.
      const context = await ca.browser.newContext({ viewport: { width: size.width, height: size.height } });
      try {
        const page = await context.newPage();
        const asked = page.waitForResponse((r) => r.url().includes('/api/portal/return?'));
        await page.goto(`${ca.base}/portal?return=${encodeURIComponent(bad)}`);
        assert.equal((await asked).status(), 404, bad);
        await page.getByTestId('portal-signin').waitFor();
        assert.equal(await page.getByTestId('portal-continue').count(), 0, bad);
      } finally {
        await context.close();
      }
    }
    // Signed in: a return address off Grantbook's two sign-in paths is not followed.
    await ca.inPage(size, fx.olga, 'return-elsewhere', async (page) => {
      const calls = rp.calls.length;
      for (const bad of ['https://evil.example/', `${rp.origin}/admin/orders`, '/portal/../auth/signin?site=1']) {
        await page.goto(`${ca.base}/portal?return=${encodeURIComponent(bad)}`);
        await page.getByTestId('portal-admin').waitFor();
        assert.equal(new URL(page.url()).origin, ca.base, bad);
      }
      assert.equal(rp.calls.length, calls, 'the browser went to the site');
    });
  });
}
