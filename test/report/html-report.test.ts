// The HTML report in a real browser: headless Chromium (Debian's chromium,
// driven by playwright-core) loads the report of `quantize analyze` and of
// `quantize bench`, with the network cut off; the charts' elements are there
// and the console shows no error. A screenshot is kept beside the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const dir = makeTempDir('oq-html-');
const model = fixturePath('digits', 'model.onnx');

async function open(file: string, check: (page: import('playwright-core').Page) => Promise<void>): Promise<void> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
  // A persistent context on a new empty profile folder (playwright takes the folder here, not as --user-data-dir).
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(dir, 'profile-')), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1100, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    await check(page);
    await page.screenshot({ path: file.replace(/\.html$/, '.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(requests, [], 'self-contained: no network requests');
  } finally {
    await browser.close();
  }
}

test('the analysis report renders in Chromium: one point per unit on the per-layer chart, the table, no console errors', async () => {
  const report = join(dir, 'analysis.html');
  const r = runCli(['analyze', model, '--calibrate', fixturePath('digits', 'calib'), '--eval', fixturePath('digits', 'eval'), '--samples', '4', '--threads', '1', '--report', report, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const units = (JSON.parse(r.stdout) as { units: unknown[] }).units.length;
  await open(report, async (page) => {
    assert.equal(await page.locator('#layer-chart').count(), 1);
    assert.equal(await page.locator('#layer-chart circle.layer').count(), units);
    assert.equal(await page.locator('#layer-table tbody tr').count(), units);
    const box = await page.locator('#layer-chart').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 150, `chart drawn at ${JSON.stringify(box)}`);
    assert.match(await page.title(), /Analysis of/);
  });
  assert.ok(readFileSync(report, 'utf8').length > 1000);
});

test('the bench report renders in Chromium: the before/after table and the environment', async () => {
  const quantized = join(dir, 'digits.int8.onnx');
  const q = runCli([model, '--calibrate', fixturePath('digits', 'calib'), '-o', quantized, '--no-bench', '--no-fallback']);
  assert.equal(q.code, 0, q.stderr);
  const report = join(dir, 'bench.html');
  const r = runCli(['bench', model, quantized, '--data', fixturePath('digits', 'eval'), '--no-memory', '--providers', 'cpu', '--runs', '5', '--min-time', '100', '--report', report]);
  assert.equal(r.code, 0, r.stderr);
  await open(report, async (page) => {
    assert.ok(await page.locator('#before-after tbody tr').count() >= 4);
    assert.match(await page.locator('#before-after').innerText(), /top-1 accuracy/);
    assert.equal(await page.locator('#environment').count(), 1);
  });
});
