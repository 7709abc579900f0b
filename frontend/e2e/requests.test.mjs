// Access requests through the client area's UI, against the real server
// binary: a refusal (the grant changed under an open page) offers "Request
// access" with a note; asking again is "asked already"; asking for what the
// grant allows is "you already have this"; the daily limit is said; a
// site's refusal link (/portal?request=…&item=…) opens the request after
// sign-in; My requests lists them; Ask for more time while the grant ends.
// At a desktop and a phone size, with axe-core and screenshots
// (E2E_ARTIFACTS/requests-<size>-<screen>.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES, inSizedPage, portalNav, portalSignIn, startPortalStack } from './harness.mjs';

let st;

before(async () => {
  st = await startPortalStack('requests', { lifecycle: { requests_per_day: 3 } });
  await st.api('POST', `/api/accounts/${st.account.id}/invoices`, { number: 'INV-1', amount_cents: 1200 });
});

after(() => st?.stop());

const inAMonth = () => new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);

for (const size of SIZES) {
  test(`${size.name}: refusals offer Request access; My requests; Ask for more time`, async () => {
    const email = `bea.${size.name}@example.test`;
    const bea = await st.api('POST', '/api/contacts', {
      account_id: st.account.id, first_name: 'Bea', last_name: 'Billing', email, preset: 'billing', expires_at: inAMonth(),
    });
    await inSizedPage(st.browser, size, 'requests', async (page, context, shot) => {
    const dialog = page.getByTestId('request-dialog');
    const send = async (note) => {
      if (note !== undefined) await dialog.getByLabel('Note to the owner').fill(note);
      await dialog.getByRole('button', { name: 'Send request' }).click();
      await dialog.getByTestId('request-outcome').or(dialog.getByTestId('request-error')).first().waitFor();
    };
      await portalSignIn(page, st.server.base, st.smtp, email, () => st.server.log);
      await portalNav(page, 'Invoices');
      await page.getByTestId('portal-invoice-row').first().waitFor();

      // The owner takes invoices away; the next visit is refused and offers the request.
      await st.api('PATCH', `/api/contacts/${bea.id}`, { preset: 'technical' });
      await portalNav(page, 'Invoices');
      const offer = page.getByTestId('refusal-offer');
      await offer.waitFor();
      assert.match(await offer.innerText(), /invoices\.view/);
      await shot('refusal');
      await offer.getByRole('button', { name: 'Request access' }).click();
      await dialog.waitFor();
      await send('For the year-end accounts');
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /went to the owner/);
      await shot('request-sent');
      await dialog.getByRole('button', { name: 'Done' }).click();

      // The same again, from a site's refusal link: asked already, the note replaced.
      await page.goto(`${st.server.base}/portal?request=permission&item=invoices.view`);
      await dialog.waitFor();
      assert.equal(new URL(page.url()).search, '', 'the offer leaves the address bar once read');
      await send('Needed by Friday');
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /asked for .* already.*note was updated/s);
      await dialog.getByRole('button', { name: 'Done' }).click();

      // What the grant allows already: 409.
      await page.goto(`${st.server.base}/portal?request=permission&item=services.view`);
      await dialog.waitFor();
      await send();
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /You already have this/);
      await dialog.getByRole('button', { name: 'Done' }).click();

      // My requests; Ask for more time (the grant ends in a month).
      await portalNav(page, 'My requests');
      await page.getByTestId('request-row').first().waitFor();
      await page.getByRole('button', { name: 'Ask for more time' }).click();
      await dialog.waitFor();
      await shot('more-time');
      await send('The project runs until spring');
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /went to the owner/);
      await dialog.getByRole('button', { name: 'Done' }).click();
      await page.getByTestId('request-row').nth(1).waitFor();
      const rows = await page.getByTestId('request-row').allInnerTexts();
      assert.equal(rows.length, 2, rows.join('\n'));
      assert.match(rows.join('\n'), /Needed by Friday/);
      await shot('my-requests');

      // A new request past the day's limit (3 here): said so.
      await page.goto(`${st.server.base}/portal?request=permission&item=quotes.view`);
      await dialog.waitFor();
      await send();
      assert.match(await dialog.getByTestId('request-outcome').innerText(), /went to the owner/);
      await dialog.getByRole('button', { name: 'Done' }).click();
      await page.goto(`${st.server.base}/portal?request=permission&item=invoices.pay`);
      await dialog.waitFor();
      await send();
      assert.match(await dialog.getByTestId('request-error').innerText(), /the most a day/);
      await shot('limit');

      // The owner sees them, with the notes.
      const pending = await st.api('GET', `/api/access-requests?state=pending&contact_id=${bea.id}`);
      assert.deepEqual(pending.access_requests.map((r) => r.kind).sort(), ['extend', 'permission', 'permission']);
      assert.ok(pending.access_requests.some((r) => r.note === 'Needed by Friday'));
    });
  });
}
