// Browser end-to-end test: the real server binary plus headless Chromium.
//
//   go build -o /tmp/grantbook . && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e
//
// Env: GRANTBOOK_BIN (required) the server binary; CHROMIUM_PATH (default
// /usr/bin/chromium); E2E_ARTIFACTS (default /tmp) where screenshots go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.GRANTBOOK_BIN;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = process.env.E2E_ARTIFACTS || '/tmp';
const TOKEN = randomBytes(16).toString('hex');

let server;
let serverLog = '';
let dataDir;
let base;
let browser;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(method, p, body) {
  const res = await fetch(base + p, {
    method,
    headers: { Authorization: 'Bearer ' + TOKEN, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function waitForHealth(timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    if (server.exitCode !== null) {
      throw new Error(`grantbook exited early with code ${server.exitCode}\n--- server output ---\n${serverLog}`);
    }
    try {
      const res = await fetch(base + '/api/health');
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = String(e?.cause?.code || e);
    }
    await sleep(150);
  }
  throw new Error(`grantbook did not answer GET /api/health within ${timeoutMs} ms (${last})\n--- server output ---\n${serverLog}`);
}

function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => server.kill('SIGKILL'), 5000);
    server.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    server.kill('SIGTERM');
  });
}

before(async () => {
  if (!BIN) {
    throw new Error(
      'GRANTBOOK_BIN is not set. Build the server first and point the test at it, e.g.\n' +
        '  (cd .. && go build -o /tmp/grantbook .) && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e',
    );
  }
  if (!fs.existsSync(BIN)) throw new Error(`GRANTBOOK_BIN=${BIN} does not exist`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`);

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'grantbook-e2e-'));
  server = spawn(BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    env: { ...process.env, GRANTBOOK_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  server.on('error', (e) => (serverLog += `\nspawn error: ${e.message}\n`));
  await waitForHealth();

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await stopServer();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('add a contact with the Billing preset through the UI', { timeout: 90000 }, async () => {
  const account = await api('POST', '/api/accounts', { name: 'E2E Trading Ltd' });
  const service = await api('POST', `/api/accounts/${account.id}/services`, {
    name: 'e2e-shop.example',
    kind: 'domain',
    status: 'active',
  });

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const email = `ada.${Date.now()}@example.com`;
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  try {
    await page.goto(`${base}/#token=${TOKEN}`);
    // The token is taken out of the address bar.
    await page.waitForFunction(() => !location.hash.includes('token='));

    // A fresh account has no contacts: both the header and the empty state
    // offer the button.
    await page.getByTestId('contacts-empty').waitFor();
    await page.getByRole('button', { name: 'Add new contact' }).first().click();

    const dialog = page.getByTestId('add-contact');
    await dialog.waitFor();
    await dialog.getByRole('radio', { name: 'Company' }).click();
    await dialog.getByLabel('First name', { exact: true }).fill('Ada');
    await dialog.getByLabel('Last name', { exact: true }).fill('Lovelace');
    await dialog.getByLabel('Email', { exact: true }).fill(email);
    await dialog.getByLabel('Phone', { exact: true }).fill('+44 20 7946 0000');
    await dialog.getByLabel('Company', { exact: true }).fill('Analytical Engines Ltd');
    await dialog.getByLabel('Role', { exact: true }).selectOption({ label: 'Accountant' });

    await dialog.getByTestId('preset-billing').click();
    assert.equal(await dialog.getByRole('radio', { name: /^Billing/ }).isChecked(), true);
    // The Billing preset ticks the billing actions.
    assert.equal(await dialog.getByRole('checkbox', { name: 'Pay invoices' }).isChecked(), true);
    assert.equal(await dialog.getByRole('checkbox', { name: 'Cancel services' }).isChecked(), false);

    // Limit to the one service.
    await dialog.getByRole('radio', { name: 'Selected services' }).check();
    await dialog.getByRole('checkbox', { name: /e2e-shop\.example/ }).check();

    await dialog.getByRole('button', { name: 'Save contact' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10000 });
    await page.getByTestId('toast').filter({ hasText: 'Contact saved' }).first().waitFor();

    const row = page.getByTestId('contact-row').filter({ hasText: email });
    await row.waitFor();
    const access = (await row.getByTestId('contact-access').textContent())?.trim();
    assert.match(access ?? '', /Billing/, `access cell should show Billing, got "${access}"`);
    const rowText = await row.textContent();
    assert.match(rowText ?? '', /Ada Lovelace/);
    assert.match(rowText ?? '', /1 service/);

    await page.screenshot({ path: path.join(ARTIFACTS, 'contacts.png') });

    const list = await api('GET', `/api/contacts?account_id=${account.id}`);
    const stored = list.contacts.find((c) => c.email === email);
    assert.ok(stored, `contact ${email} not returned by GET /api/contacts`);
    assert.equal(stored.grant.preset, 'billing');
    assert.equal(stored.first_name, 'Ada');
    assert.equal(stored.last_name, 'Lovelace');
    assert.equal(stored.account_type, 'company');
    assert.equal(stored.company, 'Analytical Engines Ltd');
    assert.equal(stored.role, 'accountant');
    assert.deepEqual(stored.grant.service_ids, [service.id]);
    assert.equal(stored.grant.all_services, false);
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, 'contacts-failure.png') }).catch(() => {});
    throw err;
  } finally {
    await page.close();
  }
});
