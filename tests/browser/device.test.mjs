// Browser test of `ecmo serve --device`: the web console shows the link to a separate pump unit
// (`ecmo device`) and raises a high-priority alarm when the unit goes away; the console
// reconnects when it is back. Run with scripts/browser-tests.sh (ECMO_BIN: the binary under test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { firstAdminLogin } from './harness.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const BIN = process.env.ECMO_BIN || path.join(ROOT, 'target/release/ecmo');
const ART = path.join(ROOT, 'test-artifacts/browser');
fs.mkdirSync(ART, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmo-browser-device-'));

let unit, server, url, adminPass, browser, unitAddr;
const shot = (page, name) => page.screenshot({ path: path.join(ART, name) });

// Starts a child and resolves with the first match of `re` in its standard output.
function startAndMatch(args, re, what) {
  const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const found = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(what + ' did not start: ' + out)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(re);
      if (m) { clearTimeout(t); resolve(m); }
    });
    child.on('exit', (c) => reject(new Error(what + ' exited ' + c + ': ' + out)));
  });
  return { child, found };
}

async function startUnit(listen) {
  const u = startAndMatch(['device', '--listen', listen, '--start', '--status-ms', '0'],
    /listening: (tcp:\/\/\S+)/, 'ecmo device');
  unit = u.child;
  unitAddr = (await u.found)[1];
}

before(async () => {
  assert.ok(fs.existsSync(BIN), `ecmo binary not found at ${BIN}`);
  await startUnit('tcp://127.0.0.1:0');
  const s = startAndMatch(['serve', '--addr', '127.0.0.1:0', '--db', path.join(tmp, 'ecmo.db'),
    '--device', unitAddr], /console at (http:\/\/\S+)[\s\S]*one-time password: (\S+)/, 'ecmo serve');
  server = s.child;
  const m = await s.found;
  url = m[1];
  adminPass = m[2];
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  if (unit) unit.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the screen shows the unit link, alarms when it is lost, and reconnects', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(url);
  await firstAdminLogin(page, adminPass);
  const link = () => page.$eval('#unit-link', (e) => ({ text: e.textContent, hidden: e.hidden, cls: e.className }));
  await page.waitForFunction(() => document.querySelector('#unit-link').textContent === 'UNIT #1 LINKED', null, { timeout: 10000 });
  let l = await link();
  assert.equal(l.hidden, false);
  assert.match(l.cls, /\bup\b/);
  // Numbers from the unit's sensors reach the screen.
  await page.waitForFunction(() => /\d/.test(document.querySelector('#n-flow').textContent), null, { timeout: 10000 });
  await shot(page, 'device-01-linked.png');

  // The unit dies: the link shows it and the alarm bar carries the high-priority link alarm.
  const port = unitAddr.split(':').pop();
  unit.kill('SIGKILL');
  await page.waitForFunction(() => /CONNECTING|SILENT/.test(document.querySelector('#unit-link').textContent), null, { timeout: 5000 });
  l = await link();
  assert.match(l.cls, /\bdown\b/);
  await page.waitForFunction(() => /pump unit/i.test(document.querySelector('#alarmbar').textContent), null, { timeout: 5000 });
  const bar = await page.$eval('#alarmbar', (e) => e.className);
  assert.match(bar, /high/, bar);
  await shot(page, 'device-02-unit-lost.png');

  // The unit comes back on the same address: the console reconnects by itself.
  await startUnit('tcp://127.0.0.1:' + port);
  await page.waitForFunction(() => document.querySelector('#unit-link').textContent === 'UNIT #1 LINKED', null, { timeout: 5000 });
  await shot(page, 'device-03-relinked.png');
});

