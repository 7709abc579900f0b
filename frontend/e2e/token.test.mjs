// Browser end-to-end test of the owner's access link: serve keeps its token
// in the data folder, Settings → Security shows it and replaces it, the tab
// that replaced it keeps working, the old link stops working and a restart
// prints the new one. The harness is in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, launchBrowser, startServer } from './harness.mjs';

async function statusWith(base, token) {
  const res = await fetch(base + '/api/accounts', { headers: { Authorization: 'Bearer ' + token } });
  return res.status;
}

test('replace the access link from Settings and keep working in this tab', { timeout: 90000 }, async (t) => {
  // The server is restarted below: the cleanup stops whichever runs last.
  let server = await startServer({ dataDirPrefix: 'grantbook-e2e-token-', storedToken: true });
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const { base, dataDir } = server;
  const old = server.token;
  assert.match(old, /^[A-Za-z0-9_-]{43}$/);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  try {
    await page.goto(`${base}/#token=${old}`);
    await page.waitForFunction(() => !location.hash.includes('token='));
    await page.getByRole('link', { name: 'Settings' }).click();

    const card = page.getByTestId('access-link');
    await card.getByText('Kept in the data folder').waitFor();
    const input = card.getByLabel('Access link');
    assert.equal(await input.inputValue(), `${base}/#token=${old}`);
    assert.equal(await input.getAttribute('type'), 'password', 'the link is hidden until asked for');
    await card.getByRole('button', { name: 'Show' }).click();

    await card.getByRole('button', { name: 'Replace access link' }).click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.getByRole('button', { name: 'Replace link' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10000 });
    await page.getByTestId('toast').filter({ hasText: 'Access link replaced' }).first().waitFor();

    const shown = await input.inputValue();
    const fresh = new URL(shown).hash.replace('#token=', '');
    assert.notEqual(fresh, old);
    assert.match(fresh, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await statusWith(base, old), 401, 'the old link is refused');
    assert.equal(await statusWith(base, fresh), 200);
    await page.screenshot({ path: path.join(ARTIFACTS, 'e2e-access-link.png'), fullPage: true });

    // This tab keeps working, also after a reload: the card below is read
    // with the token the tab stored.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('grantbook.token')), fresh);
    await page.reload();
    await page.getByTestId('access-link').getByText('Kept in the data folder').waitFor();
    await page.getByTestId('access-link').getByRole('button', { name: 'Show' }).click();
    assert.equal(await page.getByTestId('access-link').getByLabel('Access link').inputValue(), shown);

    // The data folder keeps the new token: a restart prints it.
    await server.stop({ keepData: true });
    server = await startServer({ dataDir, storedToken: true });
    assert.equal(server.token, fresh, 'serve printed another token after a restart');
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
