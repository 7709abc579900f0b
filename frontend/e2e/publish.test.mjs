// Browser end-to-end test of the window's "Let contacts sign in", on the
// window's handler (tests/windowserve, with its publisher): switched on
// before there is an address it says why and stays off; with this
// computer's network address and certificate files from a throwaway CA it
// serves /portal there to another client (node's https, trusting only that
// CA), and the self-check, trusting this computer's roots as a contact's
// browser would, names the certificate step; off, the port refuses. The
// real window does the same under Xvfb in tests/desktop-publish.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACTS, launchBrowser, startWindowServer } from './harness.mjs';

function networkAddress() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this computer has no IPv4 network address');
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway CA and a certificate for ip, with openssl. */
function certificates(dir, ip) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=publish-e2e-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
  run('req', ...ec, '-subj', `/CN=${ip}`, '-keyout', 'portal.key', '-out', 'portal.csr');
  fs.writeFileSync(path.join(dir, 'ext'), `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`);
  run('x509', '-req', '-in', 'portal.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext', '-out', 'portal.pem');
  return { ca: fs.readFileSync(path.join(dir, 'ca.pem')), cert: path.join(dir, 'portal.pem'), key: path.join(dir, 'portal.key') };
}

/** GET url trusting only ca: { status, body } or the connection's error. */
function get(url, ca) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

/** Waits (bounded) until the switch's box shows on. */
async function switchSettles(page, on) {
  await page.waitForFunction((want) => document.querySelector('[data-testid=publish-switch]')?.checked === want, on, { timeout: 5000 });
}

test('the window serves the client area with the switch on, and stops when off', { timeout: 180000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grantbook-publish-e2e-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ip = networkAddress();
  const files = certificates(dir, ip);
  const address = `https://${ip}:${await freePort()}`;
  const win = await startWindowServer({ passphrase: 'publish passphrase', account: 'Acme Ltd' });
  t.after(() => win.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // The Wails bindings' presence makes the page the desktop one.
  await page.context().addInitScript(() => {
    window.go = { app: { App: { ExportBackup: async () => '', RestoreBackup: async () => null } } };
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  try {
    await page.goto(`${win.base}/`);
    await page.getByLabel('Passphrase').fill('publish passphrase');
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Settings' }).click();
    const panel = page.getByTestId('publish');
    const toggle = panel.getByRole('switch', { name: 'Let contacts sign in' });
    assert.equal(await toggle.isChecked(), false);

    await toggle.click();
    await panel.getByText('set the address contacts use first').waitFor();
    // The box is set back from the status read after the refusal, a moment after the reason shows.
    await switchSettles(page, false);

    const card = page.getByTestId('client-area-settings');
    await card.getByLabel('Address').fill(address);
    await card.getByLabel('HTTPS certificate').selectOption('files');
    await card.getByLabel('Certificate file (full path, PEM)').fill(files.cert);
    await card.getByLabel('Key file (full path, PEM)').fill(files.key);
    await card.getByRole('button', { name: 'Save client area' }).click();
    await card.getByText(`Contacts sign in at ${address}/portal`).waitFor();

    await toggle.click();
    await panel.getByTestId('publish-serving').getByText(`${address}/portal`).waitFor();
    await switchSettles(page, true);
    const portal = await get(`${address}/portal`, files.ca);
    assert.equal(portal.status, 200);
    assert.match(portal.body, /<!doctype html/i);
    assert.equal((await get(`${address}/api/accounts`, files.ca)).status, 404, 'no owner API on the published address');

    // The self-check ran on switching on; this computer does not trust the CA.
    await panel.getByTestId('publish-check').getByText(/Certificate failed: .*browsers would warn them/).waitFor();
    await panel.screenshot({ path: path.join(ARTIFACTS, 'e2e-publish.png') });

    await toggle.click();
    await panel.getByText('Off: contacts cannot sign in').waitFor();
    await assert.rejects(get(`${address}/api/health`, files.ca), /ECONNREFUSED/);
    assert.deepEqual(pageErrors, []);
  } catch (e) {
    await page.screenshot({ path: path.join(ARTIFACTS, 'e2e-publish-failure.png'), fullPage: true });
    throw e;
  }
});
