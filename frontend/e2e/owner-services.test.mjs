// The owner's side of services and orders, walked as a person does at
// 1280×800 and 390×844: a service's page (edit, a contact's change in its
// history, Revert with the 409 of an older change, delete), cancellation
// requests (confirm at the end of the term, 422 without a date, decline)
// and orders (accept with an invoice number and due date, decline), each
// seen in the audit log.
//
//   GRANTBOOK_BIN=/tmp/grantbook node --test e2e/owner-services.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES, asContact, asOwner, confirm, open, seeAudit, shot, startOwnerEnv } from './ownerkit.mjs';

let env;
before(async () => {
  env = await startOwnerEnv('owner-services');
});
after(async () => {
  await env?.stop();
});

/** Per size, one account with services to change, cancel and delete, and
 * a contact who may do everything, signed in once (sign-ins are limited). */
const seeded = {};
async function seed(size) {
  if (seeded[size.name]) return seeded[size.name];
  const { api } = env;
  const acc = await api('POST', '/api/accounts', { name: `Acme ${size.name}` });
  const svc = (name, kind) => api('POST', `/api/accounts/${acc.id}/services`, { name, kind });
  const domain = await svc(`acme-${size.name}.example`, 'domain');
  const hosting = await svc(`VPS ${size.name}`, 'hosting');
  const old = await svc(`old-${size.name}.example`, 'domain');
  const shared = await svc(`Shared hosting ${size.name}`, 'hosting');
  const email = `pat-${size.name}@example.test`;
  await api('POST', '/api/contacts', { account_id: acc.id, first_name: 'Pat', last_name: size.name, email, preset: 'full' });
  const pat = await asContact(env, email);
  return (seeded[size.name] = { acc, domain, hosting, old, shared, pat });
}

for (const size of SIZES) {
  test(`services: edit, history, revert and delete at ${size.width}×${size.height}`, { timeout: 120000 }, async () => {
    const { acc, domain, hosting, pat } = await seed(size);
    await pat.send('PATCH', `/api/portal/services/${domain.id}/settings`, { nameservers: ['ns1.pat.example', 'ns2.pat.example'] }, 200);

    await asOwner(env, size, 'owner-services', async (page) => {
      await open(page, env, `#/accounts/${acc.id}`, 'services-table');
      await page.getByRole('link', { name: domain.name }).click();
      const detail = page.getByTestId('service-detail');
      await detail.getByRole('heading', { name: domain.name }).waitFor();
      assert.match(await page.getByTestId('service-settings').innerText(), /ns1\.pat\.example, ns2\.pat\.example/);
      assert.equal(await page.getByTestId('change-row').count(), 1);
      assert.match(await page.getByTestId('change-row').first().innerText(), /Pat/);

      // Edit: another name, suspended, and the nameservers the owner wants.
      await detail.getByRole('button', { name: 'Edit' }).click();
      const edit = page.getByTestId('service-edit');
      await edit.getByLabel('Service name').fill(`${domain.name}.renamed`);
      await edit.getByLabel('Status').selectOption('suspended');
      await edit.getByLabel('Nameservers').fill('ns1.owner.example\nns2.owner.example');
      await shot(page, 'owner-service-edit', size);
      await edit.getByRole('button', { name: 'Save service' }).click();
      await edit.waitFor({ state: 'detached' });
      await detail.getByRole('heading', { name: `${domain.name}.renamed` }).waitFor();
      assert.match(await page.getByTestId('service-settings').innerText(), /ns1\.owner\.example, ns2\.owner\.example/);
      assert.equal(await detail.getByTestId('status-pill').first().innerText(), 'Suspended');
      await page.getByTestId('change-row').nth(1).waitFor();
      await page.getByTestId('entity-history').getByText(`Corrected service ${domain.name}.renamed`).waitFor();

      // The contact's change is older than the owner's: it cannot be reverted first.
      const rows = page.getByTestId('change-row');
      await rows.nth(1).getByRole('button', { name: 'Revert' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Revert', exact: true }).click();
      await page.getByTestId('confirm-dialog').getByText('revert the newer change first').waitFor();
      await shot(page, 'owner-service-revert-409', size);
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();

      await rows.first().getByRole('button', { name: 'Revert' }).click();
      assert.match(await page.getByTestId('confirm-dialog').innerText(), /ns1\.owner\.example, ns2\.owner\.example.*ns1\.pat\.example, ns2\.pat\.example/s);
      await confirm(page, 'Revert');
      await page.getByTestId('change-row').nth(2).waitFor();
      assert.match(await page.getByTestId('service-settings').innerText(), /ns1\.pat\.example, ns2\.pat\.example/);
      assert.match(await rows.nth(1).innerText(), /reverted later/);
      await page.getByTestId('entity-history').getByText("Reverted Owner's change of nameservers").waitFor();
      await shot(page, 'owner-service-detail', size);

      // Delete the hosting plan: back on the account, the row is gone.
      await page.goto(`${env.server.base}/#/services/${hosting.id}`);
      await detail.getByRole('heading', { name: hosting.name }).waitFor();
      await detail.getByRole('button', { name: 'Delete' }).click();
      assert.match(await page.getByTestId('confirm-dialog').innerText(), /invoices and support requests stay/);
      await confirm(page, 'Delete service');
      await page.getByTestId('services-table').waitFor();
      await page.getByRole('link', { name: `${domain.name}.renamed` }).waitFor();
      assert.equal(await page.getByRole('link', { name: hosting.name }).count(), 0);
      await seeAudit(page, env, `Deleted service ${hosting.name}`);
    });
  });

  test(`cancellations: confirm at the end of the term and decline at ${size.width}×${size.height}`, { timeout: 120000 }, async () => {
    const { acc, old: domain, shared: hosting, pat } = await seed(size);
    await pat.send('POST', `/api/portal/services/${domain.id}/cancellation`, { timing: 'end_of_term', reason: 'Moving the domain elsewhere' }, 201);
    await pat.send('POST', `/api/portal/services/${hosting.id}/cancellation`, { timing: 'now', reason: 'Too slow' }, 201);

    await asOwner(env, size, 'owner-cancellations', async (page) => {
      await open(page, env, `#/accounts/${acc.id}`, 'services-table');
      await page.getByTestId('cancellations-waiting').waitFor();
      assert.match(await page.getByTestId('services-table').innerText(), /Cancellation requested/);
      await page.getByRole('link', { name: domain.name }).click();
      const req = page.getByTestId('cancellation-row');
      await req.waitFor();
      assert.match(await req.innerText(), /Pat .* asked to cancel at the end of the term/);
      assert.match(await req.innerText(), /Moving the domain elsewhere/);

      // No renewal date known: the server's 422 shows under the date.
      await req.getByRole('button', { name: 'Confirm cancellation' }).click();
      const dialog = page.getByTestId('confirm-cancellation');
      await dialog.getByRole('button', { name: 'Confirm cancellation' }).click();
      await page.locator('#cx-effective-error').waitFor();
      assert.match(await page.locator('#cx-effective-error').innerText(), /no renewal date: say when its term ends/);
      await shot(page, 'owner-cancellation-422', size);
      await dialog.getByLabel('Cancel on').fill('2099-12-31');
      await dialog.getByRole('button', { name: 'Confirm cancellation' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByText(/Cancellation confirmed: the service ends on/).waitFor();
      assert.equal(await req.getByTestId('status-pill').innerText(), 'Confirmed');
      await page.getByTestId('entity-history').getByText(`Confirmed the cancellation of ${domain.name} asked by Pat ${size.name}`).waitFor();

      await page.goto(`${env.server.base}/#/services/${hosting.id}`);
      await req.getByRole('button', { name: 'Decline' }).click();
      const decline = page.getByTestId('decline-cancellation');
      await decline.getByLabel('Reason').fill('Your contract runs until June');
      await decline.getByRole('button', { name: 'Decline request' }).click();
      await decline.waitFor({ state: 'detached' });
      assert.equal(await req.getByTestId('status-pill').innerText(), 'Declined');
      assert.match(await req.innerText(), /Your answer: Your contract runs until June/);
      assert.equal(await page.getByTestId('service-detail').getByTestId('status-pill').first().innerText(), 'Active');
      await shot(page, 'owner-cancellations', size);
      await seeAudit(page, env, `Declined the cancellation of ${hosting.name} asked by Pat ${size.name}`);
    });
  });

  test(`orders: accept and decline at ${size.width}×${size.height}`, { timeout: 120000 }, async () => {
    const { acc, pat } = await seed(size);
    const product = await env.api('POST', '/api/products', { name: `Mail box ${size.name}`, kind: 'email', price_cents: 500, billing_cycle: 'monthly' });
    await pat.send('POST', '/api/portal/orders', { product_id: product.id, label: `Office mail ${size.name}`, note: 'Five boxes please' }, 201);
    await pat.send('POST', '/api/portal/orders', { product_id: product.id, label: `Spare mail ${size.name}` }, 201);
    const late = (await pat.send('POST', '/api/portal/orders', { product_id: product.id, label: `Late mail ${size.name}` }, 201)).json;

    await asOwner(env, size, 'owner-orders', async (page) => {
      await open(page, env, `#/accounts/${acc.id}`, 'services-table');
      await page.getByRole('tab', { name: 'Orders' }).click();
      const rows = page.getByTestId('order-row');
      await rows.nth(2).waitFor();
      // Withdrawn by the contact while the owner looks: the 409 says so.
      await pat.send('POST', `/api/portal/orders/${late.id}/withdraw`, undefined, 200);
      await rows.filter({ hasText: `Late mail ${size.name}` }).getByRole('button', { name: 'Decline' }).click();
      const refused = page.getByTestId('decline-order');
      await refused.getByRole('button', { name: 'Decline order' }).click();
      await refused.getByText('This order is withdrawn: there is nothing to decide').waitFor();
      await shot(page, 'owner-order-409', size);
      await refused.getByRole('button', { name: 'Cancel' }).click();
      // The list shows what is: withdrawn, nothing to decide.
      const withdrawn = rows.filter({ hasText: `Late mail ${size.name}` });
      await withdrawn.getByTestId('status-pill').getByText('Withdrawn').waitFor();
      assert.equal(await withdrawn.getByRole('button', { name: 'Decline' }).count(), 0);
      const office = rows.filter({ hasText: `Office mail ${size.name}` });
      assert.match(await office.innerText(), /Five boxes please/);
      await office.getByRole('button', { name: 'Accept' }).click();
      const accept = page.getByTestId('accept-order');
      assert.match(await accept.innerText(), /joins their selection/);
      await accept.getByLabel('Invoice number').fill(`INV-ORD-${size.name}`);
      await accept.getByLabel('Due').fill('2099-01-31');
      await shot(page, 'owner-order-accept', size);
      await accept.getByRole('button', { name: 'Accept order' }).click();
      await accept.waitFor({ state: 'detached' });
      await office.getByText('Accepted').waitFor();

      const spare = rows.filter({ hasText: `Spare mail ${size.name}` });
      await spare.getByRole('button', { name: 'Decline' }).click();
      const decline = page.getByTestId('decline-order');
      await decline.getByLabel('Reason').fill('One box is enough for now');
      await decline.getByRole('button', { name: 'Decline order' }).click();
      await decline.waitFor({ state: 'detached' });
      await spare.getByText('One box is enough for now').waitFor();
      assert.equal(await spare.getByTestId('status-pill').innerText(), 'Declined');
      await shot(page, 'owner-orders', size);

      // The accepted order made the service and its invoice.
      await page.getByRole('tab', { name: 'Services' }).click();
      await page.getByRole('link', { name: `Office mail ${size.name}` }).waitFor();
      await page.getByRole('tab', { name: 'Invoices' }).click();
      await page.getByTestId('account-invoices').getByText(`INV-ORD-${size.name}`, { exact: true }).waitFor();
      await seeAudit(page, env, `Accepted the order of Mail box ${size.name} by Pat ${size.name}`);
      await seeAudit(page, env, `Declined the order of Mail box ${size.name} by Pat ${size.name}`);
    });
  });
}
