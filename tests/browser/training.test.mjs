// Browser test of a training scenario: `ecmo serve --training`, an instructor and a trainee in
// separate browsers (own cookie jars). The instructor speeds the scenario up, enters the
// trainee's bedside action, remarks and ends it; the trainee sees only the console and works it;
// the debrief is served. Run with scripts/browser-tests.sh; screenshots go to
// test-artifacts/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, shot, startServe, launchChromium, firstAdminLogin, loginOn, connected, openTab, addUser, confirm } from './harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmo-training-'));
const SCENARIO = path.join(ROOT, 'scenarios/02-drainage-kink.toml');

let server, url, adminPass, browser, instructor, trainee;

before(async () => {
  ({ server, url, adminPass } = await startServe(path.join(tmp, 'ecmo.db'), ['--training', SCENARIO]));
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
});

const newPage = async () => (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
async function loginAs(user, pass) {
  return loginOn(await newPage(), url, user, pass);
}
async function inject(page, name, value) {
  const row = `.inj[data-inject="${name}"]`;
  await page.waitForSelector(row);
  if (value !== undefined) await page.fill(`${row} input`, String(value));
  await page.click(`${row} button`);
  await confirm(page);
  await page.waitForFunction(() => /: (sent|taken)/.test(document.querySelector('#toast').textContent));
}
const scenarioTime = (page) => page.evaluate(() => (window.__ecmo.state.status || {}).t || 0);

test('instructor and trainee log in from separate browsers', async () => {
  instructor = await newPage();
  await instructor.goto(url);
  await firstAdminLogin(instructor, adminPass);
  await connected(instructor);
  await openTab(instructor, 'users');
  await addUser(instructor, 'tina', 'operator');
  trainee = await loginAs('tina', 'password-tina');
  // The trainee sees the console, not the instructor's tab.
  assert.equal(await trainee.isVisible('#tab-instructor'), false);
  await openTab(instructor, 'instructor');
  for (const n of ['scenario.start', 'scenario.pause', 'scenario.speed', 'scenario.end', 'bedside.release_drainage_kink', 'bedside.give_volume']) {
    await instructor.waitForSelector(`.inj[data-inject="${n}"]`);
  }
  await shot(instructor, 'training-01-instructor.png');
});

test('the instructor starts the scenario and speeds it up until the kink; the trainee sees the alarm', async () => {
  // Waiting for the start: the scenario's clock stands at 0, and the screen says so instead of
  // showing numbers as if live (issue 11, point 13).
  assert.equal(await scenarioTime(trainee), 0);
  await trainee.waitForSelector('#stale:has-text("SCENARIO NOT STARTED")');
  assert.match(await trainee.textContent('#banner'), /has not started/);
  assert.equal(await trainee.textContent('#n-flow'), '---');
  await shot(trainee, 'training-00-not-started.png');
  await inject(instructor, 'scenario.start');
  await trainee.waitForSelector('#stale', { state: 'hidden' });
  await trainee.waitForFunction(() => /\d/.test(document.querySelector('#n-flow').textContent));
  await inject(instructor, 'scenario.speed', 20);
  await trainee.waitForFunction(() => ((window.__ecmo.state.status || {}).t || 0) > 75, null, { timeout: 30000 });
  await inject(instructor, 'scenario.speed', 1);
  await trainee.waitForFunction(() => document.querySelector('#alarmbar').classList.contains('prio-high') || document.querySelector('#alarmbar').classList.contains('prio-medium'), null, { timeout: 20000 });
  await shot(trainee, 'training-02-trainee-alarm.png');
});

test('the trainee works the console; the instructor enters the bedside action and a remark', async () => {
  await openTab(trainee, 'controls');
  await trainee.click('.row[data-param="rpm_target"] button');
  await confirm(trainee, '3000');
  await trainee.waitForFunction(() => /taken by the control core/.test(document.querySelector('#toast').textContent));
  await inject(instructor, 'bedside.release_drainage_kink');
  await instructor.fill('#remark-text', 'Found the kink after checking the drainage pressure.');
  await instructor.click('#remark-send');
  await instructor.waitForFunction(() => /Remark recorded/.test(document.querySelector('#toast').textContent));
  const t = await scenarioTime(trainee);
  assert.ok(t > 75, `scenario time ${t}`);
  // The scenario's own events stay on the instructor's screens.
  await instructor.waitForFunction(() => window.__ecmo.state.events.some((e) => e.kind === 'scenario'));
  const leaked = await trainee.evaluate(() => window.__ecmo.state.events.filter((e) => ['scenario', 'remark', 'training_record'].includes(e.kind)).length);
  assert.equal(leaked, 0, 'trainee saw scenario events');
});

test('the instructor ends the scenario and the debrief is served', async () => {
  await inject(instructor, 'scenario.end', 1);
  const page = await instructor.context().newPage();
  let ok = false;
  for (let i = 0; i < 40 && !ok; i++) {
    const r = await page.goto(url + '/api/debrief');
    ok = r.status() === 200;
    if (!ok) await page.waitForTimeout(250);
  }
  assert.ok(ok, 'debrief page');
  assert.match(await page.textContent('h1'), /Debrief: Drainage line kink/);
  const body = await page.textContent('body');
  assert.match(body, /Found the kink after checking the drainage pressure/);
  assert.match(body, /release_drainage_kink/);
  assert.ok((await page.$$('svg.plot')).length >= 2, 'trend plots');
  await page.setViewportSize({ width: 960, height: 1400 });
  await shot(page, 'training-03-debrief.png');
});
