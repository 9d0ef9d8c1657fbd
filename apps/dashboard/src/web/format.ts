// How numbers read in tables and tooltips; null (NaN, ±Infinity, not yet known) shows as a dash.
const DASH = '–';

export function fixed(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined ? DASH : x.toFixed(digits);
}

export function signed(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined ? DASH : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
}

/** A p-value: three decimals, or `<0.001`. */
export function pValue(p: number | null | undefined): string {
  return p === null || p === undefined ? DASH : p < 0.001 ? '<0.001' : p.toFixed(3);
}

/** 3157200 → 3.16M, as Ultralytics' summaries round parameter counts in prose. */
export function count(x: number | null | undefined): string {
  if (x === null || x === undefined) return DASH;
  const abs = Math.abs(x);
  if (abs >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return String(x);
}

/** A count's change: +17.8k, −38.3k (a parameter cost can be negative: a module replacing a wider layer). */
export function signedCount(x: number | null | undefined): string {
  return x === null || x === undefined ? DASH : `${x >= 0 ? '+' : '−'}${count(Math.abs(x))}`;
}

/** A file path's last part: `/data/experiments/models/yolov8.yaml` → `yolov8.yaml` (the run page shows the whole path). */
export function fileName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return DASH;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function gridText(grid: Record<string, unknown>): string {
  return Object.entries(grid).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}
