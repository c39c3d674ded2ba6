// The written reports as a person opens them: a bench report (`ecmo bench oxygenator`) and a
// debrief (`ecmo train` then `ecmo debrief`), loaded from disk in headless Chromium. Their inline
// SVG figures must render at their size with their data drawn, the page must fetch nothing, and
// screenshots of each go to test-artifacts/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, launchChromium, shot } from './harness.mjs';

let browser;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmo-reports-'));

function ecmo(args) {
  const r = spawnSync(BIN, args, { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `ecmo ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Open a report file; fail on any request that is not the file itself. */
async function open(file) {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  const fetched = [];
  page.on('request', (r) => { if (r.url() !== 'file://' + file) fetched.push(r.url()); });
  await page.goto('file://' + file);
  return { page, fetched };
}

/** Each SVG's rendered box, class, and the number of drawn data lines in it. */
const figures = (page) => page.$$eval('svg', (svgs) => svgs.map((s) => {
  const r = s.getBoundingClientRect();
  const lines = [...s.querySelectorAll('polyline.series')].filter((p) => p.getBBox().width > 10);
  return { cls: s.getAttribute('class'), w: r.width, h: r.height, lines: lines.length, texts: s.querySelectorAll('text').length };
}));

before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); fs.rmSync(tmp, { recursive: true, force: true }); });

test('a bench report renders its plots', async () => {
  ecmo(['bench', 'oxygenator', 'quadrox-adult', '--out', tmp, '--quiet']);
  const file = path.join(tmp, 'oxygenator_quadrox-adult', 'index.html');
  const { page, fetched } = await open(file);
  const figs = await figures(page);
  assert.ok(figs.length >= 4, `plots: ${figs.length}`);
  for (const f of figs) {
    assert.ok(f.w >= 700 && f.h >= 350, `plot size ${f.w}x${f.h}`);
    assert.ok(f.lines >= 1 && f.texts >= 10, `data and labels drawn: ${JSON.stringify(f)}`);
  }
  assert.match(await page.textContent('body'), /ΔP/);
  assert.deepEqual(fetched, [], 'self-contained');
  await shot(page, 'report-01-bench.png');
  const svgs = await page.$$('svg');
  await svgs[0].screenshot({ path: path.join(ROOT, 'test-artifacts/browser/report-02-bench-plot.png') });
});

test('a debrief renders its trends, alarm lanes and timing', async () => {
  const run = path.join(tmp, 'run');
  ecmo(['train', 'scenarios/01-hypovolaemia-suction.toml', '--out', run]);
  ecmo(['debrief', run]);
  const { page, fetched } = await open(path.join(run, 'debrief.html'));
  const figs = await figures(page);
  const plots = figs.filter((f) => f.cls === 'plot');
  assert.ok(plots.length >= 3, `trend panels: ${plots.length}`);
  for (const f of plots) assert.ok(f.w >= 880 && f.lines >= 1, JSON.stringify(f));
  for (const cls of ['alarms', 'timing']) {
    const f = figs.find((x) => x.cls === cls);
    assert.ok(f && f.h > 40 && f.texts >= 3, `${cls}: ${JSON.stringify(f)}`);
  }
  assert.deepEqual(fetched, [], 'self-contained');
  await shot(page, 'report-03-debrief.png');
  const svg = await page.$('svg.plot');
  await svg.screenshot({ path: path.join(ROOT, 'test-artifacts/browser/report-04-debrief-panel.png') });
});
