// A module's yaml args by name (ModuleDef.argNames), for tools that set one arg of a module whose
// other args come from elsewhere (sweep grids: `module.head: [2, 4]`). Yaml args stay positional, so
// writing them back fills the gaps before the last given arg with the module's defaults.
import type { ModuleDef } from './modules/module.js';

/** `[64, 7, 2]` for ACmix → `{c2: 64, kernel_att: 7, head: 2}` (args not given are absent). */
export function argsByName(def: ModuleDef, args: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(args.map((a, k) => [def.argNames[k] ?? `args[${k}]`, a]));
}

/**
 * Positional yaml args from named values, up to the last name given; earlier gaps take the
 * module's default (`{head: 2}` for ACmix → `[None, 7, 2]`). Throws on an unknown name or a gap
 * without a default.
 */
export function argsFromNames(def: ModuleDef, named: Readonly<Record<string, unknown>>): unknown[] {
  const unknown = Object.keys(named).filter((n) => !def.argNames.includes(n));
  if (unknown.length) throw new Error(`${def.type} has no arg ${unknown.join(', ')} (args: ${def.argNames.join(', ')})`);
  const given = def.argNames.map((n) => named[n]);
  const last = given.findLastIndex((v) => v !== undefined);
  return given.slice(0, last + 1).map((v, k) => {
    if (v !== undefined) return v;
    const fallback = def.defaults?.[k];
    if (fallback === undefined) throw new Error(`${def.type}: ${def.argNames[k]} has no default; give it too`);
    return fallback;
  });
}
