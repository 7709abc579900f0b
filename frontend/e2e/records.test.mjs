// The owner's everyday records (issue 14), in the browser against the real
// server: the time zone and the invitation email in Settings, a CSV export
// imported again (dry run, update by email), bulk actions on contacts, a
// readable and searchable audit log, and toasts where no control is.
// The browser runs in Honolulu and the owner's zone is Paris: a date shown
// in the wrong zone is a day off.
//
//   (cd .. && scripts/build.sh) && GRANTBOOK_BIN=$PWD/../build/bin/grantbook npm run test:e2e
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, ownerSuite, withOwnerPage } from './harness.mjs';

const suite = ownerSuite({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-e2e-records-' });
const api = (...args) => suite.api(...args);
const WIDE = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** The owner's page, the browser in Honolulu. */
const withPage = (name, route, fn, opts = {}) => withOwnerPage(suite.browser, suite.server, name, route, fn, { timezoneId: 'Pacific/Honolulu', ...opts });

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

async function download(page, click) {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  return fs.readFileSync(await d.path(), 'utf8');
}

/** The first toast's box overlaps no other control of the page. */
async function toastCoversNothing(page) {
  const hits = await page.evaluate(() => {
    const t = document.querySelector('[data-testid="toast"]');
    if (!t) return ['no toast'];
    const r = t.getBoundingClientRect();
    const out = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea')) {
      if (t.contains(el)) continue;
      const b = el.getBoundingClientRect();
      if (b.width === 0 || b.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      if (b.left < r.right && b.right > r.left && b.top < r.bottom && b.bottom > r.top) out.push(el.textContent?.trim() || el.id || el.tagName);
    }
    return out;
  });
  assert.deepEqual(hits, [], 'the toast covers no control');
}

const accountContacts = async (id) => (await api('GET', `/api/contacts?account_id=${id}&limit=200`)).contacts;

test('Settings: the owner’s time zone, invitation wording, placeholders by name with a preview; toasts', { timeout: 90000 }, async () => {
  await api('POST', '/api/accounts', { name: 'Settings Ltd' });
  await withPage('records-settings', '#/settings', async (page) => {
    // Settings → Client area holds the one time zone.
    const tz = page.getByTestId('client-area-settings');
    await tz.getByLabel('Time zone', { exact: true }).fill('Europe/Paris');
    await tz.getByRole('button', { name: 'Save client area' }).click();
    const toast = page.getByTestId('toast').filter({ hasText: 'Dates are shown in Europe/Paris' });
    await toast.waitFor();
    await toastCoversNothing(page);
    // Escape dismisses the newest, then the one before.
    await page.keyboard.press('Escape');
    await toast.waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await page.getByTestId('toast').waitFor({ state: 'detached' });

    await page.getByLabel('Invitations can be answered for (days)').waitFor();
    const card = page.getByTestId('template-settings');
    const body = card.getByLabel('Message', { exact: true });
    await body.fill('Hello ');
    await body.press('End');
    await card.getByRole('button', { name: 'First name', exact: true }).click();
    assert.equal(await body.inputValue(), 'Hello {{.FirstName}}');
    await body.fill('Hello {{.FirstName}}, reply to accept {{.AccountName}} ({{.Access}}). Code {{.Token}}');
    const preview = card.getByTestId('template-preview');
    await preview.getByText('Hello Ada, reply to accept Settings Ltd (Billing). Code k7q2m9x4w3r8t5v6b2n4c7z3ya').waitFor();
    assert.ok(!(await preview.innerText()).includes('{{'), 'the preview is filled in');
    await preview.scrollIntoViewIfNeeded();
    await shot(page, 'records-settings');
  });
  assert.equal((await api('GET', '/api/settings/time-zone')).time_zone, 'Europe/Paris');

  // On a phone the toast sits over the top bar's name, not its menu button.
  await withPage('records-toast-phone', '#/settings', async (page) => {
    const tz = page.getByTestId('client-area-settings');
    await tz.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
    await tz.getByRole('button', { name: 'Save client area' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Europe/Berlin' }).waitFor();
    await page.keyboard.press('Escape'); // the newest; the address one stays
    await page.getByTestId('toast').filter({ hasText: 'Europe/Berlin' }).waitFor({ state: 'detached' });
    await toastCoversNothing(page);
    await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
    await shot(page, 'records-toast-phone');
    await page.getByRole('button', { name: /^Dismiss/ }).first().click();
  }, { viewport: PHONE });
  await api('PUT', '/api/settings/time-zone', { time_zone: 'Europe/Paris' });
});

test('CSV round trip: admin access, services by name, the last day in the owner’s zone; dry run; update by email', { timeout: 120000 }, async () => {
  await api('PUT', '/api/settings/time-zone', { time_zone: 'Europe/Paris' });
  const a = await api('POST', '/api/accounts', { name: 'Round Trip A' });
  const b = await api('POST', '/api/accounts', { name: 'Round Trip B' });
  const svc = {};
  for (const acc of [a, b]) {
    for (const name of ['Web hosting', 'shop.example']) {
      const s = await api('POST', `/api/accounts/${acc.id}/services`, { name, kind: name === 'Web hosting' ? 'hosting' : 'domain', status: 'active' });
      svc[`${acc.id}:${s.id}`] = name;
    }
  }
  const shop = Object.entries(svc).find(([k, v]) => k.startsWith(`${a.id}:`) && v === 'shop.example')[0].split(':')[1];
  await api('POST', '/api/contacts', { account_id: a.id, first_name: 'Ann', last_name: 'Admin', email: 'ann@example.test', preset: 'custom', permissions: [], admin: { all: true } });
  await api('POST', '/api/contacts', { account_id: a.id, first_name: 'Bill', last_name: 'Billing', email: 'bill@example.test', preset: 'billing', service_ids: [Number(shop)], expires_at: '2027-06-30' });
  await api('POST', '/api/contacts', { account_id: a.id, first_name: 'Acer', last_name: 'Account', email: 'acer@example.test', preset: 'billing', billing_scope: 'account' });
  await api('POST', '/api/contacts', { account_id: a.id, first_name: 'Tess', last_name: 'Tech', email: 'tess@example.test', phone: '+44 20 1234', company: 'Tech Co', role: 'developer', preset: 'technical' });

  let csv = '';
  await withPage('records-csv-export', '#/contacts', async (page) => {
    const bill = page.getByTestId('contact-row').filter({ hasText: 'bill@example.test' });
    await bill.getByText('Jun 30, 2027').waitFor();
    csv = await download(page, () => page.getByRole('button', { name: 'Export CSV' }).click());
    // The contact page: the last day, and explanations that name the service.
    await bill.getByRole('link', { name: 'Bill Billing' }).click();
    await page.getByTestId('contact-header').getByText('until Jun 30, 2027').waitFor();
    await page.getByLabel('For', { exact: true }).selectOption({ label: 'shop.example' });
    const table = page.getByTestId('effective-access');
    await table.getByText('on selected service "shop.example"').first().waitFor();
    assert.ok(!(await table.innerText()).includes('service #'), 'no service ids in the explanations');
  }, { account: a.id });
  const lines = csv.trim().split(/\r?\n/);
  assert.equal(lines[0], 'first_name,last_name,email,phone,company,role,account_type,preset,permissions,services,expires_at,status,admin,billing_scope');
  assert.match(lines.find((l) => l.includes('bill@')), /,shop\.example,2027-06-30,active,,services$/);
  assert.match(lines.find((l) => l.includes('ann@')), /,custom,,,,active,all,services$/);
  assert.match(lines.find((l) => l.includes('acer@')), /,active,,account$/);

  await withPage('records-csv-import', '#/contacts', async (page) => {
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByTestId('import-csv');
    await dialog.locator('#csv-file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    await dialog.getByTestId('import-done').getByText('Importing would add 4 contacts, update 0').waitFor();
    assert.deepEqual(await accountContacts(b.id), [], 'a dry run writes nothing');
    await shot(page, 'records-csv-dryrun');
    await dialog.getByRole('button', { name: 'Import now' }).click();
    await dialog.getByTestId('import-done').getByText('4 contacts were imported').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('contact-row').filter({ hasText: 'bill@example.test' }).getByText('Jun 30, 2027').waitFor();
  }, { account: b.id });

  const same = (c, accId) => ({
    ...Object.fromEntries(['first_name', 'last_name', 'email', 'phone', 'company', 'role', 'account_type', 'status', 'admin'].map((k) => [k, c[k]])),
    preset: c.grant.preset,
    permissions: c.grant.permissions,
    all_services: c.grant.all_services,
    services: (c.grant.service_ids || []).map((id) => svc[`${accId}:${id}`]),
    expires_at: c.grant.expires_at,
    billing_scope: c.grant.billing_scope,
  });
  const byEmail = (list, accId) => Object.fromEntries(list.map((c) => [c.email, same(c, accId)]));
  assert.deepEqual(byEmail(await accountContacts(b.id), b.id), byEmail(await accountContacts(a.id), a.id), 'the import reproduces the contacts');
  // Through the whole of 30 June in Paris.
  assert.equal((await accountContacts(b.id)).find((c) => c.email === 'bill@example.test').grant.expires_at, '2027-06-30T22:00:00Z');

  const edited = csv.replace('+44 20 1234', '+33 1 23 45 67 89');
  await withPage('records-csv-update', '#/contacts', async (page) => {
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByTestId('import-csv');
    await dialog.locator('#csv-file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(edited) });
    await dialog.getByRole('radio', { name: 'Update contacts that already exist (match by email)' }).check();
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    await dialog.getByTestId('import-done').getByText('Importing would add 0 contacts, update 1 and leave 3 as they are').waitFor();
    await dialog.getByTestId('import-changes').getByRole('row').filter({ hasText: 'tess@example.test' }).getByText('updated: phone').waitFor();
    await shot(page, 'records-csv-update');
    await dialog.getByRole('button', { name: 'Import now' }).click();
    await dialog.getByTestId('import-done').getByText('0 contacts added, 1 updated, 3 unchanged').waitFor();
  }, { account: b.id });
  assert.equal((await accountContacts(b.id)).find((c) => c.email === 'tess@example.test').phone, '+33 1 23 45 67 89');
});

test('bulk actions: chosen rows, all matching the filter; confirmed once, one audit entry', { timeout: 120000 }, async () => {
  const acc = await api('POST', '/api/accounts', { name: 'Bulk Ltd' });
  const rows = ['first_name,last_name,email,preset'];
  for (let i = 1; i <= 60; i++) rows.push(`Person,No${String(i).padStart(2, '0')},p${i}@bulk.test,personal`);
  const res = await fetch(`${suite.server.base}/api/accounts/${acc.id}/contacts/import`, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + suite.server.token, 'Content-Type': 'text/csv' },
    body: rows.join('\n'),
  });
  const { job_id } = await res.json();
  for (let i = 0; i < 100 && (await api('GET', `/api/imports/${job_id}`)).state === 'running'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await api('GET', `/api/imports/${job_id}`)).state, 'done');

  for (const [viewport, tag] of [[WIDE, 'wide'], [PHONE, 'phone']]) {
    await withPage(`records-bulk-${tag}`, '#/contacts', async (page) => {
      await page.getByRole('checkbox', { name: 'Choose Person No01' }).check();
      await page.getByRole('checkbox', { name: 'Choose Person No02' }).check();
      await page.getByTestId('bulk-bar').getByText('2 contacts chosen').waitFor();
      await shot(page, `records-bulk-${tag}`);
      const chosenCsv = await download(page, () => page.getByTestId('bulk-bar').getByRole('button', { name: 'Export' }).click());
      assert.deepEqual(chosenCsv.trim().split(/\r?\n/).slice(1).map((l) => l.split(',')[2]), ['p1@bulk.test', 'p2@bulk.test'], 'the export holds the chosen two');
      await page.getByTestId('bulk-bar').getByRole('button', { name: 'Suspend' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Suspend 2 contacts' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Suspend: 2 contacts changed' }).first().waitFor();
      await page.getByTestId('contact-row').filter({ hasText: 'p1@bulk.test' }).getByTestId('status-pill').filter({ hasText: 'Suspended' }).waitFor();
      await page.getByRole('checkbox', { name: 'Choose Person No01' }).check();
      await page.getByRole('checkbox', { name: 'Choose Person No02' }).check();
      await page.getByTestId('bulk-bar').getByRole('button', { name: 'Restore' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Restore 2 contacts' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Restore: 2 contacts changed' }).first().waitFor();
    }, { viewport, account: acc.id });
  }
  assert.ok((await accountContacts(acc.id)).every((c) => c.status === 'active'));

  await withPage('records-bulk-all', '#/contacts', async (page) => {
    // Every contact the search matches: 60 over two pages.
    await Promise.all([page.waitForResponse((r) => r.url().includes('q=Person')), page.locator('#contact-search').fill('Person')]);
    await page.getByText('Select all on this page').click();
    await page.getByRole('button', { name: 'Select all 60 matching' }).click();
    await page.getByTestId('bulk-bar').getByText('60 contacts chosen').waitFor();
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Change access' }).click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.getByLabel('Access level').selectOption('billing');
    await confirm.getByRole('button', { name: 'Change access 60 contacts' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Change access: 60 contacts changed' }).first().waitFor();

    await page.getByText('Select all on this page').click();
    await page.getByRole('button', { name: 'Select all 60 matching' }).click();
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Set expiry' }).click();
    await confirm.getByLabel('Last day of access').fill('2027-06-30');
    await shot(page, 'records-bulk-expiry');
    await confirm.getByRole('button', { name: 'Set expiry 60 contacts' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Set expiry: 60 contacts changed' }).first().waitFor();
    await page.getByTestId('contact-row').first().getByText('Jun 30, 2027').waitFor();

    await page.getByText('Select all on this page').click();
    await page.getByRole('button', { name: 'Select all 60 matching' }).click();
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete 60 contacts' }).click();
    await page.getByText('No matching contacts').waitFor();
  }, { account: acc.id });
  const all = await accountContacts(acc.id);
  assert.equal(all.length, 0);
  const deletes = (await api('GET', `/api/audit?q=${encodeURIComponent('Deleted 60 contacts')}`)).entries;
  assert.equal(deletes.length, 1, 'one audit entry');
  assert.equal(deletes[0].action, 'contact.bulk_delete');
  assert.equal(deletes[0].after.contacts.length, 60, 'listing every contact');
});

test('audit log: field changes in words, search, contact, actor and days, CSV export', { timeout: 90000 }, async () => {
  const acc = await api('POST', '/api/accounts', { name: 'Audit Ltd' });
  const c = await api('POST', '/api/contacts', { account_id: acc.id, first_name: 'Olga', last_name: 'Audited', email: 'olga@example.test', preset: 'personal' });
  await api('PATCH', `/api/contacts/${c.id}`, { phone: '+1 555 0100', preset: 'billing' });
  await withPage('records-audit', '#/audit', async (page) => {
    await page.locator('#audit-q').fill('Olga');
    const table = page.getByTestId('audit-table');
    await table.getByText('Updated Olga Audited').waitFor();
    await table.getByRole('row').filter({ hasText: 'Updated Olga Audited' }).getByRole('button', { name: 'Show details' }).click();
    const changes = table.getByTestId('audit-changes');
    await changes.getByRole('listitem').filter({ hasText: 'Access: Personal → Billing' }).waitFor();
    await changes.getByRole('listitem').filter({ hasText: 'Phone: — → +1 555 0100' }).waitFor();
    await changes.getByRole('listitem').filter({ hasText: 'Allowed actions: removed Edit profile' }).filter({ hasText: 'added Pay invoices' }).waitFor();
    assert.ok(!(await changes.innerText()).includes('{'), 'no raw JSON');
    await shot(page, 'records-audit');

    await page.getByLabel('Contact', { exact: true }).selectOption({ label: 'Olga Audited' });
    await table.getByText('Added Olga Audited').waitFor();
    await page.getByLabel('Done by').selectOption('watcher');
    await page.getByText('Nothing matches this search.').waitFor();
    await page.getByLabel('Done by').selectOption('owner');
    const today = await page.evaluate(() => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date()));
    await page.getByLabel('From', { exact: true }).fill(today);
    await page.getByLabel('To', { exact: true }).fill(today);
    await table.getByText('Updated Olga Audited').waitFor();
    const text = await download(page, () => page.getByRole('button', { name: 'Export CSV' }).click());
    const lines = text.trim().split(/\r?\n/);
    assert.match(lines[0], /^time,actor,action,entity,entity_id,summary,before,after$/);
    assert.equal(lines.length, 3, `two entries: ${text}`);
    assert.ok(lines.slice(1).every((l) => l.includes('Olga')));
  }, { account: acc.id });
  await withPage('records-audit-phone', '#/audit', async (page) => {
    await page.getByTestId('audit-table').getByRole('button', { name: 'Show details' }).first().click();
    await shot(page, 'records-audit-phone');
  }, { viewport: PHONE, account: acc.id });
});
