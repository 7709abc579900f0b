// The authenticator app through the client area's UI, against the real
// server binary: with a second factor required for Full access, a code
// sign-in lands on the setup screen; the QR code and key set up the app;
// the next code sign-in asks "Confirm it's you", refuses a wrong code and
// takes the next one. At a desktop and a phone size, with axe-core and
// screenshots (E2E_ARTIFACTS/appcode-<size>-<screen>.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SIZES, inSizedPage, portalNav, portalSignIn, portalSignOut, startPortalStack } from './harness.mjs';

let st;

before(async () => {
  st = await startPortalStack('appcode', { lifecycle: { require_second_factor: true } });
});

after(() => st?.stop());

// The authenticator app's side of RFC 6238 (what the phone app computes):
// HMAC-SHA1 of the 30-second step under the base32 key, 6 digits.
function appCode(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', key).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

for (const size of SIZES) {
  test(`${size.name}: a required second factor is set up with the app, then an app code confirms a code sign-in`, async () => {
    const email = `fay.${size.name}@example.test`;
    await st.api('POST', '/api/contacts', { account_id: st.account.id, first_name: 'Fay', last_name: 'Full', email, preset: 'full' });
    await inSizedPage(st.browser, size, 'appcode', async (page, context, shot) => {
      await portalSignIn(page, st.server.base, st.smtp, email, () => st.server.log);
      await page.getByRole('heading', { name: 'Add a second factor' }).waitFor();
      await shot('setup');
      await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
      const qr = page.getByAltText('QR code for the authenticator app');
      await qr.waitFor();
      assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 100), 'the QR code is an image');
      const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
      assert.match(secret, /^[A-Z2-7]{16,}$/);
      await shot('setup-app');
      await page.getByLabel('Code from the app').fill(appCode(secret));
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByTestId('portal-contact').waitFor({ state: 'attached' });
      await portalNav(page, 'Security');
      await page.getByTestId('authenticator-app').getByText('An authenticator app is set up').waitFor();
      assert.match(await page.getByTestId('factor-summary').innerText(), /confirmed with the authenticator app/);

      // A new code sign-in must confirm with the app: a wrong code is refused.
      await portalSignOut(page);
      await portalSignIn(page, st.server.base, st.smtp, email, () => st.server.log);
      await page.getByRole('heading', { name: "Confirm it's you" }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Use my passkey' }).count(), 0, 'no passkey: no passkey button');
      const right = appCode(secret, Date.now() + 30000); // the next step: the current one was used to set up
      await page.getByLabel('Code from your authenticator app').fill(right === '000000' ? '111111' : '000000');
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.locator('#factor-code-error').waitFor(); // under the field
      assert.match(await page.locator('#factor-code-error').innerText(), /wrong or was used already/);
      await shot('confirm-wrong');
      await page.getByLabel('Code from your authenticator app').fill(right);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByTestId('portal-contact').waitFor({ state: 'attached' });

      // The only factor of a grant that requires one stays.
      await portalNav(page, 'Security');
      await page.getByRole('button', { name: 'Remove the app' }).click();
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Remove app' }).click();
      const refusal = page.getByTestId('confirm-dialog').getByRole('alert');
      await refusal.waitFor();
      await shot('remove-refused');
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
    });
  });
}

test('a factor set up in another session holds this one at its next click', async (t) => {
  const other = await startPortalStack('appcode-held'); // its own sign-in limits
  t.after(() => other.stop());
  const email = 'tom.tech@example.test';
  await other.api('POST', '/api/contacts', { account_id: other.account.id, first_name: 'Tom', last_name: 'Tech', email, preset: 'technical' });
  const size = SIZES[0];
  await inSizedPage(other.browser, size, 'appcode-held', async (page, _, shot) => {
    await portalSignIn(page, other.server.base, other.smtp, email, () => other.server.log);
    await page.getByTestId('portal-services').waitFor();
    let secret = '';
    await inSizedPage(other.browser, size, 'appcode-held-other', async (elsewhere) => {
      await portalSignIn(elsewhere, other.server.base, other.smtp, email, () => other.server.log);
      await portalNav(elsewhere, 'Security');
      await elsewhere.getByRole('button', { name: 'Set up an authenticator app' }).click();
      secret = (await elsewhere.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
      await elsewhere.getByLabel('Code from the app').fill(appCode(secret));
      await elsewhere.getByRole('button', { name: 'Confirm' }).click();
      await elsewhere.getByTestId('authenticator-app').getByText('An authenticator app is set up').waitFor();
    });
    await portalNav(page, 'Services');
    await page.getByRole('heading', { name: "Confirm it's you" }).waitFor();
    await shot('held');
    await page.getByLabel('Code from your authenticator app').fill(appCode(secret, Date.now() + 30000));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('portal-services').waitFor();
  });
});
