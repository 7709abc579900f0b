// The client area's services, in Chromium at desktop and phone size: a
// service's settings form built from its kind (typed fields, owner-only
// ones read only), a server refusal under its field, the change history
// with names, a request, cancellation asked and withdrawn, 409 once the
// service is cancelled, and a contact without services.modify/cancel
// told why.
//
//   GRANTBOOK_BIN=$PWD/../build/bin/grantbook node --test e2e/client-services.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES } from './harness.mjs';
import { addContact, navLabels, startClientArea, toastSaying } from './client.mjs';

let ca;
const fx = {};

before(async () => {
  ca = await startClientArea('client-services');
  const { api } = ca;
  fx.account = await api('POST', '/api/accounts', { name: 'Harbour Bakery Ltd' });
  const acc = `/api/accounts/${fx.account.id}`;
  for (const size of SIZES) {
    const domain = await api('POST', `${acc}/services`, { name: `harbour-bakery-${size.name}.example`, kind: 'domain' });
    await api('PATCH', `/api/services/${domain.id}`, {
      settings: { nameservers: ['ns1.old-host.example', 'ns2.old-host.example'], auto_renew: false, registrar_lock: true },
      renews_at: '2099-03-31',
    });
    const hosting = await api('POST', `${acc}/services`, { name: `Bakery hosting (${size.name})`, kind: 'hosting' });
    await api('PATCH', `/api/services/${hosting.id}`, { renews_at: '2099-05-31' });
    const licence = await api('POST', `${acc}/services`, { name: `Till licence (${size.name})`, kind: 'licence' });
    await api('PATCH', `/api/services/${licence.id}`, { settings: { seats: 5, seats_in_use: 2 } });
    fx[size.name] = { domain, hosting, licence };
  }
  await addContact(api, fx.account.id, 'Ada', 'Baker', 'ada@bakery.test', { preset: 'full' });
  await addContact(api, fx.account.id, 'Tom', 'Tech', 'tom@bakery.test', { preset: 'technical' });
  fx.ada = await ca.signIn('ada@bakery.test');
  fx.tom = await ca.signIn('tom@bakery.test');
  fx.liz = await addContact(api, fx.account.id, 'Liz', 'Later', 'liz@bakery.test', { preset: 'technical' });
  fx.lizState = await ca.signIn('liz@bakery.test');
});

after(() => ca?.close());

for (const size of SIZES) {
  const phone = size.name === 'phone';

  test(`services: settings, history and a request at ${size.name}`, { timeout: 90000 }, () =>
    ca.inPage(size, fx.ada, 'settings', async (page) => {
      const { domain, hosting, licence } = fx[size.name];
      await ca.open(page, 'services', 'portal-services-table');
      await page.getByRole('link', { name: domain.name }).click();
      await page.getByTestId('portal-service').getByRole('heading', { name: domain.name }).waitFor();
      assert.match(await page.getByTestId('portal-service').innerText(), /Renews on/);
      const ns = page.getByLabel('Nameservers');
      assert.equal(await ns.inputValue(), 'ns1.old-host.example\nns2.old-host.example');
      assert.equal(await page.getByLabel('Registrar lock').isChecked(), true);
      await ca.check(page, size, 'service');

      // The server's refusal of a value shows under its field.
      await ns.fill('ns1.new-host.example\nbad_host!');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.locator('#set-nameservers-error').waitFor();
      assert.match(await page.locator('#set-nameservers-error').innerText(), /"bad_host!" is not a host name/);
      assert.equal(await ns.getAttribute('aria-invalid'), 'true');
      if (phone) await ca.check(page, size, 'service-field-error');

      await ns.fill('ns1.new-host.example\nns2.new-host.example');
      await page.getByLabel('Renew automatically').check();
      await page.getByRole('button', { name: 'Save settings' }).click();
      await toastSaying(page, 'Settings saved');
      const rows = page.getByTestId('change-row');
      await rows.nth(1).waitFor();
      const history = await page.getByTestId('service-history').innerText();
      assert.match(history, /Nameservers\s+ns1\.old-host\.example, ns2\.old-host\.example\s+ns1\.new-host\.example, ns2\.new-host\.example/);
      assert.match(history, /Renew automatically\s+No\s+Yes/);
      assert.match(await rows.filter({ hasText: 'ns1.new-host.example' }).innerText(), /Ada Baker/);
      assert.ok(!history.includes('ada@bakery.test'), 'the history shows names, not addresses');
      const stored = await ca.api('GET', `/api/services/${domain.id}`);
      assert.deepEqual(stored.service.settings.nameservers, ['ns1.new-host.example', 'ns2.new-host.example']);

      // A licence's seats are the owner's; seats in use may not exceed them.
      await ca.open(page, `services/${licence.id}`, 'settings-card');
      assert.equal((await page.getByTestId('setting-seats').innerText()).trim(), '5');
      assert.match(await page.getByTestId('settings-card').innerText(), /Set by the account owner/);
      await page.getByLabel('Seats in use').fill('9');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.locator('#set-seats_in_use-error').waitFor();

      // A request changes nothing by itself; it is in the history.
      await ca.open(page, `services/${hosting.id}`, 'settings-card');
      await page.getByRole('button', { name: 'Request a password reset' }).click();
      await page.getByTestId('confirm-dialog').waitFor();
      if (phone) await ca.check(page, size, 'service-request');
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Send request' }).click();
      await toastSaying(page, 'sent to the account owner');
      assert.match(await page.getByTestId('service-history').innerText(), /Request a password reset\s+A request: nothing changed by itself/);
    }),
  );

  test(`services: cancellation asked, withdrawn, and 409 once cancelled at ${size.name}`, { timeout: 90000 }, () =>
    ca.inPage(size, fx.ada, 'cancel', async (page) => {
      const { domain, hosting } = fx[size.name];
      await ca.open(page, `services/${hosting.id}`, 'cancel-card');
      await page.getByRole('button', { name: 'Request cancellation' }).click();
      const dialog = page.getByTestId('cancel-dialog');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /At the end of the term \(/);
      // A reason is required; the dialog says so under the field.
      await dialog.getByRole('button', { name: 'Request cancellation' }).click();
      await page.locator('#cancel-reason-text-error').waitFor();
      await dialog.getByLabel('Reason').fill('We moved the shop to another host.');
      await ca.check(page, size, 'cancel-dialog');
      await dialog.getByRole('button', { name: 'Request cancellation' }).click();
      const requested = page.getByTestId('cancellation-requested');
      await requested.waitFor();
      assert.match(await requested.innerText(), /Cancellation requested — at the end of its term, asked by Ada Baker/);
      assert.match(await requested.innerText(), /We moved the shop to another host\./);
      assert.equal(await page.getByTestId('cancel-card').count(), 0);
      await ca.check(page, size, 'cancellation-requested');
      const list = await ca.api('GET', `/api/accounts/${fx.account.id}/cancellations`);
      assert.equal(list.cancellations.find((c) => c.service_id === hosting.id)?.state, 'requested');

      await requested.getByRole('button', { name: 'Withdraw request' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Withdraw request' }).click();
      await toastSaying(page, 'Cancellation request withdrawn');
      await page.getByTestId('cancel-card').waitFor();
      assert.equal(await requested.count(), 0);

      // The owner cancels the domain while its page is open: saving is refused (409).
      await ca.open(page, `services/${domain.id}`, 'settings-card');
      await ca.api('PATCH', `/api/services/${domain.id}`, { status: 'cancelled' });
      await page.getByLabel('Registrar lock').uncheck();
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByTestId('settings-error').waitFor();
      assert.match(await page.getByTestId('settings-error').innerText(), /is cancelled: its settings can no longer change/);
      // Reloaded, it says so and offers nothing to change.
      await ca.open(page, `services/${domain.id}`, 'settings-card');
      assert.match(await page.getByTestId('settings-card').innerText(), /This service is cancelled/);
      assert.equal(await page.getByRole('button', { name: 'Save settings' }).count(), 0);
      assert.equal(await page.getByTestId('cancel-card').count(), 0);
    }),
  );

  test(`services: a technical contact sees why they cannot change or cancel at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.tom, 'denied', async (page) => {
      const { domain, hosting } = fx[size.name];
      await ca.open(page, `services/${hosting.id}`, 'settings-card');
      assert.match(await page.getByTestId('modify-reason').innerText(), /changing them is not part of your access\. Grant is Technical; services\.modify not included\./);
      assert.match(await page.getByTestId('cancel-reason').innerText(), /Cancelling is not part of your access\. Grant is Technical; services\.cancel not included\./);
      assert.equal(await page.getByTestId('settings-card').locator('input, textarea').count(), 0);
      for (const name of ['Save settings', 'Request cancellation', 'Request a password reset']) {
        assert.equal(await page.getByRole('button', { name }).count(), 0, `${name} offered`);
      }
      await ca.check(page, size, 'service-denied');
      // Another account's service, or none: not found.
      await ca.open(page, 'services/99999', 'portal-service');
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      await ca.open(page, `services/${domain.id}`, 'service-history');
    }),
  );

  // Was: the sections stayed as they were at sign-in until a reload.
  test(`services: the sections follow a grant the owner changes while the page is open at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.lizState, 'grant-changed', async (page) => {
      await ca.api('PATCH', `/api/contacts/${fx.liz.id}`, { preset: 'technical' });
      await ca.open(page, 'services', 'portal-services-table');
      assert.ok((await navLabels(page)).includes('Services'), 'Services missing at first');
      await ca.api('PATCH', `/api/contacts/${fx.liz.id}`, { preset: 'billing' });
      await page.evaluate(() => (location.hash = '#/requests'));
      await page.waitForFunction(() => ![...document.querySelectorAll('[data-testid="portal-nav"] a')].some((a) => a.textContent.trim() === 'Services'));
      assert.ok((await navLabels(page)).includes('Invoices'), 'Invoices missing after the change to Billing');
    }),
  );
}
