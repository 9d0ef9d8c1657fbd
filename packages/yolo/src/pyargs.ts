// Python-side conventions of Ultralytics yaml arguments, without eval.
// tasks.py::parse_model turns each string argument into `locals()[a]` when it names a local
// ('nc' → the class count) and otherwise tries `ast.literal_eval(a)` ('None' → None, '2' → 2),
// keeping the string when that fails ('nearest'). The summary prints arguments with Python's repr.

/** Names parse_model can resolve from its locals that make sense in a yaml. */
export interface ArgLocals {
  nc: number | null;
  depth: number;
  width: number;
  max_channels: number;
}

const PY_NUMBER = /^[+-]?(\d[\d_]*(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/;

export function evalStringArg(a: string, locals: ArgLocals): unknown {
  if (a in locals) return locals[a as keyof ArgLocals];
  const s = a.trim();
  if (s === 'None') return null;
  if (s === 'True') return true;
  if (s === 'False') return false;
  if (PY_NUMBER.test(s)) return Number(s.replaceAll('_', ''));
  const quoted = /^(['"])(.*)\1$/.exec(s);
  if (quoted) return quoted[2];
  return a; // literal_eval raises ValueError: Ultralytics keeps the string
}

/** utils/ops.py::make_divisible. */
export function makeDivisible(x: number, divisor: number): number {
  return Math.ceil(x / divisor) * divisor;
}

/** Python repr of the plain values that appear in model arguments. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'inf';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return String(v);
}
