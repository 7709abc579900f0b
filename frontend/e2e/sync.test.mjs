// Browser end-to-end test of "Connect to your hub" (issue 18): a real
// `grantbook serve --hub` prints a pairing code; the window's handler
// (tests/windowserve) pairs with it from Settings; both show how sync goes
// (the window's card and sidebar line, the hub's Desktop app card with the
// paired computer), at a desktop and a phone size, with axe; a change made
// in the window reaches the hub's API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ARTIFACTS, SIZES, inSizedPage, launchBrowser, look, sleep, startServer, startWindowServer, withOwnerPage } from './harness.mjs';

async function printedCode(hub, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = /pairing code (\S+)/.exec(hub.log);
    if (m) return m[1];
    if (Date.now() > end) throw new Error(`serve --hub printed no pairing code\n${hub.log}`);
    await sleep(50);
  }
}

test('the window pairs with a hub and both tell how sync goes', { timeout: 240000 }, async (t) => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const hub = await startServer({ args: ['--hub'] });
  t.after(() => hub.stop());
  const code = await printedCode(hub);
  const win = await startWindowServer({ passphrase: 'sync passphrase', account: 'Acme Ltd' });
  t.after(() => win.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());

  for (const size of SIZES) {
    await inSizedPage(browser, size, 'e2e-sync', async (page, context, shot) => {
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // The Wails bindings' presence makes the page the desktop one.
      await context.addInitScript(() => {
        window.go = { app: { App: { ExportBackup: async () => '', RestoreBackup: async () => null } } };
      });
      await page.goto(`${win.base}/`);
      if (size.name === 'desktop') {
        // The window's lock is the process's: once unlocked, the next page is too.
        await page.getByLabel('Passphrase').fill('sync passphrase');
        await page.keyboard.press('Enter');
      }
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.evaluate(() => (location.hash = '#/settings'));
      const card = page.getByTestId('connect-hub');
      await card.waitFor();
      if (size.name === 'desktop') {
        // A wrong code is refused with the hub's reason; the form stays.
        await card.getByLabel('Hub address').fill(hub.base);
        await card.getByLabel('Pairing code').fill('AAAA-BBBB-CCCC');
        await card.getByRole('button', { name: 'Connect' }).click();
        await card.getByText(/pairing code is wrong/).waitFor();
        await card.getByLabel('Pairing code').fill(code);
        await card.getByRole('button', { name: 'Connect' }).click();
      }
      await card.getByTestId('sync-state').getByText('Connected to your hub').waitFor({ timeout: 30000 }).catch(async (e) => {
        const desk = await page.evaluate(() => fetch('/api/sync').then((r) => r.text()));
        throw new Error(`${e.message}\nwindow: ${desk}\nhub: ${JSON.stringify(await hub.api('GET', '/api/sync/hub'))}`);
      });
      if (size.name === 'phone') await page.getByRole('button', { name: 'Menu' }).click();
      await page.getByTestId('sync-line').getByText('Connected to your hub').waitFor({ timeout: 10000 });
      if (size.name === 'phone') await page.keyboard.press('Escape');
      await card.getByText('Last sync').waitFor();
      await card.scrollIntoViewIfNeeded();
      await shot('window-settings');
      // How a field changed on both sides reads (what the window's status
      // carries: backend/hub TestWindowShowsFieldsChangedOnBothSides makes a
      // real one; here the answer gets one added, to see it drawn).
      await page.route('**/api/sync', async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        body.conflicts = [{ what: 'account Acme Ltd', field: 'phone', here: '+44 20 7946 0000', other: '+44 20 7946 0999', kept: 'other', at: new Date().toISOString() }];
        await route.fulfill({ response: res, json: body });
      });
      await page.reload();
      const conflicts = page.getByTestId('connect-hub').getByTestId('sync-conflicts');
      await conflicts.waitFor({ timeout: 10000 });
      assert.match(await conflicts.innerText(), /account Acme Ltd, phone: here “\+44 20 7946 0000”, on the hub “\+44 20 7946 0999”; the hub’s kept/);
      await conflicts.scrollIntoViewIfNeeded();
      await look(page, `window conflicts ${size.name}`, `e2e-sync-conflicts-${size.name}.png`);
      await page.unroute('**/api/sync');
      assert.deepEqual(errors, [], 'the window page threw errors');
    });
  }

  // The account the window had before pairing reached the hub (the snapshot).
  const end = Date.now() + 15000;
  let names = [];
  while (Date.now() < end) {
    names = ((await hub.api('GET', '/api/accounts')).accounts || []).map((a) => a.name);
    if (names.includes('Acme Ltd')) break;
    await sleep(100);
  }
  assert.ok(names.includes('Acme Ltd'), `the hub's accounts: ${names}`);

  for (const size of SIZES) {
    await withOwnerPage(browser, hub, `e2e-sync-hub-${size.name}`, '#/settings', async (page) => {
      const card = page.getByTestId('hub-pairing');
      await card.getByTestId('hub-peer').getByText('Connected', { exact: true }).waitFor({ timeout: 15000 });
      // Paired: every page says where the owner's changes are made.
      await page.reload();
      assert.match(await page.getByTestId('hub-banner').innerText(), /takes your changes from Grantbook on your computer/);
      await card.scrollIntoViewIfNeeded();
      await look(page, `hub ${size.name}`, `e2e-sync-hub-${size.name}.png`);
    }, { viewport: { width: size.width, height: size.height } });
  }
});
