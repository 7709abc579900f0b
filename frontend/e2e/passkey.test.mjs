// Passkeys in a real browser, through the client area's UI: Chromium's
// virtual authenticator (the DevTools protocol's WebAuthn domain) answers
// navigator.credentials, against the real server binary. At a desktop and a
// phone size, with axe-core and a screenshot of each screen
// (E2E_ARTIFACTS/passkey-<size>-<screen>.png).
//
//   (cd .. && go build -tags sqlite_fts5 -o /tmp/grantbook .) && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e
//
// Passkeys need a host name, not an IP address, as their RP ID: the page is
// opened at http://localhost:PORT (serve answers for localhost on loopback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES, inSizedPage, portalNav, portalSignIn, portalSignOut, startPortalStack } from './harness.mjs';

// A server for each size: the public passkey routes count against the
// sign-in limits per client address, and every page here is on loopback.
for (const size of SIZES) {
  test(`${size.name}: a passkey added on the Security page signs in alone and confirms an emailed code`, async (t) => {
    const st = await startPortalStack(`passkey-${size.name}`);
    t.after(() => st.stop());
    const base = st.server.base.replace('127.0.0.1', 'localhost');
    const email = `pat.${size.name}@example.test`;
    const contact = await st.api('POST', '/api/contacts', { account_id: st.account.id, first_name: 'Pat', last_name: 'Passkey', email, preset: 'full' });
    await inSizedPage(st.browser, size, 'passkey', async (page, context, shot) => {
      await page.goto(`${base}/portal`);
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
      });

      await portalSignIn(page, base, st.smtp, email, () => st.server.log);
      await portalNav(page, 'Security');
      const security = page.getByTestId('portal-security');
      await security.waitFor();
      await shot('security-empty');
      await page.getByLabel('Name for a new passkey').fill('Chromium');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByTestId('passkey-row').filter({ hasText: 'Chromium' }).waitFor();
      assert.match(await page.getByTestId('factor-summary').innerText(), /confirmed with a passkey/);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential');
      assert.equal(credentials[0].rpId, 'localhost');
      await shot('security-passkey');

      // Signed out, the passkey alone signs in: no address is typed.
      await portalSignOut(page);
      await shot('signin');
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByTestId('portal-contact').waitFor({ state: 'attached' });

      // The prompt requires user verification (a PIN or biometrics): an
      // authenticator that cannot verify the user is not even asked, and the
      // page says so. (That the server refuses an answer without it is a Go
      // test: the browser never sends one.)
      await portalSignOut(page);
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      assert.match(await page.getByTestId('portal-error').innerText(), /passkey prompt was closed or timed out/);

      // An emailed code alone is not enough any more: Confirm it's you.
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
      await portalSignIn(page, base, st.smtp, email, () => st.server.log);
      await page.getByRole('heading', { name: "Confirm it's you" }).waitFor();
      assert.equal(await page.getByLabel('Code from your authenticator app').count(), 0, 'no app: no code field');
      await shot('confirm');
      await page.getByRole('button', { name: 'Use my passkey' }).click();
      await page.getByTestId('portal-contact').waitFor({ state: 'attached' });

      // Removed, it signs in no more (the server forgot it).
      await portalNav(page, 'Security');
      await page.getByTestId('passkey-row').getByRole('button', { name: 'Remove' }).click();
      await shot('remove-confirm');
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Remove passkey' }).click();
      await page.getByTestId('passkey-row').waitFor({ state: 'detached' });
      const factors = await st.api('GET', `/api/contacts/${contact.id}/factors`);
      assert.deepEqual(factors.passkeys || [], []);
    });
  });
}
