// What every browser test file needs: the ecmo binary, the artefact folder, a running
// `ecmo serve` and a headless Chromium that reaches nothing beyond localhost.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BIN = process.env.ECMO_BIN || path.join(ROOT, 'target/release/ecmo');
export const ART = path.join(ROOT, 'test-artifacts/browser');
fs.mkdirSync(ART, { recursive: true });

/** Screenshot of `page` into the artefact folder. */
export const shot = (page, name) => page.screenshot({ path: path.join(ART, name) });

/**
 * Start `ecmo serve --addr 127.0.0.1:0 --db DB ...extra` and wait for the address and the first
 * administrator's password it prints. Resolves to { server, url, adminPass }.
 */
export async function startServe(db, extra = []) {
  assert.ok(fs.existsSync(BIN), `ecmo binary not found at ${BIN} (cargo build --release -p ecmo)`);
  const server = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', '--db', db, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('ecmo serve did not start: ' + out)), 30000);
    server.stdout.on('data', (d) => {
      out += d;
      const u = out.match(/console at (http:\/\/\S+)/);
      const p = out.match(/one-time password: (\S+)/);
      if (u && p) { clearTimeout(t); resolve({ server, url: u[1], adminPass: p[1] }); }
    });
    server.on('exit', (c) => reject(new Error('ecmo serve exited ' + c + ': ' + out)));
  });
}

/**
 * Debian's Chromium, headless. playwright-core gives it a fresh temporary --user-data-dir of
 * its own (it refuses one in args); the flags keep Chromium from reaching out anywhere.
 */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}
