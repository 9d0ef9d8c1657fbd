// chart.js 4 with the parts the views use, its maintained plugins (zoom, error bars, parallel
// coordinates), and PNG export of any chart or of the model map's SVG.
import {
  BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, registry, Tooltip,
  type Plugin,
} from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import { BarWithErrorBar, BarWithErrorBarsController } from 'chartjs-chart-error-bars';
import { LinearAxis, LineSegment, ParallelCoordinatesController, PCPScale } from 'chartjs-chart-pcp';
import { download, h } from './dom.js';

/** Exported PNGs get a white background instead of transparent pixels. */
const whiteBackground: Plugin = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

Chart.register(
  LineController, LineElement, PointElement, BarElement, LinearScale, CategoryScale, Filler, Legend, Tooltip,
  BarWithErrorBarsController, BarWithErrorBar, ParallelCoordinatesController, PCPScale, LineSegment, zoomPlugin, whiteBackground,
);
// The pcp axes are elements that are scales: Chart.register would file LinearAxis under scales, so it
// is added as chartjs-chart-pcp's own ParallelCoordinatesChart adds it (patchController).
registry.addElements(LinearAxis);
Chart.defaults.animation = false; // redraws on every live update; also makes screenshots deterministic
Chart.defaults.font.family = 'system-ui, sans-serif';

export { Chart };

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
export const colour = (i: number) => PALETTE[i % PALETTE.length]!;
export const BASELINE_COLOUR = '#7f7f7f';

/** `#rrggbb` at opacity a. */
export function translucent(hex: string, a: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function slug(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'chart';
}

const canvasPng = (canvas: HTMLCanvasElement) => new Promise<Blob | null>((resolve) => canvas.toBlob(resolve));

/** An SVG drawing rasterised at twice its size on white. */
function svgPng(drawing: SVGSVGElement): Promise<Blob | null> {
  const { width, height } = drawing.viewBox.baseVal;
  const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(drawing)], { type: 'image/svg+xml' }));
  const image = new Image();
  return new Promise((resolve) => {
    image.onload = () => {
      const canvas = h('canvas', { attrs: { width: width * 2, height: height * 2 } });
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      resolve(canvasPng(canvas));
    };
    image.src = url;
  });
}

function saveButton(title: string, name: () => string, png: () => Promise<Blob | null> | undefined): HTMLButtonElement {
  const save = async () => {
    const blob = await png();
    if (blob) download(blob, `${slug(name())}.png`);
  };
  return h('button', { class: 'png', attrs: { type: 'button', title }, on: { click: () => void save() } }, 'PNG');
}

/** A button saving the chart as `<name>.png`. */
export function pngButton(chart: () => Chart | undefined, name: () => string): HTMLButtonElement {
  return saveButton('save this chart as PNG', name, () => {
    const c = chart();
    return c && canvasPng(c.canvas);
  });
}

/** A button saving an SVG drawing (the model map) as `<name>.png`. */
export function svgPngButton(drawing: () => SVGSVGElement | undefined, name: () => string): HTMLButtonElement {
  return saveButton('save this drawing as PNG', name, () => {
    const el = drawing();
    return el && svgPng(el);
  });
}
