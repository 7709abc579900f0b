// Shared harness for the browser end-to-end tests (*.test.mjs in this
// directory): the real server binary on a free loopback port with a fresh
// data dir and a random owner token, plus headless Chromium.
//
//   (cd .. && go build -tags sqlite_fts5 -o /tmp/grantbook .) && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e
//
// Env: GRANTBOOK_BIN (required) the server binary; CHROMIUM_PATH (default
// /usr/bin/chromium); E2E_ARTIFACTS (default /tmp) where screenshots go.
//
// Not a test file: `node --test e2e/` runs only the files that match its test
// name patterns (*.test.mjs here), and this one does not.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const BIN = process.env.GRANTBOOK_BIN;
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = process.env.E2E_ARTIFACTS || '/tmp';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A loopback TCP port that was free a moment ago. */
export function freePort() {
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

/** Throws a helpful error when the server binary or Chromium is missing. */
export function checkEnv() {
  if (!BIN) {
    throw new Error(
      'GRANTBOOK_BIN is not set. Build the server first and point the test at it, e.g.\n' +
        '  (cd .. && go build -tags sqlite_fts5 -o /tmp/grantbook .) && GRANTBOOK_BIN=/tmp/grantbook npm run test:e2e',
    );
  }
  if (!fs.existsSync(BIN)) throw new Error(`GRANTBOOK_BIN=${BIN} does not exist`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`);
}

/**
 * Checks the environment (checkEnv), then starts `grantbook serve` on a free
 * port with a fresh data dir and a random GRANTBOOK_TOKEN, and waits until
 * GET /api/health answers. `env` is added to the server's environment;
 * `dataDirPrefix` names the temporary data dir. With `storedToken` the
 * server uses the token it keeps in the data dir (read from its printed
 * URL); `dataDir` reuses a folder (a restart) and `args` go to serve.
 *
 * Returns { base, token, api, stop, dataDir, log }: `api(method, path, body)`
 * calls the API as the owner and returns the parsed JSON (throwing on a non-2xx
 * answer); `stop()` stops the server and removes the data dir; `log` is the
 * server's output so far. If the server does not come up, it is stopped and
 * its data dir removed before the error is thrown.
 */
export async function startServer({ env = {}, dataDirPrefix = 'grantbook-e2e-', storedToken = false, dataDir: reuse, args = [] } = {}) {
  checkEnv();

  // An empty GRANTBOOK_TOKEN counts as unset.
  let token = storedToken ? '' : randomBytes(16).toString('hex');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = reuse || fs.mkdtempSync(path.join(os.tmpdir(), dataDirPrefix));
  let log = '';
  const proc = spawn(BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, ...args], {
    env: { ...process.env, GRANTBOOK_TOKEN: token, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  proc.on('error', (e) => (log += `\nspawn error: ${e.message}\n`));

  async function api(method, p, body) {
    const res = await fetch(base + p, {
      method,
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
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
      if (proc.exitCode !== null) {
        throw new Error(`grantbook exited early with code ${proc.exitCode}\n--- server output ---\n${log}`);
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
    throw new Error(`grantbook did not answer GET /api/health within ${timeoutMs} ms (${last})\n--- server output ---\n${log}`);
  }

  function stopProcess() {
    // pid is undefined when the spawn itself failed: there is nothing to stop.
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(killTimer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }

  async function stop({ keepData = false } = {}) {
    try {
      await stopProcess();
    } finally {
      if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  try {
    await waitForHealth();
    if (storedToken) token = await printedToken(() => log);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    base,
    get token() {
      return token;
    },
    setToken(t) {
      token = t;
    },
    api,
    stop,
    dataDir,
    get log() {
      return log;
    },
  };
}

/** The token in the URL serve printed; its output may trail its answers. */
async function printedToken(log, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = /serving on \S+\/#token=(\S+)/.exec(log());
    if (m) return m[1];
    if (Date.now() > end) throw new Error(`grantbook printed no URL with a token\n--- server output ---\n${log()}`);
    await sleep(20);
  }
}

/**
 * The desktop window's own handler (web.Window: the real passphrase gate)
 * on a loopback port, through tests/windowserve (built here with Go, which
 * must be on PATH). A fresh data dir gets `account` and the owner
 * `passphrase` first. Returns { base, stop }.
 */
export async function startWindowServer({ passphrase, account }) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'grantbook-window-e2e-'));
  const bin = path.join(dataDir, 'windowserve');
  await new Promise((resolve, reject) =>
    execFile('go', ['build', '-tags', 'sqlite_fts5', '-o', bin, './tests/windowserve'], { cwd: root }, (err, _out, stderr) => (err ? reject(new Error(`go build ./tests/windowserve: ${stderr || err}`)) : resolve())),
  );
  const proc = spawn(bin, ['-data-dir', path.join(dataDir, 'data'), '-passphrase', passphrase, '-account', account], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`windowserve did not start within 120 s\n${log}`)), 120000);
    proc.stderr.on('data', (d) => (log += d));
    proc.stdout.on('data', (d) => {
      log += d;
      const m = /windowserve: (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`windowserve exited with ${code}\n${log}`)));
  });
  return {
    base,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------
// SMTP sink: just enough of RFC 5321 for Go's client (no AUTH, no TLS).

export function startSmtpSink() {
  const messages = [];
  const sockets = new Set();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    let inData = false;
    let data = [];
    let env = { from: '', to: [] };
    const reply = (line) => socket.write(line + '\r\n');
    reply('220 sink.test ESMTP e2e sink');
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push({ from: env.from, to: env.to, raw: data.join('\r\n'), at: Date.now() });
            env = { from: '', to: [] };
            data = [];
            reply('250 2.0.0 queued');
          } else {
            data.push(line.startsWith('.') ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        const arg = line.slice(4).trim();
        switch (verb) {
          case 'EHLO':
            reply('250-sink.test greets you');
            reply('250-8BITMIME');
            reply('250 SIZE 10485760');
            break;
          case 'HELO':
            reply('250 sink.test');
            break;
          case 'MAIL':
            env = { from: (/<([^>]*)>/.exec(arg) || [])[1] || '', to: [] };
            reply('250 2.1.0 ok');
            break;
          case 'RCPT':
            env.to.push(((/<([^>]*)>/.exec(arg) || [])[1] || '').toLowerCase());
            reply('250 2.1.5 ok');
            break;
          case 'DATA':
            inData = true;
            data = [];
            reply('354 end with <CRLF>.<CRLF>');
            break;
          case 'RSET':
            env = { from: '', to: [] };
            reply('250 2.0.0 ok');
            break;
          case 'NOOP':
            reply('250 2.0.0 ok');
            break;
          case 'QUIT':
            reply('221 2.0.0 bye');
            socket.end();
            break;
          default:
            reply('502 5.5.2 command not implemented');
        }
      }
    });
  });
  return new Promise((resolve, reject) => {
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        port: srv.address().port,
        messages,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            srv.close(() => r());
          }),
      }),
    );
  });
}

function decodeQuotedPrintable(s) {
  return s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

/** Waits for a new message to `to` (after `since` messages of `sink`) and
 * returns the 6-digit code in it; `log()` is added to a timeout error. */
export async function codeFrom(sink, to, since, log = () => '', timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const msg = sink.messages.slice(since).find((m) => m.to.includes(to.toLowerCase()));
    if (msg) {
      const split = msg.raw.indexOf('\r\n\r\n');
      const body = decodeQuotedPrintable(split >= 0 ? msg.raw.slice(split + 4) : msg.raw);
      const m = /is:\s*(\d{6})\b/.exec(body);
      if (!m) throw new Error(`no code after "is:" in the sign-in mail:\n${body}`);
      return m[1];
    }
    await sleep(100);
  }
  throw new Error(`no sign-in mail for ${to} within ${timeoutMs} ms\n--- server output ---\n${log()}`);
}

/** Asks for a portal sign-in code in the page (the first step of sign-in)
 * and returns the code that reached `sink`; the page is then on the code
 * step. */
export async function askForCode(page, base, sink, email, log) {
  await page.goto(`${base}/portal`);
  await page.getByTestId('portal-signin').waitFor();
  await page.getByLabel('Email', { exact: true }).fill(email);
  const since = sink.messages.length;
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  return codeFrom(sink, email, since, log);
}

/** Headless Chromium (CHROMIUM_PATH) with the flags every e2e test uses. */
export function launchBrowser() {
  return chromium.launch({
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
}

/** The sizes every page is checked at: a desktop and a phone. */
export const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

// Evaluated rather than added as a script tag: the pages' CSP allows no
// inline script, and stays on.
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Waits for the page's finite animations to end: a toast sliding in is
 * half transparent, and its colours are judged once it is in. */
export async function settled(page) {
  await page.evaluate(() =>
    Promise.all(document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity).map((a) => a.finished.catch(() => {}))),
  );
}

/** Runs axe-core in the page; fails on serious and critical violations. */
export async function axe(page, label) {
  await settled(page);
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const res = await window.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${label}: axe found serious or critical violations`);
  return violations;
}

/** What every screen gets: loaded, no sideways scroll, axe, a screenshot
 * (E2E_ARTIFACTS/file). */
export async function look(page, label, file) {
  await page.waitForFunction(() => !document.querySelector('.loading'));
  const fit = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(fit.scroll <= fit.inner, `${label}: the page scrolls sideways (${fit.scroll} > ${fit.inner})`);
  await axe(page, label);
  await page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true });
}

/** Signs in to the client area in the page with the emailed code. */
export async function portalSignIn(page, base, sink, email, log) {
  const code = await askForCode(page, base, sink, email, log);
  await page.getByLabel('6-digit code').fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Opens a client-area page from the navigation (the menu on a phone). */
export async function portalNav(page, name) {
  const menu = page.getByRole('button', { name: 'Menu' });
  await menu.or(page.getByTestId('portal-nav')).first().waitFor();
  if (await menu.isVisible()) await menu.click();
  await page.getByTestId('portal-nav').getByRole('link', { name }).click();
}

/** Signs out of the client area from its sidebar (the menu on a phone). */
export async function portalSignOut(page) {
  const menu = page.getByRole('button', { name: 'Menu' });
  await menu.or(page.getByTestId('portal-nav')).first().waitFor();
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByTestId('portal-signin').waitFor();
}

/** What a client-area test starts: the server (mail to an SMTP sink), one
 * account, the browser; `lifecycle` changes the owner's lifecycle settings. */
export async function startPortalStack(name, { lifecycle } = {}) {
  checkEnv();
  const smtp = await startSmtpSink();
  const server = await startServer({ env: { GRANTBOOK_KEYRING: 'off' }, dataDirPrefix: `grantbook-${name}-e2e-` });
  const api = server.api;
  const browser = await launchBrowser();
  await api('PUT', '/api/settings/mail', {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain', from_email: 'owner@example.test', from_name: `${name} E2E` },
  });
  if (lifecycle) await api('PUT', '/api/settings/lifecycle', { ...(await api('GET', '/api/settings/lifecycle')), ...lifecycle });
  const account = await api('POST', '/api/accounts', { name: `${name} Ltd` });
  const stop = async () => {
    try {
      await browser.close();
    } finally {
      await server.stop();
      await smtp.close();
    }
  };
  return { server, api, smtp, browser, account, stop };
}

/** Runs fn(page, context, shot) in a fresh page of the size; shot(screen)
 * is look() into <name>-<size>-<screen>.png; a failure leaves
 * <name>-<size>-failure.png. `options` go to the browser context (a
 * signed-in contact's storageState). */
export async function inSizedPage(browser, size, name, fn, options = {}) {
  const context = await browser.newContext({ ...options, viewport: { width: size.width, height: size.height } });
  const page = await context.newPage();
  const shot = (screen) => look(page, `${size.name} ${screen}`, `${name}-${size.name}-${screen}.png`);
  try {
    await fn(page, context, shot);
  } catch (e) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${size.name}-failure.png`), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

/**
 * For a test file: before its tests, a server (startServer with `opts`) and
 * a browser; after them, both stopped. Returns { server, api, browser },
 * filled in once the tests run.
 */
export function ownerSuite(opts = {}) {
  const s = { server: null, api: null, browser: null };
  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    s.server = await startServer(opts);
    s.api = s.server.api;
    s.browser = await launchBrowser();
  });
  after(async () => {
    try {
      await s.browser?.close();
    } finally {
      await s.server?.stop();
    }
  });
  return s;
}

/**
 * Runs fn(page) in a fresh browser context signed in as the owner of `srv`
 * at `route` (with `account` as the current one). Errors the page throws
 * fail the test; a failure leaves `<name>-failure.png` in ARTIFACTS.
 */
export async function withOwnerPage(browser, srv, name, route, fn, { viewport = { width: 1280, height: 800 }, account, timezoneId } = {}) {
  const context = await browser.newContext({ viewport, timezoneId, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${srv.base}/#token=${srv.token}`);
    await page.waitForFunction(() => !location.hash.includes('token='));
    if (account) {
      await page.evaluate((id) => localStorage.setItem('grantbook.account', String(id)), account);
      await page.reload();
    }
    await page.evaluate((r) => (location.hash = r), route);
    await fn(page);
    assert.deepEqual(errors, [], 'the page threw errors');
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-failure.png`), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}
