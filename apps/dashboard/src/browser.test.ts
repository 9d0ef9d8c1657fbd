// The dashboard in a real browser: Debian's Chromium driven by playwright-core (no browser is
// downloaded), against the server on a free loopback port, over a database written by a real tiny
// sweep (testing/browser-db.ts). Every view renders without a console error; the table sorts, filters
// (by module too), pages and updates live; the host column shows where each run trained; two selected
// runs give two curves; the placements view shows the baseline and Δ as the store computes them, and the
// model map per module; stored HTML stays text.
import fs from 'node:fs';
import os from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@acmix-lab/store';
import { startDashboard, type RunningDashboard } from './start.js';
import { SCALES_SWEEP, SWEEP, writeBrowserDatabase, type BrowserDatabase } from './testing/browser-db.js';
import { launchChromium, viewRendered, VIEWPORT } from './testing/chromium.js';
import { XSS_NAME, XSS_SWEEP } from './testing/fixture-db.js';
import type { Placements, Run } from './web/api.js';
import { signed, signedCount } from './web/format.js';
import { COLUMNS } from './web/runs-columns.js';


let fixture: BrowserDatabase;
let dashboard: RunningDashboard;
let browser: Browser;
const open: { page: Page; errors: string[]; dialogs: string[] }[] = [];

beforeAll(async () => {
  fixture = await writeBrowserDatabase();
  dashboard = await startDashboard({ db: fixture.dbFile, pollMs: 100 });
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  if (fixture) fs.rmSync(fixture.root, { recursive: true, force: true });
});

afterEach(async () => {
  for (const { page, errors, dialogs } of open.splice(0)) {
    await page.close();
    expect(errors, 'console errors').toEqual([]);
    expect(dialogs, 'dialogs opened').toEqual([]);
  }
});

/** A new page at `hash`, once its view has rendered; console errors, page errors and dialogs are collected. */
async function visit(hash: string): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const watched = { page, errors: [] as string[], dialogs: [] as string[] };
  open.push(watched);
  page.on('console', (m) => { if (m.type() === 'error') watched.errors.push(m.text()); });
  page.on('pageerror', (e) => watched.errors.push(e.message));
  page.on('dialog', (d) => { watched.dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(`${dashboard.url}${hash}`);
  await viewRendered(page);
  return page;
}

/** The cells of column `key` on the table's page (the first cell of a row is its checkbox). */
const cells = (page: Page, key: string) => page.locator(`tbody tr td:nth-child(${2 + COLUMNS.findIndex((c) => c.key === key)})`);
const column = (page: Page, key: string) => cells(page, key).allTextContents();
const getJson = async <T>(url: string): Promise<T> => (await fetch(new URL(url, dashboard.url))).json() as Promise<T>;
/** The store's Δ as the placements table prints it: Δ [95% interval]. */
const deltaText = (g: Placements['groups'][number]) => {
  const t = g.vs_baseline!.map50_95!;
  return `${signed(g.delta!.map50_95)} [${signed(t.ci_low)}, ${signed(t.ci_high)}]`;
};
const summary = (page: Page) => page.locator('.toolbar .summary').textContent();

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: file.suggestedFilename(), bytes: fs.readFileSync((await file.path())!) };
}


describe('runs', () => {
  it('sorts, filters (by placement, module and params), pages, exports CSV and updates while a sweep writes', async () => {
    const runs = await getJson<Run[]>('/api/runs');
    expect(runs.length).toBeGreaterThan(50);
    const page = await visit('#/runs');
    expect(await page.locator('tbody tr').count()).toBe(50);
    expect(await summary(page)).toMatch(new RegExp(`^1–50 of ${runs.length} runs \\(${runs.length} in all\\)`));

    const firstRun = async () => {
      const id = Number(await page.locator('tbody tr').first().getAttribute('data-run'));
      return runs.find((r) => r.id === id)!;
    };
    const mapHeader = page.locator('th[data-column="map50_95"]');
    await mapHeader.click();
    expect((await firstRun()).map50_95).toBe(Math.min(...runs.flatMap((r) => r.map50_95 ?? [])));
    await mapHeader.click(); // descending
    expect((await firstRun()).map50_95).toBe(Math.max(...runs.flatMap((r) => r.map50_95 ?? [])));
    expect(await mapHeader.getAttribute('aria-sort')).toBe('descending');

    const shownIds = () => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run'))).sort((a, b) => a - b));
    const idsOf = (keep: (r: Run) => boolean) => runs.filter(keep).map((r) => r.id).sort((a, b) => a - b);
    const atP5 = (r: Run) => r.positions?.includes('P5') === true;
    await page.fill('input[data-filter="positions"]', 'P5');
    expect(await shownIds()).toEqual(idsOf(atP5));
    expect((await column(page, 'positions')).every((p) => p.includes('P5'))).toBe(true);
    await page.fill('input[data-filter="module"]', '=SE');
    expect(await shownIds()).toEqual(idsOf((r) => atP5(r) && r.module === 'SE'));
    expect(await column(page, 'module')).toEqual(['SE', 'SE']);
    await page.fill('input[data-filter="module"]', '');
    // ACmix costs more parameters than SE at P5: above SE's count, only the ACmix runs.
    const se = Math.max(...runs.filter((r) => atP5(r) && r.module === 'SE').map((r) => r.params!));
    await page.fill('input[data-filter="params"]', `>${se}`);
    const acmix = idsOf((r) => atP5(r) && r.params! > se);
    expect(await shownIds()).toEqual(acmix);
    expect(acmix.map((id) => runs.find((r) => r.id === id)!.module)).toEqual(['ACmix', 'ACmix']);

    const csv = await download(page, () => page.click('button:text("CSV")'));
    expect(csv.name).toBe('runs.csv');
    const lines = csv.bytes.toString().trim().split('\r\n');
    expect(lines[0]!.startsWith('id,sweep,name,positions,module,grid,scale,seed,status')).toBe(true);
    expect(lines.length).toBe(1 + acmix.length);

    await page.fill('input[data-filter="positions"]', '');
    await page.fill('input[data-filter="params"]', '');
    await page.click('button:text("next ›")');
    expect(await summary(page)).toMatch(new RegExp(`^51–${runs.length} of ${runs.length} runs`));

    const writer = openStore(fixture.dbFile);
    writer.addRuns(writer.getSweep(SWEEP)!.id, [{ key: 'live', name: 'tiny-t+SE@P3', positions: ['P3'], module: 'SE', scale: 't', seed: 7, model_yaml: '', config: {}, epoch_budget: 2 }]);
    writer.close();
    await expect.poll(() => summary(page), { timeout: 15_000 }).toMatch(new RegExp(`of ${runs.length + 1} runs`));
  });

  it('shows the host each run trained on, as text, and nothing for an imported run', async () => {
    const runs = await getJson<Run[]>('/api/runs');
    const trained = runs.filter((r) => r.sweep === SWEEP && r.status === 'completed');
    expect(trained.length).toBe(Object.keys(fixture.runs).length + 1); // its runs and the reproduction, trained by worker processes here
    const page = await visit('#/runs');
    await page.fill('input[data-filter="sweep"]', `=${SWEEP}`);
    await page.fill('input[data-filter="status"]', '=completed');
    expect((await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run'))))).sort((a, b) => a - b))
      .toEqual(trained.map((r) => r.id).sort((a, b) => a - b));
    expect(await column(page, 'host')).toEqual(trained.map(() => os.hostname()));
    expect(await cells(page, 'host').evaluateAll((tds) => tds.map((td) => td.children.length))).toEqual(trained.map(() => 0)); // text, no markup

    await page.fill('input[data-filter="sweep"]', '');
    await page.fill('input[data-filter="status"]', '');
    await page.fill('input[data-filter="id"]', `=${fixture.xss}`);
    expect(runs.find((r) => r.id === fixture.xss)!.host).toBeNull(); // imported from an Ultralytics run folder: no host
    expect(await column(page, 'id')).toEqual([String(fixture.xss)]);
    expect(await column(page, 'host')).toEqual(['']);
    await page.fill('input[data-filter="id"]', '');
    await page.fill('input[data-filter="host"]', `=${os.hostname()}`);
    expect(await page.locator('tbody tr').count()).toBe(runs.filter((r) => r.host === os.hostname()).length);
  });
});

describe('curves', () => {
  it('overlays the two selected runs, groups seeds with a band, zooms and exports PNG', async () => {
    const pick = (name: string, seed: number) => fixture.runs[`${name}/${seed}`]!;
    const page = await visit('#/runs');
    for (const id of [pick('tiny-t', 0), pick('tiny-t+ACmix@P5', 0)]) await page.check(`tr[data-run="${id}"] input[type=checkbox]`);
    await page.click('a:text("curves of the selected runs")');
    const canvas = page.locator('section.curves canvas');
    await expect.poll(() => canvas.getAttribute('data-curves')).toBe('2');
    const label = (await canvas.getAttribute('aria-label'))!;
    expect(label).toContain(`#${pick('tiny-t', 0)} tiny-t seed 0`);
    expect(label).toContain(`#${pick('tiny-t+ACmix@P5', 0)} tiny-t+ACmix@P5 seed 0`);

    await page.selectOption('select[aria-label="results.csv column"]', 'train_box_loss'); // a column that moves in 2 epochs
    await expect.poll(() => canvas.getAttribute('aria-label')).toMatch(/^train\/box_loss by epoch/);
    const before = await canvas.screenshot();
    await canvas.hover();
    await page.mouse.wheel(0, -400);
    await expect.poll(async () => (await canvas.screenshot()).equals(before)).toBe(false);
    const png = await download(page, () => page.click('section.curves button.png'));
    expect(png.name).toBe('curves-train_box_loss.png');
    expect(png.bytes.subarray(1, 4).toString()).toBe('PNG');

    await page.goto(`${dashboard.url}#/runs`);
    await viewRendered(page);
    for (const name of ['tiny-t', 'tiny-t+ACmix@P5']) await page.check(`tr[data-run="${pick(name, 1)}"] input[type=checkbox]`);
    await page.goto(`${dashboard.url}#/curves`);
    await viewRendered(page);
    await page.check('section.curves input[type=checkbox]');
    await expect.poll(() => page.locator('section.curves canvas').getAttribute('aria-label')).toMatch(/2 curves: tiny-t \(mean of 2 seeds\); tiny-t\+ACmix@P5 \(mean of 2 seeds\)/);
  });
});

describe('placements', () => {
  it('shows the baseline, each Δ with its 95% interval, and the model map of the module chosen', async () => {
    const data = await getJson<Placements>(`/api/sweeps/${SWEEP}/placements`);
    expect([data.scales, data.modules, data.module]).toEqual([['t'], ['ACmix', 'SE'], 'ACmix']);
    const page = await visit(`#/placements/${SWEEP}`);
    expect(await page.locator('tr.baseline td').first().textContent()).toBe('tiny-t');
    expect(await page.locator('tr.baseline td.delta').textContent()).toBe('baseline');
    const variants = data.groups.filter((g) => !g.is_baseline);
    expect(variants.map((g) => [g.name, g.n])).toEqual([['tiny-t+ACmix@P5', 2], ['tiny-t+SE@P5', 2]]);
    const rows = page.locator('table.groups tbody tr:not(.baseline)');
    expect(await rows.locator('td:first-child').allTextContents()).toEqual(variants.map((g) => g.name));
    expect(await rows.locator('td.delta').allTextContents()).toEqual(variants.map(deltaText));
    expect(await page.locator('section.placements canvas').getAttribute('aria-label')).toContain('tiny-t (baseline)');

    // P5 is coloured by ACmix's mean Δ there; P3, a candidate no variant uses, stays white.
    const mapText = () => page.locator('svg.model-map').textContent();
    expect(await page.locator('svg.model-map circle[data-position="P5"]').getAttribute('fill')).not.toBe('#ffffff');
    expect(await page.locator('svg.model-map circle[data-position="P3"]').getAttribute('fill')).toBe('#ffffff');
    const costOf = (module: string) => `${signedCount(data.model_map!.positions.P5!.costs[module]!.params_delta)} params`;
    expect(costOf('ACmix')).not.toBe(costOf('SE'));
    expect(await mapText()).toContain(`P5 after · Δ ${signed(data.position_effects.P5!.mean_delta!.map50_95)} (1 variant) · ${costOf('ACmix')}`);
    await page.selectOption('select[aria-label="module"]', 'SE');
    const se = await getJson<Placements>(`/api/sweeps/${SWEEP}/placements?module=SE`);
    await expect.poll(mapText).toContain(`P5 after · Δ ${signed(se.position_effects.P5!.mean_delta!.map50_95)} (1 variant) · ${costOf('SE')}`);
    expect(await mapText()).toContain(' · SE · ');
    const map = await download(page, () => page.click('h2 button.png'));
    expect(map.name).toBe(`model-map-${SWEEP}-SE.png`);
    expect(map.bytes.subarray(1, 4).toString()).toBe('PNG');
  });

  it('shows one scale at a time, chosen in the view: its variants and its model map', async () => {
    const page = await visit(`#/placements/${SCALES_SWEEP}`);
    const mapText = () => page.locator('svg.model-map').textContent();
    expect(await page.locator('select[aria-label="scale"] option').allTextContents()).toEqual(['scale t', 'scale u']);
    expect(await page.locator('select[aria-label="module"]').count()).toBe(0); // one module: nothing to choose
    expect(await page.locator('tr.baseline td').first().textContent()).toBe('tiny-t');
    expect(await mapText()).toMatch(/^tiny\.yaml · scale t · ACmix/); // the file's name, not the path it was stored with
    expect(await mapText()).not.toContain('128 ch');
    await page.selectOption('select[aria-label="scale"]', 'u');
    await expect.poll(() => page.locator('table.groups tbody td:first-child').allTextContents()).toEqual(['tiny-u']);
    expect(await mapText()).toMatch(/^tiny\.yaml · scale u · ACmix/);
    expect(await mapText()).toContain('128 ch'); // twice t's width at P5
  });
});

describe('parallel coordinates and the run page', () => {
  it('draws the parallel coordinates of a sweep, with the module as an axis', async () => {
    const runs = (await getJson<Run[]>(`/api/runs?sweep=${SWEEP}`)).filter((r) => r.map50_95 !== null);
    const page = await visit(`#/parallel/${SWEEP}`);
    expect(await page.locator('section.parallel canvas').getAttribute('aria-label'))
      .toBe(`parallel coordinates of ${runs.length} runs over +P5, module, scale, params (M), GFLOPs, mAP50, mAP50-95`);
  });

  it('shows a reproduction identical to its original, the diff against another run, and the artifacts of a run', async () => {
    const original = fixture.runs['tiny-t/0']!;
    const page = await visit(`#/run/${fixture.reproduction}`);
    expect(await page.locator('.original h3 a').getAttribute('href')).toBe(`#/run/${original}`);
    expect(await page.locator('table.comparison tbody tr').count()).toBe(13);
    expect(await page.locator('table.comparison tr.differs').count()).toBe(0); // same backend, deterministic ops
    expect(await page.locator('code.command').textContent()).toBe(`acmix-lab reproduce ${fixture.reproduction} --db ${fixture.dbFile}`);
    await expect.poll(() => page.locator('.diff-result p.note').textContent()).toBe(`Runs #${fixture.reproduction} and #${original} have the same description, config and model yaml.`);
    await page.fill('input[aria-label="run id to diff against"]', String(fixture.runs['tiny-t+SE@P5/0']));
    await page.click('.run form button:text("diff")');
    await expect.poll(() => page.locator('.diff-result table.diff th').allTextContents()).toEqual(expect.arrayContaining(['name', 'positions', 'module']));
    expect(await page.locator('pre.yaml-diff span.added').allTextContents()).toContainEqual(expect.stringMatching(/\[-1, 1, SE, \[\]\]/));

    await page.goto(`${dashboard.url}#/run/${original}`);
    await viewRendered(page);
    await expect.poll(() => page.locator('img.artifact-image').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    const files = await page.locator('.artifact li a').allTextContents();
    expect(files.filter((f) => f.startsWith('weights/best/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.startsWith('weights/last/')).length).toBeGreaterThan(0);
    expect(await page.locator('pre.yaml').first().textContent()).toContain('Detect');
  });
});

describe('stored strings are text', () => {
  it('shows a run named <img src=x onerror=alert(1)> as text in every view, and no dialog opens', async () => {
    const page = await visit('#/runs');
    await page.fill('input[data-filter="sweep"]', '<script>');
    expect(await column(page, 'name')).toEqual([XSS_NAME]);
    await page.check(`tr[data-run="${fixture.xss}"] input[type=checkbox]`);
    const views: [string, string][] = [['#/curves', XSS_NAME], [`#/run/${fixture.xss}`, XSS_NAME], [`#/placements/${encodeURIComponent(XSS_SWEEP)}`, XSS_NAME],
      [`#/parallel/${encodeURIComponent(XSS_SWEEP)}`, XSS_SWEEP]];
    for (const [hash, stored] of views) {
      await page.goto(`${dashboard.url}${hash}`);
      await viewRendered(page);
      // As text or, on a canvas, in its description.
      const shown = await page.locator('main').evaluate((main) => [main.textContent, ...[...main.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label'))].join(' '));
      expect(shown, hash).toContain(stored);
      expect(await page.locator('img[src="x"], script:not([src])').count(), hash).toBe(0);
    }
    expect(await page.locator('main').textContent()).toContain(XSS_SWEEP);
  });
});
