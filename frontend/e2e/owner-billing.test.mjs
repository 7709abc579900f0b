// The owner's side of invoices, quotes, support and mail, walked as a
// person does at 1280×800 and 390×844: confirm or reject a reported
// payment, mark paid, undo, correct and delete an invoice; quotes with who
// decided and why, corrected and deleted; a support conversation answered,
// closed, opened again, corrected and deleted; the account's mail history;
// the account holder. Each seen in the audit log.
//
//   GRANTBOOK_BIN=/tmp/grantbook node --test e2e/owner-billing.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES, asContact, asOwner, confirm, open, seeAudit, shot, startOwnerEnv } from './ownerkit.mjs';

let env;
before(async () => {
  env = await startOwnerEnv('owner-billing');
  await env.api('PUT', '/api/settings/payments', { bank_transfer: { enabled: true, details: 'Owner Ltd\nIBAN DE02 1203 0000 0000 2020 51' } });
});
after(async () => {
  await env?.stop();
});

const today = new Date().toISOString().slice(0, 10);

/** Per size, an account with invoices, quotes and a contact who may do
 * everything, signed in once (sign-ins are limited). */
const seeded = {};
async function seed(size) {
  if (seeded[size.name]) return seeded[size.name];
  const { api } = env;
  const n = size.name;
  const acc = await api('POST', '/api/accounts', { name: `Globex ${n}` });
  const svc = await api('POST', `/api/accounts/${acc.id}/services`, { name: `globex-${n}.example`, kind: 'domain' });
  const inv = (number, cents) => api('POST', `/api/accounts/${acc.id}/invoices`, { service_id: svc.id, number, amount_cents: cents, currency: 'EUR' });
  const invoices = { a: await inv(`A-${n}`, 12000), b: await inv(`B-${n}`, 5000), c: await inv(`C-${n}`, 990) };
  const quotes = {
    q1: await api('POST', `/api/accounts/${acc.id}/quotes`, { number: `Q1-${n}`, title: 'New shop', amount_cents: 250000 }),
    q2: await api('POST', `/api/accounts/${acc.id}/quotes`, { number: `Q2-${n}`, title: 'Logo', amount_cents: 40000 }),
  };
  const email = `sam-${n}@example.test`;
  const contact = await api('POST', '/api/contacts', { account_id: acc.id, first_name: 'Sam', last_name: n, email, preset: 'full' });
  const sam = await asContact(env, email);
  return (seeded[n] = { acc, svc, invoices, quotes, contact, sam });
}

async function openInvoice(page, number, button) {
  await page.getByRole('tab', { name: 'Invoices' }).click();
  await page.getByRole('button', { name: `${button} invoice ${number}`, exact: true }).click();
  const dialog = page.getByTestId('invoice-dialog');
  await dialog.getByRole('heading', { name: `Invoice ${number}` }).waitFor();
  return dialog;
}

for (const size of SIZES) {
  test(`invoices: reported payments, mark paid, undo, edit, delete at ${size.width}×${size.height}`, { timeout: 120000 }, async () => {
    const { acc, invoices, sam } = await seed(size);
    const report = { method: 'bank_transfer', paid_on: today, reference: 'Bank ref 42', confirm: true };
    await sam.send('POST', `/api/portal/invoices/${invoices.a.id}/payment-report`, report, 201);
    await sam.send('POST', `/api/portal/invoices/${invoices.b.id}/payment-report`, report, 201);

    await asOwner(env, size, 'owner-invoices', async (page) => {
      await open(page, env, `#/accounts/${acc.id}`, 'services-table');
      let dialog = await openInvoice(page, invoices.a.number, 'Review payment of');
      assert.match(await dialog.getByTestId('reported-payment').innerText(), /Sam .* reports paying by bank transfer .* “Bank ref 42”/);
      assert.ok(!(await dialog.getByTestId('reported-payment').innerText()).includes(today), 'the day paid reads as a date, not ISO');
      await shot(page, 'owner-invoice-reported', size);
      await dialog.getByRole('button', { name: 'Confirm payment' }).click();
      assert.match(await page.getByTestId('confirm-dialog').innerText(), /sent a receipt/);
      await confirm(page, 'Confirm payment');
      await dialog.getByTestId('status-pill').first().getByText('Paid').waitFor();
      await dialog.getByTestId('entity-history').getByText(`Confirmed the payment Sam ${size.name} reported for invoice ${invoices.a.number}`).waitFor();
      await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();

      // Rejected with a reason (required), then marked paid and undone.
      dialog = await openInvoice(page, invoices.b.number, 'Review payment of');
      await dialog.getByRole('button', { name: 'Reject payment' }).click();
      const reject = page.getByTestId('reject-payment');
      await reject.getByRole('button', { name: 'Reject payment' }).click();
      await page.locator('#reject-payment-reason-error').waitFor();
      await reject.getByLabel('Reason').fill('Nothing arrived on our account');
      await reject.getByRole('button', { name: 'Reject payment' }).click();
      await reject.waitFor({ state: 'detached' });
      await dialog.getByTestId('payment-report').getByText(/Rejected · Nothing arrived on our account/).waitFor();
      // Paid meanwhile (another window): marking it again is refused with the 409.
      await env.api('POST', `/api/invoices/${invoices.b.id}/mark-paid`);
      await dialog.getByRole('button', { name: 'Mark as paid' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Mark as paid', exact: true }).click();
      await page.getByTestId('confirm-dialog').getByText(`Invoice ${invoices.b.number} is already paid`).waitFor();
      await shot(page, 'owner-invoice-409', size);
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
      // Behind the refusal the invoice shows as it now is.
      await dialog.getByTestId('status-pill').first().getByText('Paid').waitFor();
      await dialog.getByRole('button', { name: 'Undo payment' }).click();
      await confirm(page, 'Undo payment');
      await dialog.getByRole('button', { name: 'Mark as paid' }).click();
      await confirm(page, 'Mark as paid');
      await dialog.getByText('recorded by you').waitFor();
      await dialog.getByRole('button', { name: 'Undo payment' }).click();
      await confirm(page, 'Undo payment');
      await dialog.getByRole('button', { name: 'Mark as paid' }).waitFor();
      await dialog.getByTestId('entity-history').getByText(`Marked invoice ${invoices.b.number} unpaid again`).first().waitFor();

      // Corrected: a new amount and a due date.
      await dialog.getByRole('button', { name: 'Edit' }).click();
      await dialog.getByLabel('Amount').fill('77.50');
      await dialog.getByLabel('Due').fill('2099-03-31');
      await page.getByRole('button', { name: 'Save invoice' }).click();
      await dialog.getByText('€77.50').waitFor();
      await dialog.getByTestId('entity-history').getByText(`Corrected invoice ${invoices.b.number}`).waitFor();
      await shot(page, 'owner-invoice-dialog', size);
      await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();

      dialog = await openInvoice(page, invoices.c.number, 'Open');
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await confirm(page, 'Delete invoice');
      await dialog.waitFor({ state: 'detached' });
      await page.getByTestId('account-invoices').getByText(invoices.c.number, { exact: true }).waitFor({ state: 'detached' }); // read again
      await page.getByTestId('account-invoices').getByText(invoices.a.number, { exact: true }).waitFor();
      await shot(page, 'owner-invoices', size);
      await seeAudit(page, env, `Deleted invoice ${invoices.c.number}`);
      await seeAudit(page, env, `Rejected the payment Sam ${size.name} reported for invoice ${invoices.b.number}`);
    });
  });

  test(`quotes and support at ${size.width}×${size.height}`, { timeout: 120000 }, async () => {
    const { acc, svc, quotes, sam } = await seed(size);
    await sam.send('POST', `/api/portal/quotes/${quotes.q1.id}/accept`, { note: 'Go ahead in May' }, 200);
    const sr = (await sam.send('POST', '/api/portal/support', { service_id: svc.id, subject: `DNS ${size.name}`, body: 'Where does MX point?' }, 201)).json;

    await asOwner(env, size, 'owner-quotes-support', async (page) => {
      await open(page, env, `#/accounts/${acc.id}`, 'services-table');
      await page.getByRole('tab', { name: 'Quotes' }).click();
      const q1 = page.getByTestId('quote-row').filter({ hasText: quotes.q1.number });
      await q1.waitFor();
      assert.match(await q1.innerText(), /Accepted[\s\S]*by Sam [\s\S]*“Go ahead in May”/);

      const q2 = page.getByTestId('quote-row').filter({ hasText: quotes.q2.number });
      await q2.getByRole('button', { name: `Edit quote ${quotes.q2.number}` }).click();
      const edit = page.getByTestId('quote-edit');
      await edit.getByLabel('Title').fill('Logo and letterhead');
      await edit.getByLabel('Amount').fill('450');
      await edit.getByLabel('Status').selectOption('declined');
      await edit.getByText('Recorded as decided by you').waitFor();
      await edit.getByRole('button', { name: 'Save quote' }).click();
      await edit.waitFor({ state: 'detached' });
      await q2.getByText('Logo and letterhead').waitFor();
      assert.match(await q2.innerText(), /€450\.00[\s\S]*Declined[\s\S]*by Owner/);
      await shot(page, 'owner-quotes', size);
      await q2.getByRole('button', { name: `Delete quote ${quotes.q2.number}` }).click();
      await confirm(page, 'Delete quote');
      await q2.waitFor({ state: 'detached' }); // the list is read again
      assert.equal(await page.getByTestId('quote-row').count(), 1);

      // The support conversation.
      await page.getByRole('tab', { name: 'Support requests' }).click();
      await page.getByRole('button', { name: `Answer “DNS ${size.name}”` }).click();
      const dialog = page.getByTestId('support-dialog');
      await dialog.getByTestId('support-conversation').getByText('Where does MX point?').waitFor();
      await dialog.getByLabel('Your reply').fill('To mail.globex.example, since Monday.');
      await dialog.getByRole('button', { name: 'Send reply' }).click();
      await dialog.getByTestId('support-reply').getByText('To mail.globex.example, since Monday.').waitFor();
      await dialog.getByTestId('status-pill').getByText('Answered').waitFor();
      assert.equal(await dialog.getByLabel('Your reply').inputValue(), '');
      await dialog.getByRole('button', { name: 'Close request' }).click();
      await dialog.getByTestId('status-pill').getByText('Closed').waitFor();
      await dialog.getByRole('button', { name: 'Open again' }).click();
      await dialog.getByTestId('status-pill').getByText('Open').waitFor();
      await shot(page, 'owner-support-thread', size);
      await dialog.getByRole('button', { name: 'Edit' }).click();
      await dialog.getByLabel('Subject').fill(`MX records ${size.name}`);
      await page.getByRole('button', { name: 'Save request' }).click();
      await dialog.getByRole('heading', { name: `MX records ${size.name}` }).waitFor();
      await dialog.getByTestId('entity-history').getByText(`Corrected support request "MX records ${size.name}"`).waitFor();
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await confirm(page, 'Delete request');
      await dialog.waitFor({ state: 'detached' });
      await page.getByTestId('support-row').filter({ hasText: `MX records ${size.name}` }).waitFor({ state: 'detached' }); // read again
      assert.equal(await page.getByTestId('support-row').count(), 0);
      // The contact sees it gone too.
      assert.equal((await sam.send('GET', `/api/portal/support/${sr.id}`)).status, 404);
      await seeAudit(page, env, `Deleted support request "MX records ${size.name}"`);
      await seeAudit(page, env, `Deleted quote ${quotes.q2.number}`);
    });
  });

  test(`mail history and the account holder at ${size.width}×${size.height}`, { timeout: 120000 }, async () => {
    const { acc, contact } = await seed(size);
    await asOwner(env, size, 'owner-mail-holder', async (page) => {
      await open(page, env, `#/accounts/${acc.id}`, 'services-table');
      await page.getByRole('tab', { name: 'Mail' }).click();
      const mails = page.getByTestId('mail-row');
      await mails.first().waitFor();
      // (After the tests above, for this size.) The quote decision went to
      // the owner; the payment's rejection to the contact.
      const toOwner = mails.filter({ hasText: `Quote Q1-${size.name} accepted` });
      assert.match(await toOwner.innerText(), /to you[\s\S]*owner@example\.test/);
      const rejected = mails.filter({ hasText: `Payment of invoice B-${size.name} not confirmed` });
      await rejected.getByRole('button').click();
      await rejected.getByTestId('mail-body').getByText('Nothing arrived on our account').waitFor();
      assert.match(await rejected.innerText(), new RegExp(`sam-${size.name}@example\\.test`));
      await shot(page, 'owner-mail', size);

      await page.getByRole('tab', { name: 'Profile' }).click();
      const holder = page.getByLabel('Account holder');
      await holder.selectOption(String(contact.id));
      await page.getByRole('button', { name: 'Save profile' }).click();
      await page.getByText('Account profile saved').waitFor();
      await seeAudit(page, env, `Updated the profile of Globex ${size.name}`);
      await page.goto(`${env.server.base}/#/accounts/${acc.id}`);
      await page.getByRole('tab', { name: 'Profile' }).click();
      assert.equal(await page.getByLabel('Account holder').inputValue(), String(contact.id));
    });
    const accNow = await env.api('GET', `/api/accounts/${acc.id}`);
    assert.equal(accNow.holder_contact_id, contact.id);
  });
}
