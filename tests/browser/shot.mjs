// Dev helper: log in and screenshot the console. Usage: node shot.mjs URL USER PASS OUT.png [tab]
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const [url, user, pass, out, tab] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
await page.goto(url);
await page.fill('#login-user', user);
await page.fill('#login-pass', pass);
await page.click('#login-go');
await page.waitForSelector('#app:not([hidden])');
if (tab) await page.click(`.tab[data-tab="${tab}"]`);
await page.waitForTimeout(7000);
await page.screenshot({ path: out });
await browser.close();
