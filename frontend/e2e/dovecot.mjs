// A throwaway Dovecot (tests/dovecot/start.sh) for browser tests that need
// a real inbox, and an LMTP client to deliver mail into it. Needs root,
// like the mail integration test. Not a test file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './harness.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** Starts Dovecot on free ports; returns { imapPort, lmtpPort, stop }. */
export async function startDovecot() {
  if (process.getuid && process.getuid() !== 0) {
    throw new Error('this test starts a real Dovecot (tests/dovecot/start.sh), which needs root; run it as root or in CI');
  }
  const imapPort = await freePort();
  let lmtpPort = await freePort();
  while (lmtpPort === imapPort) lmtpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grantbook-e2e-dovecot-'));
  const env = { ...process.env, DOVECOT_IMAP_PORT: String(imapPort), DOVECOT_LMTP_PORT: String(lmtpPort) };
  execFileSync(path.join(ROOT, 'tests/dovecot/start.sh'), [dir], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return {
    imapPort,
    lmtpPort,
    stop() {
      try {
        execFileSync(path.join(ROOT, 'tests/dovecot/stop.sh'), [dir], { stdio: 'ignore' });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Delivers raw (a string, CRLF or LF) to rcpt by LMTP; resolves once stored. */
export function lmtpDeliver(port, from, rcpt, raw) {
  const data = raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  const steps = [`LHLO e2e.example.test`, `MAIL FROM:<${from}>`, `RCPT TO:<${rcpt}>`, 'DATA', data + '\r\n.', 'QUIT'];
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let step = -1; // -1: the greeting
    sock.setTimeout(10000, () => sock.destroy(new Error('LMTP timed out')));
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (line[3] === '-') continue; // a multi-line reply goes on
        if (!/^[23]/.test(line)) {
          sock.destroy();
          reject(new Error(`LMTP ${steps[step] || 'greeting'} → ${line}`));
          return;
        }
        step++;
        if (step < steps.length) sock.write(steps[step] + '\r\n');
        else {
          sock.end();
          resolve();
        }
      }
    });
  });
}
