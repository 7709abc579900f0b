// The client area's people and conversations, in Chromium at desktop and
// phone size: a manager's contacts (added with their own services and
// end, invited, edited, suspended, restored, removed; who they cannot
// manage and why; a refused phone under its field, a taken address, a
// change refused once the contact's grant outgrew theirs), a support
// conversation (a reply, the team's answer, closed) and one the contact
// may only read, and the account's mail history.
//
//   GRANTBOOK_BIN=$PWD/../build/bin/grantbook node --test e2e/client-people.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES } from './harness.mjs';
import { addContact, navLabels, pageFetch, startClientArea, toastSaying } from './client.mjs';

let ca;
const fx = {};
const MIA = ['contacts.manage', 'services.view', 'support.open', 'support.view', 'invoices.view', 'emails.view'];

before(async () => {
  ca = await startClientArea('client-people');
  const { api } = ca;
  fx.account = await api('POST', '/api/accounts', { name: 'Harbour Bakery Ltd' });
  const acc = `/api/accounts/${fx.account.id}`;
  fx.shop = await api('POST', `${acc}/services`, { name: 'Shop hosting', kind: 'hosting' });
  fx.till = await api('POST', `${acc}/services`, { name: 'Till licence', kind: 'licence' });
  // A plain date is the last day of access (through its close in the owner's zone).
  const within = { preset: 'custom', permissions: ['services.view'], service_ids: [fx.shop.id], expires_at: '2099-06-30' };
  fx.mia = await addContact(api, fx.account.id, 'Mia', 'Manager', 'mia@bakery.test', {
    preset: 'custom', permissions: MIA, service_ids: [fx.shop.id], expires_at: '2099-06-30',
  });
  fx.hal = await addContact(api, fx.account.id, 'Hal', 'Holder', 'hal@bakery.test', within);
  await api('PATCH', acc, { holder_contact_id: fx.hal.id });
  await addContact(api, fx.account.id, 'Pat', 'Profile', 'pat@bakery.test', { preset: 'personal' });
  await addContact(api, fx.account.id, 'Vic', 'Viewer', 'vic@bakery.test', { preset: 'custom', permissions: ['support.view'], service_ids: [fx.shop.id] });
  for (const size of SIZES) {
    fx[size.name] = {
      sam: await addContact(api, fx.account.id, 'Sam', `Shop-${size.name}`, `sam-${size.name}@bakery.test`, within),
      ask: await api('POST', `${acc}/support`, { service_id: fx.shop.id, subject: `Shop is slow (${size.name})`, body: 'Pages take ten seconds to open.' }),
    };
  }
  fx.tillAsk = await api('POST', `${acc}/support`, { service_id: fx.till.id, subject: 'Till licence seats', body: 'Two more seats?' });
  // A mail to the account's side for the history: an invoice notice.
  await api('PUT', '/api/settings/notices', { invoice_notices: true, owner_email: 'owner@example.test' });
  fx.invoice = await api('POST', `${acc}/invoices`, { service_id: fx.shop.id, number: 'INV-77', amount_cents: 2900, currency: 'EUR' });
  fx.miaState = await ca.signIn('mia@bakery.test');
  fx.vicState = await ca.signIn('vic@bakery.test');
});

after(() => ca?.close());

/** A contact's row in the client area's contacts list. */
const contactRow = (page, name) => page.getByTestId('portal-contact-row').filter({ hasText: name });

for (const size of SIZES) {
  const phone = size.name === 'phone';

  test(`contacts: who can be managed and why not at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.miaState, 'contacts-list', async (page) => {
      await ca.open(page, 'contacts', 'portal-contacts-table');
      assert.match(await contactRow(page, 'Mia Manager').innerText(), /You[\s\S]*Your own access is the owner's to change/);
      const hal = contactRow(page, 'Hal Holder');
      assert.match(await hal.innerText(), /Account holder/);
      assert.match(await hal.getByTestId('manage-reason').innerText(), /This contact is the account holder; only the owner manages them/);
      assert.equal(await hal.getByRole('button').count(), 0);
      assert.match(await contactRow(page, 'Pat Profile').getByTestId('manage-reason').innerText(), /You cannot manage this contact: they hold profile\.view, which your own grant does not include/);
      const sam = contactRow(page, `Sam Shop-${size.name}`);
      for (const verb of ['Edit', 'Suspend', 'Remove']) await sam.getByRole('button', { name: `${verb} Sam Shop-${size.name}` }).waitFor();
      await ca.check(page, size, 'contacts');
    }),
  );

  test(`contacts: added within one's own access, a refused phone, a taken address at ${size.name}`, { timeout: 90000 }, () =>
    ca.inPage(size, fx.miaState, 'contacts-add', async (page) => {
      await ca.open(page, 'contacts', 'portal-contacts-table');
      await page.getByRole('button', { name: 'Add new contact' }).click();
      const dialog = page.getByTestId('portal-contact-dialog');
      await dialog.waitFor();
      // Starts from the manager's own services and end; wider is not offered.
      assert.equal(await dialog.getByRole('radio', { name: 'Selected services', exact: true }).isChecked(), true);
      assert.equal(await dialog.getByRole('radio', { name: /^All services/ }).isDisabled(), true);
      assert.equal(await dialog.getByRole('checkbox', { name: 'Shop hosting' }).isChecked(), true);
      assert.equal(await dialog.getByRole('checkbox', { name: 'Till licence' }).count(), 0);
      assert.equal(await dialog.getByLabel('Last day of access').inputValue(), '2099-06-30');
      assert.equal(await dialog.getByTestId('preset-full').count(), 0);
      assert.equal(await dialog.getByRole('checkbox', { name: 'Pay invoices' }).count(), 0);
      await dialog.getByTestId('preset-technical').click();
      await dialog.getByLabel('First name').fill('Nia');
      await dialog.getByLabel('Last name').fill(`New-${size.name}`);
      await dialog.getByLabel('Email', { exact: true }).fill(`sam-${size.name}@bakery.test`);
      await dialog.getByLabel('Phone').fill('call me');
      await ca.check(page, size, 'contact-dialog');
      // The server refuses the phone (422), then the address, taken (409): each under its field.
      await dialog.getByRole('button', { name: 'Save contact' }).click();
      await page.locator('#pc-phone-error').waitFor();
      assert.match(await page.locator('#pc-phone-error').innerText(), /phone number may contain digits/i);
      await dialog.getByLabel('Phone').fill('+44 117 496 0000');
      await dialog.getByRole('button', { name: 'Save contact' }).click();
      await page.locator('#pc-email-error').waitFor();
      assert.match(await page.locator('#pc-email-error').innerText(), /a contact with this email already exists/i);
      if (phone) await ca.check(page, size, 'contact-dialog-errors');
      await dialog.getByLabel('Email', { exact: true }).fill(`nia-${size.name}@bakery.test`);
      await dialog.getByRole('button', { name: 'Save contact' }).click();
      await toastSaying(page, `Contact added: Nia New-${size.name}`);
      await contactRow(page, `Nia New-${size.name}`).waitFor();
      const nia = (await ca.api('GET', `/api/contacts?account_id=${fx.account.id}`)).contacts.find((c) => c.email === `nia-${size.name}@bakery.test`);
      assert.equal(nia.status, 'active');
      assert.deepEqual(nia.grant.service_ids, [fx.shop.id]);
      assert.deepEqual([...nia.grant.permissions].sort(), ['services.view', 'support.open', 'support.view']);
      assert.match(nia.grant.expires_at, /^2099-07-01/);

      // An invitation goes by mail; the reply makes it a grant.
      await page.getByRole('button', { name: 'Invite user' }).click();
      await dialog.waitFor();
      await dialog.getByLabel('Email', { exact: true }).fill(`ivy-${size.name}@bakery.test`);
      await dialog.getByLabel('First name').fill('Ivy');
      await dialog.getByLabel('Last name').fill('Invited');
      await dialog.getByTestId('preset-technical').click();
      await dialog.getByLabel('Personal message').fill('Mia here: this is for the shop.');
      await dialog.getByRole('button', { name: 'Send invitation' }).click();
      await toastSaying(page, `Invitation to ivy-${size.name}@bakery.test created`);
      const invs = (await ca.api('GET', '/api/invitations')).invitations;
      assert.ok(invs.some((i) => i.email === `ivy-${size.name}@bakery.test`), 'the invitation is stored');
    }),
  );

  test(`contacts: edited, suspended, restored, removed, and refused once out of reach at ${size.name}`, { timeout: 90000 }, () =>
    ca.inPage(size, fx.miaState, 'contacts-change', async (page) => {
      const { sam } = fx[size.name];
      const name = `Sam Shop-${size.name}`;
      await ca.open(page, 'contacts', 'portal-contacts-table');
      const row = contactRow(page, name);
      await row.getByRole('button', { name: `Edit ${name}` }).click();
      const dialog = page.getByTestId('portal-contact-dialog');
      await dialog.getByLabel('Company').fill('Harbour Bakery');
      await dialog.getByRole('button', { name: 'Save changes' }).click();
      await toastSaying(page, `Contact saved: ${name}`);
      assert.equal((await ca.api('GET', `/api/contacts/${sam.id}`)).company, 'Harbour Bakery');

      const confirm = page.getByTestId('confirm-dialog');
      await row.getByRole('button', { name: `Suspend ${name}` }).click();
      assert.match(await confirm.innerText(), /Suspend Sam/);
      if (phone) await ca.check(page, size, 'contact-suspend');
      await confirm.getByRole('button', { name: 'Suspend', exact: true }).click();
      await toastSaying(page, `${name} suspended`);
      // The list reloads after the toast.
      await row.getByTestId('status-pill').filter({ hasText: 'Suspended' }).waitFor();
      await row.getByRole('button', { name: `Restore ${name}` }).click();
      await confirm.getByRole('button', { name: 'Restore', exact: true }).click();
      await toastSaying(page, `${name} restored`);
      await row.getByTestId('status-pill').filter({ hasText: 'Active' }).waitFor();

      // The owner gives Sam more than Mia holds while the page is open:
      // the next change is refused with the reason, in the dialog.
      await ca.api('PATCH', `/api/contacts/${sam.id}`, { preset: 'custom', permissions: ['services.view', 'profile.view'], service_ids: [fx.shop.id], expires_at: '2099-06-30' });
      await row.getByRole('button', { name: `Remove ${name}` }).click();
      await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
      await confirm.getByRole('alert').waitFor();
      assert.match(await confirm.getByRole('alert').innerText(), /Not allowed: you cannot manage this contact: they hold profile\.view, which your own grant does not include/);
      await ca.check(page, size, 'contact-refused');
      await confirm.getByRole('button', { name: 'Cancel' }).click();

      // Back within reach: removed.
      await ca.api('PATCH', `/api/contacts/${sam.id}`, { preset: 'custom', permissions: ['services.view'], service_ids: [fx.shop.id], expires_at: '2099-06-30' });
      await ca.open(page, 'contacts', 'portal-contacts-table');
      await row.getByRole('button', { name: `Remove ${name}` }).click();
      await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
      await toastSaying(page, `${name} removed`);
      await page.waitForFunction((n) => ![...document.querySelectorAll('[data-testid="portal-contact-row"]')].some((r) => r.textContent.includes(n)), name);
    }),
  );

  test(`support: a reply, the team's answer, closed at ${size.name}`, { timeout: 90000 }, () =>
    ca.inPage(size, fx.miaState, 'support', async (page) => {
      const { ask } = fx[size.name];
      await ca.open(page, 'support', 'portal-support-table');
      await page.getByRole('link', { name: ask.subject }).click();
      const thread = page.getByTestId('portal-support-thread');
      await thread.getByRole('heading', { name: ask.subject }).waitFor();
      const opened = page.getByTestId('support-conversation').locator('li').first();
      assert.match(await opened.innerText(), /^The team[\s\S]*Pages take ten seconds to open\./);
      // An empty reply is stopped before it is sent.
      await page.getByRole('button', { name: 'Send reply' }).click();
      await page.locator('#reply-body-error').waitFor();
      await page.getByLabel('Your reply').fill('It is worst at lunchtime.');
      await page.getByRole('button', { name: 'Send reply' }).click();
      await toastSaying(page, 'Reply sent');
      const replies = page.getByTestId('support-reply');
      assert.match(await replies.last().innerText(), /Mia Manager[\s\S]*It is worst at lunchtime\./);
      assert.equal(await page.getByLabel('Your reply').inputValue(), '');

      await ca.api('POST', `/api/support/${ask.id}/replies`, { body: 'We moved the shop to a faster server.' });
      await ca.open(page, `support/${ask.id}`, 'support-conversation');
      assert.match(await replies.last().innerText(), /The team[\s\S]*We moved the shop to a faster server\./);
      assert.match(await thread.getByTestId('status-pill').first().innerText(), /Answered/);
      await ca.check(page, size, 'support-thread');

      await page.getByRole('button', { name: 'Close request' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Close request' }).click();
      await toastSaying(page, 'Request closed');
      assert.match(await thread.getByTestId('status-pill').first().innerText(), /Closed/);
      assert.equal(await page.getByRole('button', { name: 'Close request' }).count(), 0);
      assert.match(await page.getByTestId('reply-box').innerText(), /Replying opens the request again/);
      assert.equal((await ca.api('GET', `/api/support/${ask.id}`)).request.status, 'closed');

      // About a service outside the grant: refused, with the reason.
      await ca.open(page, `support/${fx.tillAsk.id}`, 'portal-support-thread');
      const refusal = page.getByRole('alert').filter({ hasText: 'this support request' });
      await refusal.waitFor();
      assert.match(await refusal.innerText(), /Your access does not include this support request: \S.+/);
      assert.equal(await page.getByTestId('support-conversation').count(), 0);
      assert.equal(await page.getByTestId('reply-box').count(), 0);
    }),
  );

  test(`support: a contact who may only read is told why at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.vicState, 'support-read', async (page) => {
      const { ask } = fx[size.name];
      await ca.open(page, 'support', 'portal-support-table');
      assert.equal(await page.getByRole('button', { name: 'Open a request' }).count(), 0);
      await ca.open(page, `support/${ask.id}`, 'support-conversation');
      assert.match(await page.getByTestId('reply-reason').innerText(), /writing about it is not part of your access\. Grant is Custom; support\.open not included\./);
      assert.equal(await page.getByTestId('reply-box').count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Close request' }).count(), 0);
      await ca.check(page, size, 'support-read-only');
      const r = await pageFetch(page, 'POST', `/api/portal/support/${ask.id}/replies`, { body: 'let me in' });
      assert.equal(r.status, 403);
      // Nor is there a mail history without emails.view.
      assert.ok(!(await navLabels(page)).includes('Mail history'));
      assert.equal((await pageFetch(page, 'GET', '/api/portal/emails')).status, 403);
    }),
  );

  test(`mail history: the account's mails, by name at ${size.name}`, { timeout: 60000 }, () =>
    ca.inPage(size, fx.miaState, 'emails', async (page) => {
      await ca.open(page, 'emails', 'portal-emails-table');
      const mail = page.getByTestId('mail-row').filter({ hasText: 'INV-77' }).first();
      await mail.waitFor();
      await mail.getByRole('button').click();
      const text = await mail.innerText();
      assert.match(text, /Mia Manager/);
      assert.match(text, /29\.00/);
      assert.ok(!/@bakery\.test/.test(await page.getByTestId('portal-emails-table').innerText()), 'addresses of other contacts are shown');
      await ca.check(page, size, 'emails');
    }),
  );
}
