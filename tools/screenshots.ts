// npm run screenshots -- --db runs/acmix-lab.db [--sweep demo] [--compare yolov8n+P3+P4+P5] [--out docs/images]
// The README's dashboard screenshots, taken from a real sweep's database (the demo's, after `npm run demo`)
// by the same Chromium driver as the dashboard's browser tests: the runs table, the curves of the baseline
// and one variant grouped over seeds, the placements view and the model map. The database is opened
// read-only, as the dashboard always does.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startDashboard } from '@acmix-lab/dashboard';
import { launchChromium, screenshotRegion, viewRendered, VIEWPORT } from '@acmix-lab/dashboard/testing/chromium';
import { repoRoot } from './bench/report.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'runs/acmix-lab.db' },
    sweep: { type: 'string', default: 'demo' },
    compare: { type: 'string', default: 'yolov8n+P3+P4+P5' },
    out: { type: 'string', default: path.join(repoRoot, 'docs/images') },
  },
});

interface RunRow { id: number; sweep: string; name: string; reproduces: number | null }

const dashboard = await startDashboard({ db: values.db });
const browser = await launchChromium();
try {
  const runs = (await (await fetch(new URL('/api/runs', dashboard.url))).json()) as RunRow[];
  const ofSweep = runs.filter((r) => r.sweep === values.sweep && r.reproduces === null);
  const baseline = ofSweep[0]?.name;
  const compared = ofSweep.filter((r) => r.name === baseline || r.name === values.compare);
  if (!ofSweep.some((r) => r.name === values.compare)) throw new Error(`${values.db}: sweep ${values.sweep} has no run named ${values.compare} (--compare)`);

  const page = await browser.newPage({ viewport: VIEWPORT });
  const shot = (name: string, from: string, to?: string, maxHeight?: number) => screenshotRegion(page, path.join(values.out, `dashboard-${name}.png`), from, to, maxHeight);
  const visit = async (hash: string) => {
    await page.goto(`${dashboard.url}${hash}`);
    await viewRendered(page);
  };

  await visit('#/runs');
  await shot('runs', 'main', 'main', 420);

  for (const run of compared) await page.check(`tr[data-run="${run.id}"] input[type=checkbox]`);
  await visit('#/curves');
  await page.check('section.curves input[type=checkbox]'); // group by variant: mean ± std over seeds
  await page.waitForSelector('section.curves canvas[aria-label*="mean of"]');
  await shot('curves', 'main');

  await visit(`#/placements/${encodeURIComponent(values.sweep)}`);
  await shot('placements', 'section.placements', 'section.placements > .table-scroll');
  await shot('model-map', 'svg.model-map');
  console.log(`${values.out}: dashboard-{runs,curves,placements,model-map}.png from sweep ${values.sweep} in ${values.db}`);
} finally {
  await browser.close();
  await dashboard.close();
}
