// Passkeys in a real browser: Chromium's virtual authenticator (the DevTools
// protocol's WebAuthn domain) answers navigator.credentials, against the real
// server binary. There is no passkey UI yet: the page runs the client area's
// calls itself (fetch + navigator.credentials), as the UI will.
//
//   (cd .. && go build -o /tmp/grantbook .) && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e
//
// Passkeys need a host name, not an IP address, as their RP ID: the page is
// opened at http://localhost:PORT (serve answers for localhost on loopback).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnv, codeFrom, launchBrowser, startServer, startSmtpSink } from './harness.mjs';

let server;
let api;
let browser;
let smtp;
let base;

const EMAIL = 'pat.passkey@example.test';

before(async () => {
  checkEnv();
  smtp = await startSmtpSink();
  server = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: 'grantbook-passkey-e2e-' });
  api = server.api;
  base = server.base.replace('127.0.0.1', 'localhost');
  browser = await launchBrowser();
  await api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: 'owner@example.test', from_name: 'Passkey E2E' },
  });
  const account = await api('POST', '/api/accounts', { name: 'Passkey Ltd' });
  await api('POST', '/api/contacts', { account_id: account.id, first_name: 'Pat', last_name: 'Passkey', email: EMAIL, preset: 'full' });
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await server?.stop();
    await smtp?.close();
  }
});

// In the page: the client area's calls, with WebAuthn's base64url fields
// turned into buffers and back (what the UI's passkey helper will do).
const pageHelpers = () => {
  const b64 = {
    dec: (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
    enc: (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  };
  window.gb = {
    csrf: '',
    async call(method, path, body) {
      const res = await fetch(path, {
        method,
        headers: { 'Content-Type': 'application/json', ...(this.csrf ? { 'X-CSRF-Token': this.csrf } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async create(options) {
      const pk = options.publicKey;
      pk.challenge = b64.dec(pk.challenge);
      pk.user.id = b64.dec(pk.user.id);
      for (const c of pk.excludeCredentials || []) c.id = b64.dec(c.id);
      const cred = await navigator.credentials.create({ publicKey: pk });
      return {
        id: cred.id, rawId: b64.enc(cred.rawId), type: cred.type,
        response: { clientDataJSON: b64.enc(cred.response.clientDataJSON), attestationObject: b64.enc(cred.response.attestationObject),
          transports: cred.response.getTransports() },
        clientExtensionResults: cred.getClientExtensionResults(),
      };
    },
    async get(options) {
      const pk = options.publicKey;
      pk.challenge = b64.dec(pk.challenge);
      for (const c of pk.allowCredentials || []) c.id = b64.dec(c.id);
      const cred = await navigator.credentials.get({ publicKey: pk });
      return {
        id: cred.id, rawId: b64.enc(cred.rawId), type: cred.type,
        response: { clientDataJSON: b64.enc(cred.response.clientDataJSON), authenticatorData: b64.enc(cred.response.authenticatorData),
          signature: b64.enc(cred.response.signature), userHandle: cred.response.userHandle ? b64.enc(cred.response.userHandle) : null },
        clientExtensionResults: cred.getClientExtensionResults(),
      };
    },
  };
};

async function signInWithCode(page) {
  const since = smtp.messages.length;
  const asked = await page.evaluate((email) => gb.call('POST', '/api/portal/signin', { email }), EMAIL);
  assert.equal(asked.status, 202);
  const code = await codeFrom(smtp, EMAIL, since, () => server.log);
  const r = await page.evaluate(([email, code]) => gb.call('POST', '/api/portal/verify', { email, code }), [EMAIL, code]);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await page.evaluate((csrf) => (gb.csrf = csrf), r.body.csrf_token);
}

test('a passkey made in Chromium signs in alone, with user verification', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/portal`);
  await page.evaluate(pageHelpers);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });

  await signInWithCode(page);
  const added = await page.evaluate(async () => {
    const begin = await gb.call('POST', '/api/portal/passkeys/register/begin');
    if (begin.status !== 200) return begin;
    const credential = await gb.create(begin.body);
    return gb.call('POST', '/api/portal/passkeys/register', { name: 'Chromium', credential });
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential');
  assert.equal(credentials[0].rpId, 'localhost');

  // Signed out, the passkey alone signs in: no address is typed.
  assert.equal((await page.evaluate(() => gb.call('POST', '/api/portal/signout'))).status, 200);
  await page.evaluate(() => (gb.csrf = ''));
  const signin = async () =>
    page.evaluate(async () => {
      const begin = await gb.call('POST', '/api/portal/passkey-signin/begin');
      if (begin.status !== 200) return begin;
      if ((begin.body.publicKey.allowCredentials || []).length) return { status: 0, body: 'the prompt names credentials' };
      let credential;
      try {
        credential = await gb.get(begin.body);
      } catch (e) {
        return { status: -1, body: e.name };
      }
      return gb.call('POST', '/api/portal/passkey-signin', { credential });
    });
  const ok = await signin();
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.contact.email, EMAIL);
  const me = await page.evaluate(() => gb.call('GET', '/api/portal/me'));
  assert.equal(me.status, 200, 'a passkey session acts at once (it proved its second factor)');

  // The prompt requires user verification (a PIN or biometrics): an
  // authenticator that cannot verify the user is not even asked. (That the
  // server refuses an answer without it is a Go test: the browser never
  // sends one.)
  await page.evaluate(() => gb.call('POST', '/api/portal/signout'));
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  const unverified = await signin();
  assert.deepEqual(unverified, { status: -1, body: 'NotAllowedError' });

  // An emailed code alone is not enough any more: the session must prove the passkey.
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
  await signInWithCode(page);
  const held = await page.evaluate(() => gb.call('GET', '/api/portal/me'));
  assert.equal(held.status, 403);
  assert.equal(held.body.error.code, 'second_factor');
  const checked = await page.evaluate(async () => {
    const begin = await gb.call('POST', '/api/portal/passkeys/check/begin');
    const credential = await gb.get(begin.body);
    return gb.call('POST', '/api/portal/passkeys/check', { credential });
  });
  assert.equal(checked.status, 200, JSON.stringify(checked.body));
  assert.equal((await page.evaluate(() => gb.call('GET', '/api/portal/me'))).status, 200);
  await context.close();
});
