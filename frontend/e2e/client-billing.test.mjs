// The client area's billing, in Chromium at desktop and phone size: an
// invoice's how-to-pay (bank details with the reference, the payment
// link), a payment reported after a confirmation step, its "payment
// reported" state and a refused date under its field; ordering from the
// catalogue (new service, upgrade, withdraw, a product gone meanwhile);
// quotes accepted and declined, and 409 for one decided meanwhile. A
// contact who may only look is told why, and is offered nothing.
//
//   GRANTBOOK_BIN=$PWD/../build/bin/grantbook node --test e2e/client-billing.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES } from './harness.mjs';
import { addContact, navLabels, pageFetch, startClientArea, toastSaying } from './client.mjs';

let ca;
const fx = {};

before(async () => {
  ca = await startClientArea('client-billing');
  const { api } = ca;
  await api('PUT', '/api/settings/payments', {
    bank_transfer: { enabled: true, details: 'Harbour Hosting Ltd\nIBAN DE02 1203 0000 0000 2020 51\nBIC BYLADEM1001' },
    payment_link: { enabled: true, url_template: 'https://pay.example.com/i/{number}?amount={amount}&cur={currency}' },
  });
  fx.product = await api('POST', '/api/products', {
    name: 'Business hosting', kind: 'hosting', description: '50 GB, daily backups', price_cents: 1900, currency: 'EUR', billing_cycle: 'monthly', active: true,
  });
  fx.domainProduct = await api('POST', '/api/products', { name: '.com domain', kind: 'domain', price_cents: 1500, currency: 'EUR', billing_cycle: 'yearly', active: true });
  fx.account = await api('POST', '/api/accounts', { name: 'Harbour Bakery Ltd' });
  const acc = `/api/accounts/${fx.account.id}`;
  for (const size of SIZES) {
    const hosting = await api('POST', `${acc}/services`, { name: `Shop hosting (${size.name})`, kind: 'hosting' });
    fx[size.name] = {
      hosting,
      invoice: await api('POST', `${acc}/invoices`, { service_id: hosting.id, number: `INV-${size.name}-1`, amount_cents: 1200, currency: 'EUR', due_at: '2099-01-31' }),
      other: await api('POST', `${acc}/invoices`, { service_id: hosting.id, number: `INV-${size.name}-2`, amount_cents: 4500, currency: 'EUR' }),
      accept: await api('POST', `${acc}/quotes`, { number: `Q-${size.name}-1`, title: 'Shop redesign', amount_cents: 250000, currency: 'EUR' }),
      decline: await api('POST', `${acc}/quotes`, { number: `Q-${size.name}-2`, title: 'Logo refresh', amount_cents: 40000, currency: 'EUR' }),
      raced: await api('POST', `${acc}/quotes`, { number: `Q-${size.name}-3`, title: 'Photo shoot', amount_cents: 80000, currency: 'EUR' }),
      // Nobody decides it: the view-only contact always has an open quote.
      open: await api('POST', `${acc}/quotes`, { number: `Q-${size.name}-4`, title: 'Menu cards', amount_cents: 12000, currency: 'EUR' }),
    };
  }
  await addContact(api, fx.account.id, 'Bea', 'Books', 'bea@bakery.test', {
    preset: 'custom',
    permissions: ['services.view', 'invoices.view', 'invoices.pay', 'quotes.view', 'quotes.accept', 'orders.place'],
  });
  await addContact(api, fx.account.id, 'Lou', 'Looker', 'lou@bakery.test', { preset: 'custom', permissions: ['invoices.view', 'quotes.view'] });
  // An account with more invoices than a page holds.
  fx.ledger = await api('POST', '/api/accounts', { name: 'Long Ledger Ltd' });
  for (let i = 1; i <= 55; i++) {
    await api('POST', `/api/accounts/${fx.ledger.id}/invoices`, { number: `LL-${String(i).padStart(3, '0')}`, amount_cents: 100 * i, currency: 'EUR' });
  }
  await addContact(api, fx.ledger.id, 'Ida', 'Ledger', 'ida@ledger.test', { preset: 'custom', permissions: ['invoices.view'] });
  fx.ida = await ca.signIn('ida@ledger.test');
  fx.bea = await ca.signIn('bea@bakery.test');
  fx.lou = await ca.signIn('lou@bakery.test');
});

after(() => ca?.close());

for (const size of SIZES) {
  const phone = size.name === 'phone';

  test(`invoices: how to pay, a refused date, a confirmed report at ${size.name}`, { timeout: 90000 }, () =>
    ca.inPage(size, fx.bea, 'pay', async (page) => {
      const { invoice } = fx[size.name];
      await ca.open(page, 'invoices', 'portal-invoices-table');
      await page.getByRole('link', { name: invoice.number }).click();
      await page.getByTestId('how-to-pay').waitFor();
      assert.match(await page.getByTestId('bank-details').innerText(), /IBAN DE02 1203 0000 0000 2020 51/);
      assert.equal((await page.getByTestId('bank-reference').innerText()).trim(), invoice.number);
      assert.equal(await page.getByTestId('payment-link').getAttribute('href'), `https://pay.example.com/i/${invoice.number}?amount=12.00&cur=EUR`);
      assert.equal(await page.getByTestId('payment-link').getAttribute('rel'), 'noopener noreferrer');
      await ca.check(page, size, 'invoice');

      // A day that cannot be right: the server says so under the date.
      const form = page.getByTestId('report-form');
      await form.getByLabel('Paid on').fill('2099-01-01');
      await form.getByRole('button', { name: 'Report payment' }).click();
      await page.locator('#pay-date-error').waitFor();
      assert.match(await page.locator('#pay-date-error').innerText(), /2099-01-01 is not a day you can have paid on/);

      // The report is asked about first, in the server's words.
      const today = await page.evaluate(() => new Date().toISOString().slice(0, 10));
      await form.getByLabel('Paid on').fill(today);
      await form.getByLabel('How you paid').selectOption('bank_transfer');
      await form.getByLabel('Your reference').fill('TRX 88123');
      await form.getByRole('button', { name: 'Report payment' }).click();
      const confirm = page.getByTestId('confirm-dialog');
      await confirm.waitFor();
      assert.match(await confirm.innerText(), new RegExp(`Confirm that you paid 12\\.00 EUR on ${today} \\(bank transfer\\): the owner will check it`));
      let stored = await ca.api('GET', `/api/invoices/${invoice.id}`);
      assert.equal(stored.invoice.status, 'unpaid', 'nothing is reported before the confirmation');
      await ca.check(page, size, 'invoice-confirm');
      await confirm.getByRole('button', { name: 'Yes, I paid' }).click();
      await page.getByTestId('payment-waiting').waitFor();
      assert.equal((await page.getByTestId('portal-invoice').getByTestId('status-pill').first().innerText()).trim(), 'Payment reported');
      assert.match(await page.getByTestId('payment-report').innerText(), /by Bank transfer, reference TRX 88123\s+Waiting for the owner/);
      assert.equal(await page.getByTestId('how-to-pay').count(), 0);
      stored = await ca.api('GET', `/api/invoices/${invoice.id}`);
      assert.equal(stored.invoice.status, 'reported');
      assert.equal(stored.payment_reports[0].reference, 'TRX 88123');
      await ca.check(page, size, 'invoice-reported');
      await ca.open(page, 'invoices', 'portal-invoices-table');
      const row = page.getByTestId('portal-invoice-row').filter({ hasText: invoice.number });
      assert.match(await row.innerText(), /Payment reported/);
    }),
  );

  test(`orders: a new service, an upgrade, withdrawn, a product gone meanwhile at ${size.name}`, { timeout: 90000 }, () =>
    ca.inPage(size, fx.bea, 'orders', async (page) => {
      const { hosting } = fx[size.name];
      await ca.open(page, 'orders', 'portal-orders');
      const product = page.getByTestId('product').filter({ hasText: 'Business hosting' });
      assert.match(await product.innerText(), /50 GB, daily backups[\s\S]*€19\.00 monthly/);
      await ca.check(page, size, 'orders');
      await product.getByRole('button', { name: 'Order Business hosting' }).click();
      const dialog = page.getByTestId('order-dialog');
      await dialog.waitFor();
      await dialog.getByLabel('Name for the new service').fill(`second-shop-${size.name}.example`);
      await dialog.getByLabel('Note for the account owner').fill('Before the summer, please.');
      await ca.check(page, size, 'order-dialog');
      await dialog.getByRole('button', { name: 'Place order' }).click();
      await toastSaying(page, 'Order placed: Business hosting');
      const rows = page.getByTestId('order-row');
      const placed = rows.filter({ hasText: `second-shop-${size.name}.example` });
      assert.match(await placed.innerText(), /Before the summer, please\.[\s\S]*Bea Books[\s\S]*Pending/);

      // An upgrade of a service of the same kind.
      await product.getByRole('button', { name: 'Order Business hosting' }).click();
      await dialog.getByLabel('For', { exact: true }).selectOption({ label: `Upgrade ${hosting.name}` });
      assert.equal(await dialog.getByLabel('Name for the new service').count(), 0);
      await dialog.getByRole('button', { name: 'Place order' }).click();
      await toastSaying(page, 'Order placed');
      const upgrade = rows.filter({ hasText: 'Upgrade to Business hosting' }).filter({ hasText: `of ${hosting.name}` });
      await upgrade.waitFor();
      const orders = (await ca.api('GET', `/api/accounts/${fx.account.id}/orders`)).orders;
      assert.ok(orders.some((o) => o.upgrade && o.service_id === hosting.id && o.state === 'pending'), 'the upgrade names the service');

      await placed.getByRole('button', { name: 'Withdraw' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Withdraw order' }).click();
      await toastSaying(page, 'Order withdrawn');
      assert.match(await placed.innerText(), /Withdrawn/);
      assert.equal(await placed.getByRole('button', { name: 'Withdraw' }).count(), 0);
      if (phone) await ca.check(page, size, 'orders-list');

      // The owner takes a product off the catalogue while the form is open.
      const domain = page.getByTestId('product').filter({ hasText: '.com domain' });
      await domain.getByRole('button', { name: 'Order .com domain' }).click();
      await dialog.waitFor();
      await ca.api('PATCH', `/api/products/${fx.domainProduct.id}`, { active: false });
      await dialog.getByRole('button', { name: 'Place order' }).click();
      await page.locator('#order-product-error').waitFor();
      assert.match(await page.locator('#order-product-error').innerText(), /Choose a product of the catalogue/);
      await ca.api('PATCH', `/api/products/${fx.domainProduct.id}`, { active: true });
    }),
  );

  test(`invoices: 55 of them, 50 a page, with a pager at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.ida, 'pager', async (page) => {
      await ca.open(page, 'invoices', 'portal-invoices-table');
      const rows = page.getByTestId('portal-invoice-row');
      const foot = page.locator('.table-foot');
      assert.equal(await rows.count(), 50);
      assert.match(await foot.innerText(), /1–50 of 55 · page 1 of 2/);
      // The open balance is of every invoice, not the page's.
      assert.match(await page.getByText('Open balance').locator('..').innerText(), /€1,540\.00|1\.540,00/);
      await ca.check(page, size, 'invoices-paged');
      await foot.getByRole('button', { name: 'Next' }).click();
      await foot.getByText('51–55 of 55 · page 2 of 2').waitFor();
      assert.equal(await rows.count(), 5);
      assert.ok(await foot.getByRole('button', { name: 'Next' }).isDisabled());
      await foot.getByRole('button', { name: 'Previous' }).click();
      await foot.getByText('1–50 of 55 · page 1 of 2').waitFor();
      assert.equal(await rows.count(), 50);
    }),
  );

  test(`quotes: accepted with a note, declined, and one decided meanwhile at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.bea, 'quotes', async (page) => {
      const { accept, decline, raced } = fx[size.name];
      await ca.open(page, 'quotes', 'portal-quotes-table');
      const row = (q) => page.getByTestId('portal-quote-row').filter({ hasText: q.number });
      await row(accept).getByRole('button', { name: 'Accept' }).click();
      const dialog = page.getByTestId('quote-dialog');
      await dialog.getByLabel('Note for the account owner').fill('Go ahead in March.');
      await ca.check(page, size, 'quote-dialog');
      await dialog.getByRole('button', { name: 'Accept quote' }).click();
      await toastSaying(page, `Quote ${accept.number} accepted`);
      assert.match(await row(accept).innerText(), /Accepted\s+by Bea Books[\s\S]*Go ahead in March\./);
      assert.equal(await row(accept).getByRole('button').count(), 0);

      await row(decline).getByRole('button', { name: 'Decline' }).click();
      await dialog.getByRole('button', { name: 'Decline quote' }).click();
      await toastSaying(page, `Quote ${decline.number} declined`);
      assert.match(await row(decline).innerText(), /Declined/);

      // Decided elsewhere after the page loaded: 409, said in the dialog.
      assert.equal((await pageFetch(page, 'POST', `/api/portal/quotes/${raced.id}/decline`, {})).status, 200);
      await row(raced).getByRole('button', { name: 'Accept' }).click();
      await dialog.getByRole('button', { name: 'Accept quote' }).click();
      await page.getByTestId('quote-error').waitFor();
      assert.match(await page.getByTestId('quote-error').innerText(), /Quote Q-\S+ is no longer open/);
      // Behind the dialog the row shows what it is now.
      await row(raced).getByText('Declined').waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      assert.equal(await row(raced).getByRole('button').count(), 0);
      await ca.check(page, size, 'quotes');
    }),
  );

  test(`billing: a contact who may only look is told why at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.lou, 'view-only', async (page) => {
      const { other } = fx[size.name];
      await ca.open(page, `invoices/${other.id}`, 'portal-invoice');
      await page.getByTestId('pay-reason').waitFor();
      assert.match(await page.getByTestId('pay-reason').innerText(), /Paying invoices is not part of your access\. Grant is Custom; invoices\.pay not included\./);
      assert.equal(await page.getByTestId('how-to-pay').count(), 0);
      await ca.check(page, size, 'invoice-denied');
      await ca.open(page, 'quotes', 'portal-quotes-table');
      assert.equal(await page.getByTestId('portal-quotes-table').getByRole('button').count(), 0);
      await page.getByTestId('quotes-view-only').waitFor();
      assert.match(await page.getByTestId('portal-quote-row').filter({ hasText: fx[size.name].open.number }).innerText(), /Open/);
      assert.ok(!(await navLabels(page)).includes('Orders'), 'Orders offered without orders.place');
      // Its API refuses with the grant's reason.
      const r = await pageFetch(page, 'GET', '/api/portal/products');
      assert.equal(r.status, 403);
      assert.equal(r.json.error.message, 'denied: grant is Custom; orders.place not included');
    }),
  );
}
