// The model map: the base model's layers as a column (backbone, neck, head) with channels, strides
// and parameters, each candidate position marked beside its layer and coloured by the mean effect of
// one module there across the variants that include it (positionEffects in the store), its cost alongside. Drawn as
// SVG with inline styles, so the PNG export looks like the page.
import type { ModelMap, PositionEffect } from '@acmix-lab/store';
import { svg } from './dom.js';
import { count, fileName, signed, signedCount } from './format.js';

const ROW = 20;
/** Room above each section for its name. */
const SECTION_HEAD = 24;
const BOX = { x: 100, width: 330 };
const POSITION_WIDTH = 420;
const FONT = { 'font-family': 'system-ui, sans-serif', 'font-size': 12 };

/** Red for worse, grey for no change, green for better; `scale` is the |Δ| drawn at full colour. */
function effectColour(delta: number | null, scale: number): string {
  if (delta === null) return '#ffffff';
  const t = Math.max(-1, Math.min(1, delta / scale));
  const [from, to] = t < 0 ? [[187, 187, 187], [214, 39, 40]] : [[187, 187, 187], [44, 160, 44]];
  const mix = from.map((c, i) => Math.round(c + (to[i]! - c) * Math.abs(t)));
  return `rgb(${mix.join(', ')})`;
}

function text(x: number, y: number, content: string, attrs: Record<string, string | number> = {}): SVGTextElement {
  return svg('text', { x, y, ...FONT, fill: '#222', 'dominant-baseline': 'middle', ...attrs }, content);
}

/** The map with `module`'s costs and effects (the sweep's module list may hold several). */
export function drawModelMap(map: ModelMap, effects: Record<string, PositionEffect>, module: string | null): SVGSVGElement {
  const deltas = Object.keys(map.positions).map((p) => effects[p]?.mean_delta?.map50_95 ?? null);
  const scale = Math.max(0.005, ...deltas.map((d) => Math.abs(d ?? 0)));
  const byLayer = new Map<number, string[]>();
  for (const [name, p] of Object.entries(map.positions)) byLayer.set(p.layer, [...(byLayer.get(p.layer) ?? []), name]);

  const parts: SVGElement[] = [text(8, 14, `${fileName(map.model)} · scale ${map.scale}${module ? ` · ${module}` : ''} · GFLOPs at ${map.imgsz}`, { 'font-weight': 600 })];
  let y = 24;
  let section = '';
  for (const layer of map.layers) {
    if (layer.section !== section) {
      section = layer.section;
      y += SECTION_HEAD;
      parts.push(text(BOX.x, y - 9, section, { 'font-weight': 600, fill: '#555' }));
    }
    const from = Array.isArray(layer.from) || layer.from !== -1 ? ` ← ${JSON.stringify(layer.from)}` : '';
    parts.push(svg('rect', { x: BOX.x, y: y + 1, width: BOX.width, height: ROW - 2, rx: 3, fill: '#f4f6f8', stroke: '#c5ccd3' }));
    parts.push(text(BOX.x + 6, y + ROW / 2, `${layer.index}`, { fill: '#666' }));
    parts.push(text(BOX.x + 30, y + ROW / 2, `${layer.module}${from}`));
    parts.push(text(BOX.x + BOX.width - 6, y + ROW / 2, `${layer.c2} ch · /${layer.stride} · ${count(layer.params)}`, { 'text-anchor': 'end', fill: '#444' }));
    const names = layer.names.filter((n) => !/^(backbone|head)\.\d+$/.test(n));
    if (names.length) parts.push(text(BOX.x - 6, y + ROW / 2, names.join(' '), { 'text-anchor': 'end', 'font-size': 10, fill: '#666' }));
    (byLayer.get(layer.index) ?? []).forEach((name, k) => {
      const p = map.positions[name]!;
      const effect = effects[name];
      const delta = effect?.mean_delta?.map50_95 ?? null;
      const cx = BOX.x + BOX.width + 24 + k * POSITION_WIDTH;
      // `after` sits on the boundary below its layer: the new layer comes between it and the next.
      const cy = p.kind === 'after' ? y + ROW : y + ROW / 2;
      parts.push(svg('line', { x1: BOX.x + BOX.width, y1: cy, x2: cx - 8, y2: cy, stroke: '#888', 'stroke-dasharray': '3 2' }));
      parts.push(svg('circle', { cx, cy, r: 7, fill: effectColour(delta, scale), stroke: '#333', 'data-position': name },
        svg('title', {}, `${name}: mean Δ mAP50-95 ${signed(delta)} over ${effect?.variants.length ?? 0} variants`)));
      const effectText = delta === null ? 'no comparison yet' : `Δ ${signed(delta)} (${effect!.variants.length} variant${effect!.variants.length === 1 ? '' : 's'})`;
      const cost = module === null ? undefined : p.costs[module];
      const costText = cost ? `${signedCount(cost.params_delta)} params, ${signed(cost.gflops_delta, 2)} GFLOPs` : 'cost not measured';
      parts.push(text(cx + 12, cy, `${name} ${p.kind} · ${effectText} · ${costText}`, { 'font-size': 11 }));
    });
    y += ROW;
  }

  y += 28; // the colour legend: −scale … 0 … +scale
  const legend = svg('linearGradient', { id: 'effect-scale' },
    ...[-1, 0, 1].map((t) => svg('stop', { offset: `${(t + 1) * 50}%`, 'stop-color': effectColour(t * scale, scale) })));
  parts.push(svg('defs', {}, legend));
  parts.push(svg('rect', { x: BOX.x, y, width: 200, height: 10, fill: 'url(#effect-scale)', stroke: '#888' }));
  parts.push(text(BOX.x, y + 22, signed(-scale, 3)), text(BOX.x + 100, y + 22, '0', { 'text-anchor': 'middle' }), text(BOX.x + 200, y + 22, signed(scale, 3), { 'text-anchor': 'end' }));
  parts.push(text(BOX.x + 220, y + 5, 'mean Δ mAP50-95 vs baseline of the variants with the position; white: none compared yet'));
  const height = y + 36;
  const width = BOX.x + BOX.width + 24 + POSITION_WIDTH * Math.max(1, ...[...byLayer.values()].map((names) => names.length));
  return svg('svg', { class: 'model-map', viewBox: `0 0 ${width} ${height}`, width, height, xmlns: 'http://www.w3.org/2000/svg', role: 'img', 'aria-label': `model map of ${fileName(map.model)}` },
    svg('rect', { x: 0, y: 0, width, height, fill: '#fff' }), ...parts);
}
