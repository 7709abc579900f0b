// Issue 17, the owner's side, walked as an owner does at 1280×800 and at
// 390×844, with axe-core on every step: Needs your attention and its badge
// (replies awaiting confirmation for both reasons, access requests, grants
// ending, invitations about to expire), the contact page (extend, requests,
// sign-in factors and their reset), Settings → Reminders & reviews with the
// server's 422s, and an access review from start to finish.
//
// State is made through the real parts: a real Dovecot inbox takes the
// replies, contacts sign in to the client area with their emailed code to
// ask for access and set up an authenticator app, and the reminder job runs
// at the server's start. Needs root (Dovecot), like mail.test.mjs.
//
//   GRANTBOOK_BIN=$PWD/../build/bin/grantbook node --test e2e/lifecycle.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, SIZES, axe, codeFrom, launchBrowser, sleep, startServer, startSmtpSink } from './harness.mjs';
import { lmtpDeliver, startDovecot } from './dovecot.mjs';
import { totp } from './totp.mjs';

const OWNER = 'owner@example.test';
const DAY = 86400000;

let browser;
let smtp;
before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  smtp = await startSmtpSink();
  browser = await launchBrowser();
});
after(async () => {
  try {
    await browser?.close();
  } finally {
    await smtp?.close();
  }
});

/** A date `days` from now, yyyy-mm-dd (UTC). */
const dayFromNow = (days) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** Polls fn until it returns a truthy value (the server's jobs run on their own). */
async function until(what, fn, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A contact's client-area session made with the emailed code (no browser). */
async function portalSession(srv, email) {
  const call = async (method, p, body, s = {}) => {
    const res = await fetch(srv.base + p, {
      method,
      headers: { 'Content-Type': 'application/json', ...(s.cookie ? { Cookie: s.cookie } : {}), ...(s.csrf ? { 'X-CSRF-Token': s.csrf } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, cookie: res.headers.getSetCookie?.().map((c) => c.split(';')[0]).join('; ') };
  };
  const since = smtp.messages.length;
  const asked = await call('POST', '/api/portal/signin', { email });
  assert.equal(asked.status, 202);
  const code = await codeFrom(smtp, email, since, () => srv.log);
  // The sign-in's own cookie goes with the code.
  const v = await call('POST', '/api/portal/verify', { email, code }, { cookie: asked.cookie });
  assert.equal(v.status, 200, JSON.stringify(v.body));
  const s = { cookie: v.cookie, csrf: v.body.csrf_token };
  return (method, p, body) => call(method, p, body, s);
}

/** Everything that waits for the owner, made the way it happens. */
async function seed(size) {
  const dovecot = await startDovecot();
  let srv;
  try {
    srv = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: `grantbook-e2e-life-${size.name}-` });
    return await seedInto(srv, dovecot);
  } catch (err) {
    await srv?.stop();
    dovecot.stop();
    throw err;
  }
}

async function seedInto(srv, dovecot) {
  const { api } = srv;
  await api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: OWNER, from_name: 'Lifecycle E2E' },
    imap: { host: '127.0.0.1', port: dovecot.imapPort, security: 'plain', username: OWNER, password: 'owner-secret', mailbox: 'INBOX', trusted_authserv_id: 'mx.example.test' },
    invitation_expiry_days: 2,
  });
  const life = await api('GET', '/api/settings/lifecycle');
  await api('PUT', '/api/settings/lifecycle', { ...life, confirm_high_privilege: true, invitation_reminder_days: 3 });
  const acc = await api('POST', '/api/accounts', { name: 'Harbour Lights Ltd' });
  const contact = (first, preset, extra = {}) =>
    api('POST', '/api/contacts', { account_id: acc.id, first_name: first, last_name: 'Tester', email: `${first.toLowerCase()}@example.test`, preset, ...extra });
  const fx = {
    srv,
    dovecot,
    dana: await contact('Dana', 'technical', { expires_at: dayFromNow(5) }),
    eve: await contact('Eve', 'technical'),
    frank: await contact('Frank', 'full'),
    gus: await contact('Gus', 'billing'),
  };
  const invite = (first, preset) =>
    api('POST', '/api/invitations', { account_id: acc.id, first_name: first, last_name: 'Invitee', email: `${first.toLowerCase()}@example.test`, preset });
  const ivy = await invite('Ivy', 'billing');
  const hal = await invite('Hal', 'full');
  fx.jo = await invite('Jo', 'technical');
  await until('the invitations sent', async () => (await api('GET', '/api/invitations')).invitations.every((i) => i.state === 'sent'));
  // Ivy's reply is not vouched for; Hal's passes DMARC but asks for Full access.
  const reply = (inv, auth) =>
    lmtpDeliver(dovecot.lmtpPort, inv.email, OWNER,
      `${auth}From: ${inv.name} <${inv.email}>\nTo: ${OWNER}\nSubject: Re: invited\nMessage-ID: <e2e-${inv.id}@example.test>\n` +
        `In-Reply-To: <${inv.message_id}>\n\nYes, happy to help.\n`);
  await reply(ivy, '');
  await reply(hal, 'Authentication-Results: mx.example.test; dmarc=pass header.from=example.test\n');
  // Eve asks to see invoices, Gus to see services, Dana for more time, from the client area.
  const eve = await portalSession(srv, 'eve@example.test');
  assert.equal((await eve('POST', '/api/portal/access-requests', { kind: 'permission', item: 'invoices.view', note: 'For the year-end accounts.' })).status, 201);
  const gus = await portalSession(srv, 'gus@example.test');
  assert.equal((await gus('POST', '/api/portal/access-requests', { kind: 'permission', item: 'services.view' })).status, 201);
  const dana = await portalSession(srv, 'dana@example.test');
  assert.equal((await dana('POST', '/api/portal/access-requests', { kind: 'extend', note: 'The migration runs late.' })).status, 201);
  // Dana sets up an authenticator app (the owner resets it later).
  const setup = await dana('POST', '/api/portal/totp');
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
  assert.equal((await dana('POST', '/api/portal/totp/confirm', { code: totp(setup.body.secret) })).status, 200);
  await until('both replies awaiting you', async () => (await api('GET', '/api/attention')).awaiting.count === 2, 40000);
  // The reminder job runs at start: a restart sends Jo's invitation reminder.
  await srv.stop({ keepData: true });
  fx.srv = srv = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDir: srv.dataDir });
  await until('the invitation reminders', async () => (await srv.api('GET', '/api/invitations')).invitations.filter((i) => i.reminded_at).length >= 1);
  return fx;
}

/** Checks a step: axe, no sideways scroll, screenshots to look at (the
 * whole page, and the screen with `focus` scrolled into it). */
async function step(page, size, name, focus) {
  const label = `${size.name} ${name}`;
  await axe(page, label);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${label}: the page scrolls sideways by ${wide}px`);
  await page.screenshot({ path: path.join(ARTIFACTS, `lifecycle-${size.name}-${name}.png`), fullPage: true });
  if (focus) await focus.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, `lifecycle-${size.name}-${name}-screen.png`) });
}

const go = (page, route) => page.evaluate((r) => (location.hash = r), route);
const toast = (page, text) => page.getByTestId('toast').filter({ hasText: text }).first().waitFor();

for (const size of SIZES) {
  test(`owner lifecycle at ${size.width}×${size.height}: attention, contact page, settings, access review`, { timeout: 300000 }, async () => {
    const fx = await seed(size);
    const { srv } = fx;
    const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const phone = size.width < 768;
    const badge = async () => {
      if (phone) await page.getByRole('button', { name: 'Menu' }).click();
      const b = page.getByTestId('nav-badge-attention');
      const n = (await b.count()) ? Number(await b.innerText()) : 0;
      if (phone) await page.getByRole('button', { name: 'Menu' }).click();
      return n;
    };
    try {
      await page.goto(`${srv.base}/#token=${srv.token}`);
      await page.waitForFunction(() => !location.hash.includes('token='));

      // 1. Needs your attention: the badge is the total, each list its decisions.
      await go(page, '#/attention');
      await page.getByTestId('attention-awaiting').waitFor();
      const start = await srv.api('GET', '/api/attention');
      assert.equal(start.total, 2 + 3 + 1 + start.invitations.count, JSON.stringify(start));
      assert.equal(await badge(), start.total);
      const awaiting = page.getByTestId('attention-awaiting');
      const hal = awaiting.getByTestId('attention-invitation').filter({ hasText: 'hal@example.test' });
      const ivy = awaiting.getByTestId('attention-invitation').filter({ hasText: 'ivy@example.test' });
      assert.equal(await hal.getByTestId('awaiting-reason').innerText(), 'You asked to confirm high privilege');
      assert.equal(await ivy.getByTestId('awaiting-reason').innerText(), 'Unverified sender');
      assert.match(await hal.innerText(), /Full access/);
      const req = (who) => page.getByTestId('request-row').filter({ hasText: who });
      assert.match(await req('Eve').innerText(), /View invoices[\s\S]*For the year-end accounts\.[\s\S]*in the client area/);
      const ending = page.getByTestId('ending-row').filter({ hasText: 'Dana' });
      // Dana's grant runs through the whole of the day 5 days ahead in the owner's
      // zone: from now, 5 days and what is left of today (and the zone's offset),
      // rounded — 6 before noon UTC, 5 after. The button says the stored term.
      const term = (await srv.api('GET', `/api/contacts/${fx.dana.id}`)).grant.term_days;
      assert.ok(term >= 4 && term <= 7, `term ${term}`);
      assert.equal(await ending.getByTestId('extend-by-term').innerText(), `Extend by ${term} days`);
      const jo = page.getByTestId('attention-expiring').getByTestId('attention-invitation').filter({ hasText: 'jo@example.test' });
      assert.match(await jo.innerText(), /Expires in 2 days[\s\S]*Reminder sent/);
      assert.match(await page.getByTestId('last-review').innerText(), /Last access review: never/);
      await step(page, size, 'attention');

      await hal.getByRole('button', { name: 'Confirm' }).click();
      await toast(page, 'Reply from Hal Invitee confirmed');
      assert.equal((await srv.api('GET', `/api/contacts/${(await srv.api('GET', '/api/invitations')).invitations.find((i) => i.email === 'hal@example.test').contact_id}`)).status, 'active');
      await ivy.getByRole('button', { name: 'Reject' }).click();
      await toast(page, 'Reply from Ivy Invitee rejected');
      await req('Eve').getByRole('button', { name: 'Approve' }).click();
      await toast(page, 'Approved: View invoices');
      assert.ok((await srv.api('GET', `/api/contacts/${fx.eve.id}`)).grant.permissions.includes('invoices.view'));
      await req('Gus').getByRole('button', { name: 'Decline' }).click();
      const decline = page.getByTestId('decline-dialog');
      await decline.getByLabel('Reason').fill('Services are handled by Dana.');
      await step(page, size, 'decline', decline);
      await decline.getByRole('button', { name: 'Decline' }).click();
      await toast(page, 'Declined: ');
      await req('Gus').waitFor({ state: 'detached' });
      const [gusReq] = (await srv.api('GET', `/api/access-requests?contact_id=${fx.gus.id}`)).access_requests;
      assert.deepEqual([gusReq.state, gusReq.reason], ['declined', 'Services are handled by Dana.']);
      assert.ok(!(await srv.api('GET', `/api/contacts/${fx.gus.id}`)).grant.permissions.includes('services.view'));
      await ending.getByTestId('extend-by-term').click();
      await toast(page, "Dana Tester's access now ends after");
      await ending.waitFor({ state: 'detached' });
      await jo.getByRole('button', { name: 'Resend' }).click();
      await toast(page, 'Invitation to jo@example.test will be sent again');
      await page.getByTestId('attention-awaiting').waitFor({ state: 'detached' });
      // Ivy's invitation waits again, so it is about to expire now.
      const now = await srv.api('GET', '/api/attention');
      assert.deepEqual([now.awaiting.count, now.requests.count, now.ending.count], [0, 1, 0], JSON.stringify(now));
      await until('the badge to follow', async () => (await badge()) === now.total, 10000);
      await step(page, size, 'attention-decided');

      // 2. Invitations list: days left, reminder sent.
      await go(page, '#/invitations');
      const joRow = page.getByTestId('invitation-row').filter({ hasText: 'jo@example.test' });
      await joRow.getByTestId('invitation-expires-in').waitFor();
      assert.match(await joRow.getByTestId('invitation-expires-in').innerText(), /^Expires in [12] days?$/);
      await step(page, size, 'invitations', joRow);

      // 3. Dana's contact page: the request for more time, a chosen date, the factors.
      await go(page, `#/contacts/${fx.dana.id}`);
      const card = page.getByTestId('access-end');
      await card.waitFor();
      const requests = page.getByTestId('contact-requests');
      await requests.getByTestId('request-row').filter({ hasText: 'The migration runs late.' }).waitFor();
      assert.equal(await page.getByTestId('factor-totp').innerText(), 'Yes');
      await step(page, size, 'contact', card);
      await card.getByRole('button', { name: 'Choose date…' }).click();
      const dlg = page.getByTestId('date-dialog');
      await dlg.getByLabel('Last day of access').fill(dayFromNow(1));
      await dlg.getByRole('button', { name: 'Extend access' }).click();
      await dlg.getByTestId('extend-until-error').waitFor();
      await step(page, size, 'extend-error');
      await dlg.getByLabel('Last day of access').fill(dayFromNow(60));
      // The toast of the extension by a term (step 1) says the same words
      // for 4 s: this one's must not be taken for it.
      await page.getByTestId('toast').filter({ hasText: "Dana Tester's access now ends after" }).waitFor({ state: 'detached' });
      await dlg.getByRole('button', { name: 'Extend access' }).click();
      await toast(page, "Dana Tester's access now ends after");
      assert.equal((await srv.api('GET', `/api/contacts/${fx.dana.id}`)).grant.expires_at.slice(0, 10), dayFromNow(61));
      await requests.getByRole('button', { name: 'Approve' }).click();
      await page.getByTestId('date-dialog').getByRole('button', { name: 'Approve' }).click();
      await toast(page, 'Approved: ');
      await requests.getByTestId('status-pill').filter({ hasText: 'Approved' }).waitFor();
      await page.getByRole('button', { name: 'Reset sign-in factors' }).click();
      await page.getByTestId('confirm-dialog').waitFor();
      await step(page, size, 'factors-reset-confirm', page.getByTestId('confirm-dialog'));
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Reset sign-in factors' }).click();
      await toast(page, "Dana Tester's sign-in factors are reset");
      assert.equal(await page.getByTestId('factor-totp').innerText(), 'No');
      assert.equal((await srv.api('GET', `/api/contacts/${fx.dana.id}/factors`)).totp, false);

      // 4. Settings → Reminders & reviews: the server's 422s under their fields.
      await go(page, '#/settings/reminders');
      const form = page.getByTestId('lifecycle-settings');
      await form.getByLabel('Days before the end').waitFor();
      await form.getByLabel('Days before the end').fill('30, 400');
      await form.getByRole('button', { name: 'Save reminders & reviews' }).click();
      await form.getByTestId('lc-reminder-days-error').waitFor();
      await form.getByLabel('Days before the end').fill('14, 3');
      await form.getByLabel('Open a review every (days)').fill('3');
      await form.getByRole('button', { name: 'Save reminders & reviews' }).click();
      await form.getByTestId('lc-review-days-error').waitFor();
      await step(page, size, 'settings-error', form.getByTestId('lc-review-days-error'));
      await form.getByLabel('Open a review every (days)').fill('30');
      await form.getByLabel('Remind me').uncheck();
      await form.getByRole('button', { name: 'Save reminders & reviews' }).click();
      await toast(page, 'Reminders and reviews saved');
      const saved = await srv.api('GET', '/api/settings/lifecycle');
      assert.deepEqual([saved.reminder_days, saved.review_every_days, saved.remind_owner, saved.confirm_high_privilege], [[3, 14], 30, false, true]);

      // 5. An access review: start, keep, reduce in the editor, revoke, finish.
      await go(page, '#/reviews');
      await page.getByTestId('no-open-review').waitFor();
      await page.getByRole('button', { name: 'Start a review now' }).click();
      await toast(page, 'Review opened with');
      const row = (who) => page.getByTestId('review-row').filter({ hasText: `${who.toLowerCase()}@example.test` });
      assert.match(await row('Frank').innerText(), /High privilege/);
      await page.getByRole('button', { name: 'Start a review now' }).click();
      await page.getByTestId('reviews-banner').waitFor();
      await page.getByRole('button', { name: 'Finish review' }).click();
      await page.getByTestId('reviews-banner').filter({ hasText: '5 contact(s) still need a decision' }).waitFor();
      await step(page, size, 'review');
      await row('Eve').getByRole('button', { name: 'Keep' }).click();
      await row('Eve').getByTestId('review-decision').filter({ hasText: 'Kept' }).waitFor();
      await row('Frank').getByRole('button', { name: 'Reduce' }).click();
      const reduce = page.getByTestId('reduce-dialog');
      await reduce.getByTestId('preset-technical').waitFor();
      await reduce.getByRole('button', { name: 'Save and mark reduced' }).click();
      await reduce.getByText('The access is as it was').waitFor();
      await step(page, size, 'review-reduce');
      await reduce.getByTestId('preset-technical').click();
      await reduce.getByRole('button', { name: 'Save and mark reduced' }).click();
      await row('Frank').getByTestId('review-decision').filter({ hasText: 'Reduced' }).waitFor();
      assert.equal((await srv.api('GET', `/api/contacts/${fx.frank.id}`)).grant.preset, 'technical');
      await row('Gus').getByRole('button', { name: 'Revoke' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Revoke access' }).click();
      await row('Gus').getByTestId('review-decision').filter({ hasText: 'Revoked' }).waitFor();
      assert.equal((await srv.api('GET', `/api/contacts/${fx.gus.id}`)).status, 'suspended');
      for (const who of ['Dana', 'Hal']) {
        await row(who).getByRole('button', { name: 'Keep' }).click();
        await row(who).getByTestId('review-decision').filter({ hasText: 'Kept' }).waitFor();
      }
      await page.getByRole('button', { name: 'Finish review' }).click();
      await toast(page, 'Review finished');
      await page.getByTestId('review-history').getByRole('row').nth(1).waitFor();
      await step(page, size, 'review-finished');
      await go(page, '#/attention');
      await page.getByTestId('last-review').filter({ hasNotText: 'never' }).waitFor();
      await step(page, size, 'attention-after');
      assert.deepEqual(errors, [], 'page errors');
    } catch (err) {
      await page.screenshot({ path: path.join(ARTIFACTS, `lifecycle-${size.name}-failure.png`), fullPage: true }).catch(() => {});
      throw err;
    } finally {
      await page.close();
      await srv.stop();
      fx.dovecot.stop();
    }
  });
}
