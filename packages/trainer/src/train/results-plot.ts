// results.png like Ultralytics' plot_results: one small chart per results.csv column (losses,
// precision, recall, mAP), so a run's health reads at a glance. chart.js draws on @napi-rs/canvas.
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import { writeFileAtomic } from '@acmix-lab/runtime';
import type { ResultsColumn, ResultsRow } from './results-csv.js';

Chart.register(...registerables);

/** Ultralytics' layout: train losses and P/R on top, val losses and mAPs below. */
const PANELS: ResultsColumn[] = [
  'train/box_loss', 'train/cls_loss', 'train/dfl_loss', 'metrics/precision(B)', 'metrics/recall(B)',
  'val/box_loss', 'val/cls_loss', 'val/dfl_loss', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)',
];
const PANEL_W = 360;
const PANEL_H = 270;

/**
 * Ultralytics overlays scipy's gaussian_filter1d(y, sigma=3) on each series: truncate 4σ,
 * mode 'reflect' (… c b a | a b c …), which keeps the curve unbiased at both ends.
 */
export function gaussianSmooth(values: number[], sigma = 3): number[] {
  const n = values.length;
  const radius = Math.round(4 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const reflect = (j: number): number => {
    while (j < 0 || j >= n) j = j < 0 ? -j - 1 : 2 * n - j - 1;
    return j;
  };
  return values.map((_, i) => kernel.reduce((acc, w, k) => acc + w * values[reflect(i + k - radius)]!, 0) / total);
}

function drawPanel(column: ResultsColumn, rows: ResultsRow[]) {
  const canvas = createCanvas(PANEL_W, PANEL_H);
  const epochs = rows.map((r) => r.epoch);
  const values = rows.map((r) => r[column]);
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      labels: epochs,
      datasets: [
        { label: 'results', data: values, borderColor: '#1f77b4', pointRadius: 2, borderWidth: 1.5 },
        { label: 'smooth', data: gaussianSmooth(values), borderColor: '#ff7f0e', pointRadius: 0, borderWidth: 1.5, borderDash: [4, 3] },
      ],
    },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      plugins: { title: { display: true, text: column }, legend: { display: column === PANELS[0], labels: { boxWidth: 12 } } },
      scales: { x: { title: { display: true, text: 'epoch' } } },
    },
  };
  const chart = new Chart(canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0], config);
  return { canvas, chart };
}

export function renderResultsPng(rows: ResultsRow[]): Buffer {
  const cols = 5;
  const canvas = createCanvas(PANEL_W * cols, PANEL_H * 2);
  const ctx: SKRSContext2D = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  PANELS.forEach((column, i) => {
    const panel = drawPanel(column, rows);
    ctx.drawImage(panel.canvas, (i % cols) * PANEL_W, Math.floor(i / cols) * PANEL_H);
    panel.chart.destroy(); // destroy clears its canvas, so only after copying
  });
  return canvas.toBuffer('image/png');
}

export function writeResultsPng(file: string, rows: ResultsRow[]): void {
  writeFileAtomic(file, renderResultsPng(rows));
}
