// The owner's everyday work (issue 14), walked as a person does in the
// browser against the real server: Custom starts empty, Add new contact
// invites, what the Invite dialog says about people already known, a
// declined invitation sent again (a real reply through Dovecot), one
// current account, and adding a contact by keyboard (keystrokes counted).
//
//   (cd .. && scripts/build.sh) && GRANTBOOK_BIN=$PWD/../build/bin/grantbook npm run test:e2e
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, ownerSuite, sleep, startServer, startSmtpSink, withOwnerPage } from './harness.mjs';
import { lmtpDeliver, startDovecot } from './dovecot.mjs';

const suite = ownerSuite({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-e2e-everyday-' });
const api = (...args) => suite.api(...args);
let smtp;
before(async () => (smtp = await startSmtpSink()));
after(() => smtp?.close());

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
const withPage = (srv, name, route, fn, account) => withOwnerPage(suite.browser, srv, name, route, fn, { account });

const contactOf = async (srv, accountId, email) =>
  (await srv.api('GET', `/api/contacts?account_id=${accountId}&q=${encodeURIComponent(email)}`)).contacts.find((c) => c.email === email);

async function fillPerson(dialog, first, last, email) {
  await dialog.getByLabel('First name', { exact: true }).fill(first);
  await dialog.getByLabel('Last name', { exact: true }).fill(last);
  await dialog.getByLabel('Email', { exact: true }).fill(email);
}

test('Custom starts from nothing ticked; the saved grant is exactly what was ticked', { timeout: 90000 }, async () => {
  const acc = await api('POST', '/api/accounts', { name: 'Custom Ltd' });
  await withPage(suite.server, 'everyday-custom', '#/contacts', async (page) => {
    await page.getByRole('button', { name: 'Add new contact' }).first().click();
    const dialog = page.getByTestId('add-contact');
    await fillPerson(dialog, 'Fern', 'Freelancer', 'fern@example.test');
    // Personal is the start; its actions are collapsed, not hidden in the count.
    assert.equal(await dialog.getByRole('radio', { name: /^Personal/ }).isChecked(), true);
    assert.equal(await dialog.getByRole('button', { name: 'Show actions' }).getAttribute('aria-expanded'), 'false');
    await dialog.getByTestId('preset-custom').click();
    await dialog.getByRole('checkbox', { name: 'Pay invoices' }).waitFor();
    assert.equal(await dialog.locator('input[name="permission"]:checked').count(), 0, 'Custom keeps none of Personal’s rights');
    await dialog.getByRole('checkbox', { name: 'View invoices' }).check();
    await shot(page, 'everyday-custom');

    // Ticking from a preset says where it started, with a one-click clear.
    await dialog.getByTestId('preset-personal').click();
    await dialog.getByRole('button', { name: 'Show actions' }).click();
    await dialog.getByRole('checkbox', { name: 'View invoices' }).check();
    assert.match(await dialog.getByTestId('started-from').innerText(), /Starting from Personal: 4 ticked/);
    await dialog.getByRole('button', { name: 'Clear all' }).click();
    assert.equal(await dialog.locator('input[name="permission"]:checked').count(), 0);
    await dialog.getByRole('checkbox', { name: 'View invoices' }).check();
    await dialog.getByRole('button', { name: 'Save contact' }).click();
    await dialog.waitFor({ state: 'detached' });
  });
  const c = await contactOf(suite.server, acc.id, 'fern@example.test');
  assert.equal(c.grant.preset, 'custom');
  assert.deepEqual(c.grant.permissions, ['invoices.view']);
});

test('Add new contact sends an invitation when mail is set up; off, the contact is active at once', { timeout: 90000 }, async () => {
  const acc = await api('POST', '/api/accounts', { name: 'Invite Ltd' });
  // Without mail the choice is off and says why.
  await withPage(suite.server, 'everyday-add-nomail', '#/contacts', async (page) => {
    await page.evaluate((id) => localStorage.setItem('grantbook.account', String(id)), acc.id);
    await page.reload();
    await page.getByRole('button', { name: 'Add new contact' }).first().click();
    const box = page.getByTestId('add-invite');
    await box.getByText('Mail is not set up').waitFor();
    assert.equal(await box.getByRole('checkbox', { name: 'Send an invitation' }).isChecked(), false);
  });
  await api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: 'owner@example.test', from_name: 'Everyday E2E' },
  });
  await withPage(suite.server, 'everyday-add-invite', '#/contacts', async (page) => {
    await page.evaluate((id) => localStorage.setItem('grantbook.account', String(id)), acc.id);
    await page.reload();
    await page.getByRole('button', { name: 'Add new contact' }).first().click();
    const dialog = page.getByTestId('add-contact');
    const invite = dialog.getByRole('checkbox', { name: 'Send an invitation' });
    await dialog.getByText('They get an email and have access once they reply').waitFor();
    assert.equal(await invite.isChecked(), true, 'on by default when mail is set up');
    await fillPerson(dialog, 'Ivo', 'Invited', 'ivo@example.test');
    await shot(page, 'everyday-add-invite');
    const since = smtp.messages.length;
    await dialog.getByRole('button', { name: 'Save and invite' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('contact-row').filter({ hasText: 'ivo@example.test' }).getByTestId('status-pill').filter({ hasText: 'Invited' }).waitFor();
    for (let i = 0; i < 100 && !smtp.messages.slice(since).some((m) => m.to.includes('ivo@example.test')); i++) await sleep(100);
    assert.ok(smtp.messages.slice(since).some((m) => m.to.includes('ivo@example.test')), 'the invitation was mailed');

    await page.getByRole('button', { name: 'Add new contact' }).first().click();
    await invite.uncheck();
    await dialog.getByText('No invitation: the contact is active at once').waitFor();
    await fillPerson(dialog, 'Ada', 'Active', 'ada@example.test');
    await dialog.getByRole('button', { name: 'Save contact' }).click();
    await dialog.waitFor({ state: 'detached' });
  });
  assert.equal((await contactOf(suite.server, acc.id, 'ivo@example.test')).status, 'invited');
  assert.equal((await contactOf(suite.server, acc.id, 'ada@example.test')).status, 'active');

  // Invite user: a known person of this account is named before Send.
  await withPage(suite.server, 'everyday-invite-known', '#/contacts', async (page) => {
    await page.evaluate((id) => localStorage.setItem('grantbook.account', String(id)), acc.id);
    await page.reload();
    await page.getByRole('button', { name: 'Invite user' }).first().click();
    const dialog = page.getByTestId('invite-user');
    await dialog.getByLabel('Email', { exact: true }).fill('ivo@example.test');
    const here = dialog.getByTestId('known-here');
    await here.getByText('Ivo Invited has a pending invitation').waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Send invitation' }).isDisabled(), true);
    await shot(page, 'everyday-invite-pending');
    const since = smtp.messages.length;
    await here.getByRole('button', { name: 'Resend' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Invitation to ivo@example.test sent again' }).waitFor();
    for (let i = 0; i < 100 && smtp.messages.length === since; i++) await sleep(100);
    assert.ok(smtp.messages.length > since, 'resent');

    await page.getByRole('button', { name: 'Invite user' }).first().click();
    await dialog.getByLabel('Email', { exact: true }).fill('ada@example.test');
    await here.getByText('Ada Active already has access to this account').waitFor();
    await here.getByRole('button', { name: 'Open contact' }).click();
    await page.getByTestId('contact-header').getByRole('heading', { name: 'Ada Active' }).waitFor();

    // Revoked in the invitations list: sent again in one click.
    await page.evaluate(() => (location.hash = '#/invitations'));
    const row = page.getByTestId('invitation-row').filter({ hasText: 'ivo@example.test' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: /Revoke/ }).click();
    await row.getByTestId('status-pill').filter({ hasText: 'Revoked' }).waitFor();
    await row.getByRole('button', { name: 'Send again' }).click();
    await row.getByTestId('status-pill').filter({ hasText: /Queued|Sent/ }).waitFor();
  });
});

test('a declined invitation reads Declined and is sent again from the contact in one click', { timeout: 180000 }, async () => {
  const dovecot = await startDovecot();
  const srv = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-e2e-declined-' });
  const owner = 'owner@example.test';
  try {
    await srv.api('PUT', '/api/settings/mail', {
      smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: owner, from_name: 'Decline E2E' },
      imap: { host: '127.0.0.1', port: dovecot.imapPort, security: 'plain', username: owner, password: 'owner-secret', mailbox: 'INBOX', trusted_authserv_id: 'mx.example.test' },
      invitation_expiry_days: 14,
    });
    const acc = await srv.api('POST', '/api/accounts', { name: 'Decline Ltd' });
    const inv = await srv.api('POST', '/api/invitations', { account_id: acc.id, first_name: 'Dora', last_name: 'Declines', email: 'dora@example.test', preset: 'billing' });
    await lmtpDeliver(dovecot.lmtpPort, 'dora@example.test', owner,
      `Authentication-Results: mx.example.test; dkim=pass header.d=example.test; dmarc=pass header.from=example.test\n` +
        `From: Dora Declines <dora@example.test>\nTo: ${owner}\nSubject: Re: invited\nMessage-ID: <e2e-decline@example.test>\n` +
        `In-Reply-To: <${inv.message_id}>\n\nNo, thank you.\n`);
    for (let i = 0; i < 300 && (await srv.api('GET', `/api/invitations/${inv.id}`)).invitation.state !== 'declined'; i++) await sleep(100);
    assert.equal((await srv.api('GET', `/api/invitations/${inv.id}`)).invitation.state, 'declined');

    await withPage(srv, 'everyday-declined', `#/contacts/${inv.contact_id}`, async (page) => {
      const head = page.getByTestId('contact-header');
      await head.getByTestId('status-pill').filter({ hasText: 'Declined' }).waitFor();
      const banner = page.getByTestId('contact-invitation');
      await banner.getByText('The invitation was declined').waitFor();
      await shot(page, 'everyday-declined');
      await banner.getByRole('button', { name: 'Send invitation again' }).click();
      await head.getByTestId('status-pill').filter({ hasText: 'Invited' }).waitFor();
      await banner.getByText('Invitation pending').waitFor();
    });
    assert.match((await srv.api('GET', `/api/invitations/${inv.id}`)).invitation.state, /queued|sent/);
  } finally {
    await srv.stop();
    dovecot.stop();
  }
});

test('one current account: the sidebar and the Accounts page show the same one', { timeout: 90000 }, async () => {
  const a = await api('POST', '/api/accounts', { name: 'Alpha Current' });
  const b = await api('POST', '/api/accounts', { name: 'Beta Current' });
  await withPage(suite.server, 'everyday-account', '#/accounts', async (page) => {
    const side = page.getByTestId('account-switcher');
    await side.selectOption(String(a.id));
    const list = page.getByTestId('accounts-list');
    await list.getByRole('button', { name: /Beta Current/ }).click();
    assert.equal(await side.inputValue(), String(b.id), 'choosing on the Accounts page changes the sidebar');
    await side.selectOption(String(a.id));
    assert.equal(await list.getByRole('button', { name: /Alpha Current/ }).getAttribute('aria-pressed'), 'true', 'and the other way round');
    await page.getByRole('heading', { name: 'Alpha Current' }).waitFor();
    // A service added here goes into the account shown, which is the sidebar's.
    await page.getByLabel('Service name').fill('alpha-shop.example');
    await page.getByRole('button', { name: 'Add service' }).click();
    await page.getByTestId('services-table').getByText('alpha-shop.example').waitFor();
    await page.evaluate(() => (location.hash = '#/contacts'));
    await page.getByText('People who can act on Alpha Current').waitFor();
  });
  assert.deepEqual((await api('GET', `/api/accounts/${a.id}/services`)).services.map((s) => s.name), ['alpha-shop.example']);
  assert.deepEqual((await api('GET', `/api/accounts/${b.id}/services`)).services || [], []);
});

test('adding a contact by keyboard: skip link, first field focused, actions collapsed', { timeout: 90000 }, async () => {
  const acc = await api('POST', '/api/accounts', { name: 'Keyboard Ltd' });
  let keys = 0;
  let typed = 0;
  await withPage(suite.server, 'everyday-keyboard', '#/contacts', async (page) => {
    await page.evaluate((id) => localStorage.setItem('grantbook.account', String(id)), acc.id);
    await page.reload();
    await page.getByRole('heading', { name: 'Contacts', exact: true }).waitFor();
    const press = async (k) => {
      keys++;
      await page.keyboard.press(k);
    };
    const type = async (s) => {
      typed += s.length;
      await page.keyboard.type(s);
    };
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() || document.activeElement?.id || '');
    await press('Tab');
    assert.equal(await focused(), 'Skip to content');
    await press('Enter');
    for (let i = 0; i < 10 && (await focused()) !== 'Add new contact'; i++) await press('Tab');
    await press('Enter');
    const dialog = page.getByTestId('add-contact');
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'add-first_name', 'the first field has the focus');
    await type('Kim');
    await press('Tab');
    await type('Keys');
    await press('Tab');
    await type('kim@example.test');
    // To the access level (phone, company, role on the way), Billing by arrow keys.
    for (let i = 0; i < 8 && !(await page.evaluate(() => document.activeElement?.getAttribute('type') === 'radio' && document.activeElement.closest('.presets'))); i++) await press('Tab');
    await press('ArrowRight');
    await press('ArrowRight');
    assert.equal(await dialog.getByRole('radio', { name: /^Billing/ }).isChecked(), true);
    assert.equal(await dialog.getByRole('button', { name: 'Show actions' }).getAttribute('aria-expanded'), 'false', 'a preset keeps its actions collapsed');
    // On to the dialog's Save (mail is set up here: "Save and invite").
    for (let i = 0; i < 40 && !/^Save/.test(await focused()); i++) await press('Tab');
    await shot(page, 'everyday-keyboard');
    await press('Enter');
    await dialog.waitFor({ state: 'detached' });
  });
  const c = await contactOf(suite.server, acc.id, 'kim@example.test');
  assert.equal(c.grant.preset, 'billing');
  console.log(`# keystrokes to add a contact with Billing: ${keys} keys besides ${typed} typed characters`);
  assert.ok(keys <= 25, `${keys} keystrokes`);
});
