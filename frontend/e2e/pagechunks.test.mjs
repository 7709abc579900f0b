// Browser end-to-end test of the owner pages' chunks: the app starts with
// the shell and Contacts only, another page's script is fetched on its
// first visit, and a page whose script cannot be fetched says so with a
// way to try again. The harness is in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownerSuite, withOwnerPage } from './harness.mjs';

const s = ownerSuite({ dataDirPrefix: 'grantbook-e2e-chunks-' });

// The scripts the page has fetched so far (Resource Timing).
const scripts = (page) =>
  page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js')));

test('a page is fetched on its first visit; one that cannot be fetched says so and loads on Try again', { timeout: 90000 }, () =>
  withOwnerPage(s.browser, s.server, 'pagechunks', '#/contacts', async (page) => {
    await page.getByRole('heading', { name: 'Welcome to Grantbook' }).waitFor();
    const start = await scripts(page);
    assert.deepEqual(start.filter((p) => /\/(Settings|Audit|Portal)-/.test(p)), [], 'only the shell and Contacts at start: ' + start.join(' '));

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const later = await scripts(page);
    assert.ok(later.some((p) => /\/assets\/Audit-[\w-]+\.js$/.test(p)), 'the Audit page came as its own script: ' + later.join(' '));

    // Settings' script cannot be fetched (a server updated meanwhile, a dropped connection).
    const blocked = /\/assets\/Settings-[\w-]+\.js$/;
    await page.route(blocked, (route) => route.abort());
    await page.getByRole('link', { name: 'Settings' }).click();
    const banner = page.getByRole('alert').filter({ hasText: 'Could not load this page' });
    await banner.waitFor();
    await page.unroute(blocked);
    await banner.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
  }),
);
