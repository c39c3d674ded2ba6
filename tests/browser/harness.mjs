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
  const [url, p] = await consoleUrl(server, 'ecmo serve', 30000, /one-time password: (\S+)/);
  return { server, url, adminPass: p[1] };
}

/**
 * Wait until `child` (an `ecmo` process with its standard output piped) prints `console at URL`
 * (http or https)
 * and, when `also` is given, a match of it; resolves to [URL, the match of `also`]. Rejects
 * after `ms` or when the child exits first; `what` names the child in the error.
 */
export function consoleUrl(child, what, ms, also) {
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start: ` + out)), ms);
    child.stdout.on('data', (d) => {
      out += d;
      const u = out.match(/console at (https?:\/\/\S+)/);
      const p = also ? out.match(also) : [];
      if (u && p) { clearTimeout(t); resolve([u[1], p]); }
    });
    child.on('exit', (c) => reject(new Error(`${what} exited ` + c + ': ' + out)));
  });
}

/**
 * Log `user` in on `page` at the console at `url` and wait until its socket is connected;
 * resolves to the page.
 */
export async function loginOn(page, url, user, pass) {
  await page.goto(url);
  await page.fill('#login-user', user);
  await page.fill('#login-pass', pass);
  await page.click('#login-go');
  await page.waitForSelector('#app:not([hidden])');
  await connected(page);
  return page;
}

/** Waits until `page`'s console shows its live link as connected. */
export const connected = (page) => page.waitForFunction(() => document.querySelector('#conn').textContent === 'connected');

/** Answers the confirmation dialog on `page` (with `value` when it asks for one) with OK. */
export async function confirm(page, value) {
  await page.waitForSelector('#confirm:not([hidden])');
  if (value !== undefined) await page.fill('#confirm-value', String(value));
  await page.click('#confirm-ok');
}

/** Opens the console tab `name` on `page`. */
export const openTab = (page, name) => page.click(`.tab[data-tab="${name}"]`);

/**
 * In the open Users tab of `page`, adds the user `name` with `role` and the password
 * `password-<name>`, and waits until the list shows them.
 */
export async function addUser(page, name, role) {
  await page.fill('#u-name', name);
  await page.selectOption('#u-role', role);
  await page.fill('#u-pass', 'password-' + name);
  await page.click('#user-form button[type=submit]');
  await page.waitForFunction((n) => [...document.querySelectorAll('#user-list td')].some((td) => td.textContent === n), name);
}

/** What the tests choose as the first administrator's own password. */
export const ADMIN_PW = 'heparin-circuit-admin';

/**
 * The first administrator's first login on `page` (already at the console): the printed
 * password works once, so the page asks for a new one; set it to ADMIN_PW.
 */
export async function firstAdminLogin(page, oneTime, shotName) {
  await page.fill('#login-user', 'admin');
  await page.fill('#login-pass', oneTime);
  await page.click('#login-go');
  await page.waitForSelector('#pwchange:not([hidden])');
  if (shotName) await shot(page, shotName);
  await page.fill('#pw-new', ADMIN_PW);
  await page.fill('#pw-again', ADMIN_PW);
  await page.click('#pw-go');
  await page.waitForSelector('#app:not([hidden])');
}

/**
 * Debian's Chromium, headless. playwright-core gives it a fresh temporary --user-data-dir of
 * its own (it refuses one in args); the flags keep Chromium from reaching out anywhere.
 */
export function launchChromium(extraArgs = [], opts = {}) {
  return chromium.launch({
    ...opts,
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

/**
 * Start `ecmo serve` on a given address against an existing database (no first-run password is
 * printed then). Resolves to { server, url } once it listens.
 */
export function restartServe(db, addr, extra = []) {
  const server = spawn(BIN, ['serve', '--addr', addr, '--db', db, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  return consoleUrl(server, 'ecmo serve', 30000).then(([url]) => ({ server, url }));
}

/**
 * What a person hears: every Web Audio oscillator the page starts, with the context's state and
 * clock at that moment, and every gain level it schedules. Installed before the page's own
 * script (page.addInitScript), so the page cannot tell it from the browser's own AudioContext.
 * Read back as window.__audioProbe: { contexts, starts: [{wall, when, now, state, freq}], gains }.
 */
export function audioProbe() {
  const rec = { contexts: [], starts: [], gains: [] };
  window.__audioProbe = rec;
  const AC = window.AudioContext;
  if (!AC) return;
  window.AudioContext = class extends AC {
    constructor(...a) {
      super(...a);
      rec.contexts.push(this);
      // Chromium's autoplay policy, which headless Chromium does not apply to Web Audio: a
      // context made before any gesture on the page starts suspended and resumes only within
      // a user gesture (navigator.userActivation, Chromium's own record of one).
      if (window.__autoplayPolicy) {
        super.suspend();
        const resume = super.resume.bind(this);
        this.resume = () => (navigator.userActivation.isActive ? resume() : Promise.reject(new Error('no user gesture')));
      }
    }
    createOscillator() {
      const o = super.createOscillator();
      const ctx = this;
      const start = o.start.bind(o);
      o.start = (when) => {
        rec.starts.push({ wall: Date.now(), when: when || 0, now: ctx.currentTime, state: ctx.state, freq: o.frequency.value });
        return start(when);
      };
      return o;
    }
    createGain() {
      const g = super.createGain();
      const ramp = g.gain.linearRampToValueAtTime.bind(g.gain);
      g.gain.linearRampToValueAtTime = (v, t) => { rec.gains.push(v); return ramp(v, t); };
      return g;
    }
  };
}

/** Make the page's audio contexts obey Chromium's autoplay policy (see audioProbe). */
export function autoplayPolicy() { window.__autoplayPolicy = true; }

/** Tones started since `since` (ms, Date.now()) on a running context, to be heard now or later. */
export async function tonesSince(page, since) {
  return page.evaluate((t) => {
    const p = window.__audioProbe;
    return p.starts.filter((s) => s.wall >= t && s.state === 'running' && s.when >= s.now - 0.01);
  }, since);
}

/** The server's view (GET /api/state) and what the page shows, read together in the page. */
export async function apiState(page) {
  return page.evaluate(async () => (await (await fetch('/api/state')).json()));
}

/** Poll `fn` (evaluated in the page, may be async) until it returns a truthy value. */
export async function until(page, fn, arg, timeout = 10000) {
  const t0 = Date.now();
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    if (Date.now() - t0 > timeout) throw new Error('until: timed out: ' + fn.toString().slice(0, 120));
    await new Promise((r) => setTimeout(r, 100));
  }
}
