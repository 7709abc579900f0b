// Mail UI end-to-end test: the real server binary plus headless Chromium.
// Covers Settings → Invitation email (template editing and its field
// errors), the mail status strip and the Mail activity panel of the
// Invitations page: there SMTP and IMAP point at closed loopback ports, so
// the outbox keeps its message and the inbox watcher reports its error;
// classifier decisions are stood in for by answering GET /api/mail/events
// in the page. The last test has a real inbox (Dovecot, dovecot.mjs: needs
// root): mail delivered by LMTP puts invitations before the owner, who
// confirms, marks bounced or dismisses them on the page.
//
//   (cd .. && go build -tags sqlite_fts5 -o /tmp/grantbook .) && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e
//
// Env: GRANTBOOK_BIN (required) the server binary; CHROMIUM_PATH (default
// /usr/bin/chromium); E2E_ARTIFACTS (default /tmp) where screenshots go.
// The server and browser set-up is in harness.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, freePort, launchBrowser, sleep, startServer } from './harness.mjs';
import { lmtpDeliver, startDovecot } from './dovecot.mjs';

let server;
let base;
let TOKEN;
let api;
let browser;
let account;

before(async () => {
  server = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-e2e-mail-' });
  ({ base, token: TOKEN, api } = server);
  account = await api('POST', '/api/accounts', { name: 'Mail E2E Ltd' });
  browser = await launchBrowser();
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await server?.stop();
  }
});

async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = { pageErrors: [], dialogs: [] };
  page.on('pageerror', (e) => problems.pageErrors.push(e.message));
  page.on('dialog', (d) => {
    problems.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  await page.goto(`${base}/#token=${TOKEN}`);
  await page.waitForFunction(() => !location.hash.includes('token='));
  return { page, problems };
}

async function go(page, route) {
  await page.evaluate((r) => (location.hash = r), route);
}

async function failureShot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-failure.png`), fullPage: true }).catch(() => {});
}

test('settings: edit the invitation email template', { timeout: 90000 }, async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const initial = await api('GET', '/api/settings/template');
  assert.ok(initial.default.body.includes('{{.Token}}'), 'the default template keeps the code');
  const { page, problems } = await newPage();
  try {
    await go(page, '#/settings');
    const card = page.getByTestId('template-settings');
    await card.waitFor();
    const subject = card.getByLabel('Subject', { exact: true });
    const body = card.getByLabel('Message', { exact: true });
    await body.waitFor();
    assert.equal(await subject.inputValue(), initial.template.subject);
    assert.equal(await body.inputValue(), initial.template.body);
    // The help lists every field.
    const help = await card.locator('#template-help').innerText();
    for (const f of ['FirstName', 'LastName', 'FromName', 'AccountName', 'Access', 'Note', 'Expires', 'Token']) {
      assert.ok(help.includes(`{{.${f}}}`), `help should list {{.${f}}}`);
    }
    const save = card.getByRole('button', { name: 'Save invitation email' });
    assert.equal(await save.isDisabled(), true, 'nothing to save yet');

    // Without {{.Token}}: the server refuses, the error sits under the body.
    await body.fill('Hello {{.FirstName}},\n\njust reply to this email.\n');
    await save.click();
    const bodyError = card.getByTestId('template-body-error');
    await bodyError.waitFor();
    assert.match(await bodyError.innerText(), /must keep \{\{\.Token\}\}/);
    assert.equal(await body.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await api('GET', '/api/settings/template').then((r) => r.template), initial.template, 'nothing was saved');
    await page.screenshot({ path: path.join(ARTIFACTS, 'mail-template-error.png'), fullPage: true });

    // A subject that does not parse: its own field error.
    await subject.fill('Welcome {{.FirstName');
    await body.fill('Hello {{.FirstName}},\n\nReply to accept.\n\nCode: {{.Token}}\n');
    assert.equal(await card.getByTestId('template-body-error').count(), 0, 'typing clears the body error');
    await save.click();
    const subjectError = card.getByTestId('template-subject-error');
    await subjectError.waitFor();
    assert.match(await subjectError.innerText(), /subject/i);

    // A good one saves, and GET returns it.
    const good = {
      subject: '{{.FromName}}: access to {{.AccountName}} for {{.FirstName}} <b>',
      body: 'Hello {{.FirstName}} {{.LastName}},\n\n{{.FromName}} offers you {{.Access}} access.\n{{if .Note}}{{.Note}}\n{{end}}Expires {{.Expires}}.\n\nCode: {{.Token}}\n',
    };
    await subject.fill(good.subject);
    await body.fill(good.body);
    await save.click();
    await page.getByTestId('toast').filter({ hasText: 'Invitation email saved' }).first().waitFor();
    assert.equal(await card.getByTestId('template-subject-error').count(), 0);
    assert.equal(await save.isDisabled(), true, 'saved: nothing left to save');
    const stored = await api('GET', '/api/settings/template');
    assert.deepEqual(stored.template, good);

    // Reload: the saved text comes back.
    await page.reload();
    await page.getByTestId('template-settings').getByLabel('Message', { exact: true }).waitFor();
    assert.equal(await page.getByTestId('template-settings').getByLabel('Subject', { exact: true }).inputValue(), good.subject);
    assert.equal(await page.getByTestId('template-settings').getByLabel('Message', { exact: true }).inputValue(), good.body);

    // Reset to default fills the default but still needs Save.
    const card2 = page.getByTestId('template-settings');
    await card2.getByTestId('template-reset').click();
    assert.equal(await card2.getByLabel('Message', { exact: true }).inputValue(), initial.default.body);
    assert.equal(await card2.getByLabel('Subject', { exact: true }).inputValue(), initial.default.subject);
    await card2.getByText('save to use it').waitFor();
    assert.deepEqual((await api('GET', '/api/settings/template')).template, good, 'reset alone saves nothing');
    await page.screenshot({ path: path.join(ARTIFACTS, 'mail-template.png'), fullPage: true });
    await card2.getByRole('button', { name: 'Save invitation email' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Invitation email saved' }).first().waitFor();
    assert.deepEqual((await api('GET', '/api/settings/template')).template, initial.default);

    assert.deepEqual(problems.pageErrors, [], 'the page threw errors');
  } catch (err) {
    await failureShot(page, 'mail-template');
    throw err;
  } finally {
    await page.close();
  }
});

test('invitations: mail status strip and mail activity panel', { timeout: 120000 }, async () => {
  const { page, problems } = await newPage();
  const eventQueries = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/mail/events') eventQueries.push(u.search);
  });
  try {
    // Nothing set up: the strip says so and links to Settings.
    await go(page, '#/invitations');
    const strip = page.getByTestId('mail-status');
    await strip.waitFor();
    await strip.getByText('Not watching for replies: set up IMAP in Settings').waitFor();
    await strip.getByText(/Not sending: set up SMTP in Settings/).waitFor();
    assert.ok((await strip.getByRole('link', { name: 'Settings' }).count()) >= 1, 'a link to Settings');
    await page.getByTestId('mail-activity-empty').waitFor();
    assert.ok(eventQueries.some((q) => /limit=100/.test(q) && !/invitation_id/.test(q)), `events listed with limit=100: ${eventQueries}`);

    // SMTP and IMAP at closed loopback ports: the invitation waits in the
    // outbox and the watcher reports that it cannot connect.
    const smtpPort = await freePort();
    const imapPort = await freePort();
    await api('PUT', '/api/settings/mail', {
      smtp: { host: '127.0.0.1', port: smtpPort, security: 'plain', from_email: 'owner@example.test', from_name: 'Mail E2E' },
      imap: { host: '127.0.0.1', port: imapPort, security: 'plain', username: 'owner@example.test', password: 'x', mailbox: 'INBOX' },
      invitation_expiry_days: 14,
    });
    const inv = await api('POST', '/api/invitations', {
      account_id: account.id,
      first_name: 'Grace',
      last_name: 'Hopper',
      email: 'grace@example.com',
      preset: 'billing',
    });
    const inv2 = await api('POST', '/api/invitations', {
      account_id: account.id,
      first_name: 'Alan',
      last_name: 'Turing',
      email: 'alan@example.com',
      preset: 'technical',
    });

    // The page refreshes by itself (web mode polls every 5 s).
    await strip.getByText('2 messages waiting to be sent').waitFor({ timeout: 20000 });
    const outbox = strip.getByTestId('mail-status-outbox');
    await outbox.getByText(/Cannot reach the mail server: .*connection refused\s—\sretrying at \d/).waitFor({ timeout: 20000 });
    await strip.getByTestId('mail-status-inbox').getByText(/Cannot check your inbox for replies: .*connection refused/).waitFor({ timeout: 20000 });
    assert.equal(await strip.locator('.banner.error, [role="alert"]').count(), 0, 'the strip is informative, not an alarm');
    await page.screenshot({ path: path.join(ARTIFACTS, 'mail-status.png'), fullPage: true });

    // Clicking an invitation narrows the activity panel to it.
    const rows = page.getByTestId('invitation-row');
    await rows.filter({ hasText: 'grace@example.com' }).locator('td').nth(2).click();
    const filter = page.getByTestId('mail-activity-filter');
    await filter.waitFor();
    assert.match(await filter.innerText(), /Grace Hopper/);
    await sleep(300);
    assert.ok(eventQueries.some((q) => q.includes(`invitation_id=${inv.id}`)), `filtered by invitation_id=${inv.id}: ${eventQueries}`);
    await page.getByTestId('mail-activity-empty').getByText('No replies or bounces for this invitation yet').waitFor();
    assert.equal(
      await rows.filter({ hasText: 'grace@example.com' }).evaluate((tr) => tr.classList.contains('selected')),
      true,
    );
    await page.getByTestId('mail-activity-show-all').click();
    await filter.waitFor({ state: 'detached' });
    await page.getByTestId('mail-activity-empty').waitFor();

    // What the panel shows for each verdict (decisions stood in for: only a
    // real inbox produces them). Every value stays text.
    const XSS = '<img src=x onerror="window.__xss=1">';
    const now = new Date().toISOString();
    const fake = [
      { id: 5, at: now, invitation_id: inv.id, uid: 5, message_id: 'a@x', from: 'grace@example.com', subject: 'Re: invite', verdict: 'accept', reason: 'reply from the invitee' },
      { id: 4, at: now, invitation_id: inv2.id, uid: 4, message_id: 'b@x', from: 'alan@example.com', subject: 'Re: invite', verdict: 'decline', reason: 'decline word "no" (en) in reply' },
      { id: 3, at: now, invitation_id: inv2.id, uid: 3, message_id: 'c@x', from: 'MAILER-DAEMON@mx.example', subject: 'Undelivered Mail', verdict: 'bounce', reason: 'delivery failed (5.1.1)' },
      { id: 2, at: now, invitation_id: inv.id, uid: 2, message_id: 'd@x', from: XSS, subject: XSS, verdict: 'reject', reason: XSS },
      { id: 1, at: now, invitation_id: 0, uid: 1, message_id: 'e@x', from: 'mx@example', subject: 'Delay', verdict: 'ignore', reason: 'delivery delayed (4.4.1)' },
    ];
    await page.route('**/api/mail/events*', (route) => {
      const id = Number(new URL(route.request().url()).searchParams.get('invitation_id') || 0);
      const events = id ? fake.filter((e) => e.invitation_id === id) : fake;
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ events }) });
    });
    await page.getByRole('button', { name: 'Refresh' }).click();
    const eventRows = page.getByTestId('mail-event-row');
    await eventRows.nth(4).waitFor();
    const pills = await page.getByTestId('mail-verdict').evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-verdict'), [...e.classList].filter((c) => c !== 'pill' && !c.startsWith('svelte-'))[0], e.textContent.trim()]),
    );
    assert.deepEqual(pills, [
      ['accept', 'green', 'Accepted'],
      ['decline', 'grey', 'Declined'],
      ['bounce', 'orange', 'Bounced'],
      ['reject', 'red', 'Rejected'],
      ['ignore', 'muted', 'Ignored'],
    ]);
    const text = await page.getByTestId('mail-activity').innerText();
    assert.ok(text.includes(XSS), 'the payload is shown as text');
    assert.ok(text.includes('decline word "no" (en) in reply'), 'the reason is shown');
    const injected = await page.evaluate(() => ({ xss: window.__xss, n: document.querySelectorAll('img[onerror], [onerror]').length }));
    assert.deepEqual(injected, { xss: undefined, n: 0 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'mail-activity.png'), fullPage: true });

    // Narrow to Alan's invitation via its mail button.
    await rows.filter({ hasText: 'alan@example.com' }).getByRole('button', { name: /Show mail about the invitation to Alan Turing/ }).click();
    await filter.waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="mail-event-row"]').length === 2);
    assert.deepEqual(await page.getByTestId('mail-verdict').allTextContents(), ['Declined', 'Bounced']);
    await page.getByTestId('mail-activity-show-all').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="mail-event-row"]').length === 5);

    assert.deepEqual(problems.pageErrors, [], 'the page threw errors');
    assert.deepEqual(problems.dialogs, [], 'a dialog fired');
  } catch (err) {
    await failureShot(page, 'mail-status');
    throw err;
  } finally {
    await page.close();
  }
});

// With a real inbox (Dovecot): what the watcher could not decide by itself
// is put before the owner on the Invitations page, and Settings shows the
// trusted authserv-id with the one Test IMAP saw.
test('invitations: confirm an unverified reply, possible bounce, delay; trusted authserv-id', { timeout: 180000 }, async () => {
  const dovecot = await startDovecot();
  const srv = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-e2e-review-' });
  const owner = 'owner@example.test';
  let page;
  try {
    await srv.api('PUT', '/api/settings/mail', {
      smtp: { host: '127.0.0.1', port: await freePort(), security: 'plain', from_email: owner, from_name: 'Review E2E' },
      imap: { host: '127.0.0.1', port: dovecot.imapPort, security: 'plain', username: owner, password: 'owner-secret', mailbox: 'INBOX', trusted_authserv_id: 'mx.example.test' },
      invitation_expiry_days: 14,
    });
    const acc = await srv.api('POST', '/api/accounts', { name: 'Review Ltd' });
    const invite = (first, email) => srv.api('POST', '/api/invitations', { account_id: acc.id, first_name: first, last_name: 'Tester', email, preset: 'billing' });
    const ivy = await invite('Ivy', 'invitee1@example.test');
    const nobody = await invite('Nobody', 'nobody@example.test');
    const dee = await invite('Dee', 'invitee2@example.test');

    // A reply the receiving server did not vouch for: not verified.
    await lmtpDeliver(dovecot.lmtpPort, 'invitee1@example.test', owner,
      `From: Ivy Tester <invitee1@example.test>\nTo: ${owner}\nSubject: Re: invited\nMessage-ID: <e2e-reply-1@example.test>\n` +
        `In-Reply-To: <${ivy.message_id}>\nX-Mailer: e2e\n\nYes, happy to help.\n`);
    const dsn = (inv, action, status, diag) =>
      `From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nTo: ${owner}\nSubject: Undelivered Mail Returned to Sender\n` +
      `Message-ID: <e2e-dsn-${inv.id}@mx.example.org>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n` +
      `--B\nContent-Type: text/plain\n\nDelivery report.\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n` +
      `Final-Recipient: rfc822; ${inv.email}\nAction: ${action}\nStatus: ${status}\nDiagnostic-Code: smtp; ${diag}\n\n` +
      `--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: <${inv.message_id}>\nSubject: invited\n\n--B--\n`;
    // Reports to the owner's plain address, not the invitation's return path.
    await lmtpDeliver(dovecot.lmtpPort, '', owner, dsn(nobody, 'failed', '5.1.1', '550 5.1.1 <nobody@example.test>: User unknown'));
    await lmtpDeliver(dovecot.lmtpPort, '', owner, dsn(dee, 'delayed', '4.4.1', '451 4.4.1 connection timed out'));
    // The newest message, checked by the provider's receiving server.
    await lmtpDeliver(dovecot.lmtpPort, 'friend@example.org', owner,
      `Authentication-Results: mx.provider.test; dkim=pass header.d=example.org\nFrom: friend@example.org\nTo: ${owner}\nSubject: Hello\nMessage-ID: <e2e-hello@example.org>\n\nHi!\n`);

    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${srv.base}/#token=${srv.token}`);
    await page.waitForFunction(() => !location.hash.includes('token='));
    await go(page, '#/invitations');
    const row = (email) => page.getByTestId('invitation-row').filter({ hasText: email });
    await row('invitee1@example.test').getByTestId('invitation-review').waitFor({ timeout: 30000 });
    await row('nobody@example.test').getByTestId('invitation-possible-bounce').waitFor({ timeout: 30000 });
    await row('invitee2@example.test').getByTestId('invitation-delayed').waitFor({ timeout: 30000 });
    assert.equal(await row('invitee1@example.test').getByTestId('status-pill').innerText(), 'Awaiting your confirmation');
    assert.match(await row('invitee1@example.test').innerText(), /could not be verified: no Authentication-Results header from mx\.example\.test/);
    assert.match(await row('nobody@example.test').getByTestId('invitation-possible-bounce').innerText(), /Possible bounce: .*5\.1\.1 .*User unknown/);
    assert.match(await row('invitee2@example.test').getByTestId('invitation-delayed').innerText(), /Delivery delayed: .*4\.4\.1/);
    const pills = await page.getByTestId('mail-verdict').allTextContents();
    for (const p of ['Awaiting you', 'Possible bounce', 'Delayed']) assert.ok(pills.includes(p), `mail activity shows "${p}": ${pills}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'mail-review.png'), fullPage: true });

    // One click each.
    await row('invitee1@example.test').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Reply from Ivy Tester confirmed' }).first().waitFor();
    await row('invitee1@example.test').getByTestId('status-pill').filter({ hasText: 'Accepted' }).waitFor();
    const contact = await srv.api('GET', `/api/contacts/${ivy.contact_id}`);
    assert.equal(contact.status, 'active');
    await row('nobody@example.test').getByRole('button', { name: 'Mark bounced' }).click();
    await row('nobody@example.test').getByTestId('status-pill').filter({ hasText: 'Bounced' }).waitFor();
    await row('invitee2@example.test').getByRole('button', { name: 'Dismiss' }).click();
    await row('invitee2@example.test').getByTestId('invitation-delayed').waitFor({ state: 'detached' });
    assert.equal((await srv.api('GET', `/api/invitations/${dee.id}`)).invitation.state, 'queued');
    await page.screenshot({ path: path.join(ARTIFACTS, 'mail-review-done.png'), fullPage: true });

    // Settings: the field, what it protects, and Test IMAP's suggestion.
    await go(page, '#/settings');
    const field = page.getByTestId('authserv-id');
    await field.waitFor();
    assert.equal(await field.inputValue(), 'mx.example.test');
    await page.getByText('Protects your invitations from forged replies').waitFor();
    await page.getByRole('button', { name: 'Test IMAP connection' }).click();
    // The test's own answer first, so that a failure says what Test IMAP said.
    const imapResult = page.getByTestId('mail-settings').getByRole('status').filter({ hasText: /INBOX|IMAP|mailbox|connect/i });
    await imapResult.first().waitFor({ timeout: 30000 });
    const suggestion = page.getByTestId('authserv-id-suggestion');
    if (!(await suggestion.isVisible())) assert.fail(`no authserv-id suggestion; Test IMAP said: ${await imapResult.first().innerText()}`);
    assert.match(await suggestion.innerText(), /mx\.provider\.test/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'mail-authserv-id.png'), fullPage: true });
    await suggestion.getByRole('button', { name: 'Use it' }).click();
    assert.equal(await field.inputValue(), 'mx.provider.test');
    await page.getByRole('button', { name: 'Save settings' }).click();
    for (let i = 0; i < 50 && (await srv.api('GET', '/api/settings/mail')).imap.trusted_authserv_id !== 'mx.provider.test'; i++) await sleep(100);
    assert.equal((await srv.api('GET', '/api/settings/mail')).imap.trusted_authserv_id, 'mx.provider.test');
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (err) {
    if (page) await failureShot(page, 'mail-review');
    throw err;
  } finally {
    await page?.close();
    await srv.stop();
    dovecot.stop();
  }
});
