// The owner's settings, walked as a person does at 1280×800 and 390×844:
// payment methods (the server's 422 on a link template), notices and
// products; Your site — a nudge while the client area has no address, a site added from the template,
// the 409s of removing held areas and deleting a held site, the proxy
// configurations, OpenID Connect clients (secret shown once, edit, new
// secret, remove) and the signing keys; the grant editor's billing scope,
// quotes.accept and areas by site, and the effective access per site.
// Each change is seen in the audit log.
//
//   GRANTBOOK_BIN=/tmp/grantbook node --test e2e/owner-settings.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES, asOwner, confirm, open, seeAudit, shot, startOwnerEnv, valueIs } from './ownerkit.mjs';

let env;
before(async () => {
  env = await startOwnerEnv('owner-settings');
});
after(async () => {
  await env?.stop();
});

for (const size of SIZES) {
  const n = size.name;

  test(`billing settings: payment methods, notices, products at ${size.width}×${size.height}`, { timeout: 120000 }, async () => {
    await asOwner(env, size, 'owner-billing-settings', async (page) => {
      await open(page, env, '#/settings/billing', 'payment-settings');
      const pay = page.getByTestId('payment-settings');
      await pay.getByRole('checkbox', { name: /Payment link/ }).check();
      await pay.getByLabel('Link template').fill(`http://pay.example.com/${n}/{number}`);
      await pay.getByRole('button', { name: 'Save' }).click();
      await page.locator('#pay-link-error').waitFor();
      assert.match(await page.locator('#pay-link-error').innerText(), /https/);
      await shot(page, 'owner-payment-422', size);
      await pay.getByLabel('Link template').fill(`https://pay.example.com/${n}/{number}?amount={amount}&cur={currency}`);
      assert.equal(await pay.getByTestId('pay-link-sample').locator('code').innerText(), `https://pay.example.com/${n}/INV-1001?amount=120.00&cur=EUR`);
      await pay.getByRole('checkbox', { name: /Bank transfer/ }).check();
      await pay.getByLabel('Bank details').fill('Owner Ltd\nIBAN DE02 1203 0000 0000 2020 51');
      await pay.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Payment methods saved').waitFor();
      const pm = await env.api('GET', '/api/settings/payments');
      assert.equal(pm.payment_link.url_template, `https://pay.example.com/${n}/{number}?amount={amount}&cur={currency}`);
      assert.equal(pm.bank_transfer.enabled, true);

      const notices = page.getByTestId('notice-settings');
      await notices.getByLabel('Mail invoice notices').setChecked(size.name === 'desktop');
      await notices.getByLabel('Your address for notices').fill(`billing-${n}@owner.example`);
      await notices.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Notices saved').waitFor();
      assert.deepEqual(await env.api('GET', '/api/settings/notices'), { invoice_notices: n === 'desktop', owner_email: `billing-${n}@owner.example` });

      // Products: add, hide, delete.
      const products = page.getByTestId('product-settings');
      await products.getByRole('button', { name: 'Add product' }).click();
      const dialog = page.getByTestId('product-dialog');
      await dialog.getByLabel('Name').fill(`Hosting L ${n}`);
      await dialog.getByLabel('Kind').selectOption('hosting');
      await dialog.getByLabel('Price').fill('twelve');
      await dialog.getByRole('button', { name: 'Add product' }).click();
      await page.locator('#prod-amount-error').waitFor();
      await dialog.getByLabel('Price').fill('19.90');
      await dialog.getByLabel('Billed').selectOption('yearly');
      await dialog.getByRole('button', { name: 'Add product' }).click();
      await dialog.waitFor({ state: 'detached' });
      const row = page.getByTestId('product-row').filter({ hasText: `Hosting L ${n}` });
      assert.match(await row.innerText(), /€19\.90\s+yearly[\s\S]*Offered/);
      await row.getByRole('button', { name: 'Edit' }).click();
      await dialog.getByLabel(/Offered in the client area/).uncheck();
      await dialog.getByRole('button', { name: 'Save product' }).click();
      await dialog.waitFor({ state: 'detached' });
      await row.getByText('Hidden').waitFor();
      await shot(page, 'owner-billing-settings', size);
      await row.getByRole('button', { name: 'Delete' }).click();
      await confirm(page, 'Delete product');
      await row.waitFor({ state: 'detached' });
      await seeAudit(page, env, `Deleted product Hosting L ${n}`);
      await seeAudit(page, env, 'Changed the payment methods');
      await seeAudit(page, env, 'Changed the notice settings');
    });
  });

  test(`your site: address, sites, areas, proxies, clients, keys at ${size.width}×${size.height}`, { timeout: 180000 }, async () => {
    const acc = await env.api('POST', '/api/accounts', { name: `Sites ${n}` });
    await asOwner(env, size, 'owner-your-site', async (page) => {
      // Without the client area's address the page says where to set it.
      const ca = await env.api('GET', '/api/settings/client-area');
      await env.api('PUT', '/api/settings/client-area', { ...ca, address: '' });
      await open(page, env, '#/settings/site', 'your-site');
      await page.getByTestId('site-no-address').getByRole('link', { name: 'Settings → Mail & client area' }).waitFor();
      await env.api('PUT', '/api/settings/client-area', { ...ca, address: `https://portal-${n}.example.com` });
      await open(page, env, '#/settings', 'mail-settings'); // another section and back: the sites are read again
      await open(page, env, '#/settings/site', 'your-site');
      assert.equal(await page.getByTestId('site-no-address').count(), 0);

      // A new site, its areas from the template (keys made unique).
      await page.getByRole('button', { name: 'Add a site' }).click();
      const add = page.getByTestId('add-site');
      await add.getByLabel('Name').fill(`Forum ${n}`);
      await add.getByLabel('Address').fill(`https://forum-${n}.example.com`);
      await add.getByRole('button', { name: 'Add site' }).click();
      await add.waitFor({ state: 'detached' });
      const editor = page.getByTestId('site-editor');
      await valueIs(editor.getByLabel('Name', { exact: true }), `Forum ${n}`); // the new site is chosen once the list is read again
      await editor.getByRole('button', { name: 'Start from the template' }).click();
      const areas = editor.getByTestId('area-row');
      assert.equal(await areas.count(), 8);
      const key = `forum-${n}-orders`;
      const orders = areas.nth(2); // dashboard, content, orders…
      await valueIs(orders.getByLabel('Key'), key);
      await orders.getByLabel('Label').fill('Shop orders');
      await orders.getByLabel('Path prefixes').fill('/admin/orders\n/admin/refunds');
      await editor.getByRole('button', { name: 'Save site' }).click();
      await page.getByText(`Site “Forum ${n}” saved`).waitFor();
      await editor.getByText(key, { exact: true }).waitFor(); // the key is fixed now
      await shot(page, 'owner-site-editor', size);

      // A contact holds the area: it cannot be removed, nor the site deleted.
      const held = await env.api('POST', '/api/contacts', {
        account_id: acc.id, first_name: 'Hal', last_name: n, email: `hal-${n}@example.test`, preset: 'custom', admin: { areas: [key] },
      });
      await editor.getByRole('button', { name: 'Remove area Shop orders' }).click();
      await editor.getByRole('button', { name: 'Save site' }).click();
      await editor.getByTestId('areas-error').getByText(new RegExp(`Contacts have admin access to ${key} \\(1 contact`)).waitFor();
      await editor.getByRole('button', { name: 'Discard' }).click();
      assert.equal(await areas.count(), 8);
      await page.getByRole('button', { name: `Delete Forum ${n}` }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Delete site' }).click();
      await page.getByTestId('confirm-dialog').getByText(new RegExp(`Contacts have admin access to ${key}`)).waitFor();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();

      // The proxy's configuration names the site.
      const proxy = page.getByTestId('proxy-snippets');
      let config = await proxy.getByTestId('proxy-config').locator('pre').innerText();
      assert.match(config, new RegExp(`server_name forum-${n}\\.example\\.com;`));
      assert.match(config, /location \/admin\/ \{\s+include snippets\/grantbook-guard\.conf;/);
      assert.match(config, /proxy_pass http:\/\/127\.0\.0\.1:\d+\/auth\/verify;/);
      await proxy.getByText('Caddy').click();
      config = await proxy.getByTestId('proxy-config').locator('pre').innerText();
      assert.match(config, new RegExp(`^forum-${n}\\.example\\.com \\{`));
      assert.match(config, /@admin path \/admin \/admin\/\*/);
      await proxy.getByRole('button', { name: 'Copy' }).click();
      await page.getByText(/Caddyfile copied|Selected: press Ctrl\+C/).first().waitFor();

      // Sign in with Grantbook: the discovery address, a client and its secret.
      const clients = page.getByTestId('oidc-clients');
      assert.equal(await clients.getByTestId('discovery-url').locator('code').innerText(), `https://portal-${n}.example.com/.well-known/openid-configuration`);
      await clients.getByRole('button', { name: 'Register a client' }).click();
      const cd = page.getByTestId('client-dialog');
      await cd.getByLabel('Name').fill('Discourse');
      await cd.getByLabel('Redirect addresses').fill(`https://forum-${n}.example.com/auth/oidc/callback`);
      await cd.getByRole('button', { name: 'Register' }).click();
      await cd.waitFor({ state: 'detached' });
      const secretBox = clients.getByTestId('client-secret');
      const first = await secretBox.locator('code').nth(1).innerText();
      assert.ok(first.length >= 20, `a secret is shown: ${first}`);
      await shot(page, 'owner-oidc-secret', size);
      await secretBox.getByRole('button', { name: 'I have copied it' }).click();
      await secretBox.waitFor({ state: 'detached' });
      const client = clients.getByTestId('client-row').filter({ hasText: 'Discourse' });
      await client.getByRole('button', { name: 'Edit' }).click();
      await cd.getByLabel('Name').fill('Discourse forum');
      await cd.getByRole('button', { name: 'Save client' }).click();
      await cd.waitFor({ state: 'detached' });
      const renamed = clients.getByTestId('client-row').filter({ hasText: 'Discourse forum' });
      await renamed.getByRole('button', { name: 'New secret' }).click();
      await confirm(page, 'Make a new secret');
      const second = await secretBox.locator('code').nth(1).innerText();
      assert.ok(second.length >= 20 && second !== first, 'a new secret is shown');
      await renamed.getByRole('button', { name: 'Remove' }).click();
      await confirm(page, 'Remove client');
      await renamed.waitFor({ state: 'detached' });
      await clients.getByText('No clients yet').waitFor();

      // Signing keys: one more after a rotation.
      const keys = page.getByTestId('signing-keys');
      await keys.getByTestId('key-row').first().waitFor();
      const before = await keys.getByTestId('key-row').count();
      await keys.getByRole('button', { name: 'Rotate' }).click();
      await confirm(page, 'Rotate key');
      await keys.getByTestId('key-row').nth(before).waitFor();
      assert.equal(await keys.getByText('Signs new tokens').count(), 1);
      await shot(page, 'owner-your-site', size);

      // Once nobody holds its areas, the site goes.
      await env.api('PATCH', `/api/contacts/${held.id}`, { admin: null, permissions: ['services.view'] });
      await page.getByRole('button', { name: `Delete Forum ${n}` }).click();
      await confirm(page, 'Delete site');
      await page.getByText(`Site “Forum ${n}” removed`).waitFor();
      await seeAudit(page, env, `Removed site Forum ${n}`);
      await seeAudit(page, env, 'Removed OpenID Connect client Discourse forum');
      await seeAudit(page, env, 'Replaced the OpenID Connect signing key');
    });
  });

  test(`grant editor and effective access per site at ${size.width}×${size.height}`, { timeout: 120000 }, async () => {
    const { api } = env;
    const acc = await api('POST', '/api/accounts', { name: `Grants ${n}` });
    const svc = await api('POST', `/api/accounts/${acc.id}/services`, { name: `grants-${n}.example`, kind: 'domain' });
    await api('POST', `/api/accounts/${acc.id}/services`, { name: `Other ${n}`, kind: 'hosting' });
    const blog = await api('POST', '/api/sites', {
      name: `Blog ${n}`, base_url: `https://blog-${n}.example.com`, areas: [{ name: `blog-${n}-posts`, label: 'Posts', prefixes: ['/wp-admin/edit.php'] }],
    });
    const ann = await api('POST', '/api/contacts', {
      account_id: acc.id, first_name: 'Ann', last_name: n, email: `ann-${n}@example.test`, preset: 'billing', service_ids: [svc.id], admin: { areas: ['orders'] },
    });
    try {
      await asOwner(env, size, 'owner-grant-editor', async (page) => {
        await open(page, env, `#/contacts/${ann.id}`, 'permission-editor');
        const editor = page.getByTestId('permission-editor');
        const scope = editor.getByTestId('billing-scope');
        await scope.getByText('Billing follows the service selection').waitFor();
        await scope.getByLabel(/Every invoice of the account/).check();
        await scope.getByText(/covers the whole account, while services and support requests stay limited/).waitFor();

        // Accept quotes brings View quotes; without View quotes it goes.
        await editor.getByRole('button', { name: 'Show actions' }).or(editor.getByRole('button', { name: 'Hide actions' })).first().waitFor();
        if (await editor.getByRole('button', { name: 'Show actions' }).isVisible()) await editor.getByRole('button', { name: 'Show actions' }).click();
        const accept = editor.getByRole('checkbox', { name: /Accept quotes/ });
        const view = editor.getByRole('checkbox', { name: 'View quotes', exact: true });
        await view.uncheck();
        await accept.check();
        assert.equal(await view.isChecked(), true);
        await view.uncheck();
        assert.equal(await accept.isChecked(), false);
        await accept.check();

        // Admin areas, one group per site.
        await editor.getByTestId('billing-scope').waitFor();
        const yours = editor.locator('fieldset.site', { hasText: 'Your site' });
        const theBlog = editor.locator('fieldset.site', { hasText: `Blog ${n}` });
        assert.equal(await yours.getByLabel('Orders').isChecked(), true);
        await theBlog.getByLabel('Posts').check();
        await shot(page, 'owner-grant-editor', size);
        await page.getByRole('button', { name: 'Save access' }).click();
        await page.getByText('Access saved').waitFor();
        const saved = await api('GET', `/api/contacts/${ann.id}`);
        assert.equal(saved.grant.billing_scope, 'account');
        assert.deepEqual([...saved.grant.permissions].sort(), ['emails.view', 'invoices.pay', 'invoices.view', 'quotes.accept', 'quotes.view']);
        assert.deepEqual([...saved.admin.areas].sort(), [`blog-${n}-posts`, 'orders'].sort());

        // The effective access: a heading per site with its paths under no area.
        const table = page.getByTestId('effective-access');
        const groups = await table.getByTestId('access-group').allInnerTexts();
        assert.ok(groups.includes('CLIENT AREA') || groups.includes('Client area'), groups.join('|'));
        assert.ok(groups.some((g) => /Admin access · Your site/i.test(g)) && groups.some((g) => new RegExp(`Admin access · Blog ${n}`, 'i').test(g)), groups.join('|'));
        assert.equal(await table.getByTestId('access-row').filter({ hasText: 'Paths under no area' }).count(), groups.length - 1);
        const pay = table.getByTestId('access-row').filter({ hasText: 'Pay invoices' });
        assert.match(await pay.innerText(), /on the whole account/);
        assert.match(await table.getByTestId('access-row').filter({ hasText: 'Accept quotes' }).innerText(), /Yes[\s\S]*allowed/);
        assert.match(await table.getByTestId('access-row').filter({ hasText: 'Cancel services' }).innerText(), /No[\s\S]*denied: grant is Custom; services\.cancel not included/);
        await shot(page, 'owner-effective-access', size);
        await seeAudit(page, env, `Ann ${n}`);
      });
    } finally {
      await api('PATCH', `/api/contacts/${ann.id}`, { admin: null });
      await api('DELETE', `/api/sites/${blog.id}`);
    }
  });
}
