// Every training hyperparameter is a flag with Ultralytics' name (`--lr0 0.02`, `--close_mosaic 5`),
// and Ultralytics' own `key=value` form (`epochs=3 mosaic=0`) works too, so commands copied from
// Ultralytics docs carry over. Values are coerced by the type of the key's default.
import { Option, type Command } from 'commander';

export class FlagError extends Error {
  override name = 'FlagError';
}

/** The flags `--help` lists; the rest still work and are listed in docs (all of cfg/default.yaml). */
const SHOWN_IN_HELP = new Set(['epochs', 'batch', 'imgsz', 'seed', 'project', 'name', 'resume', 'workers', 'optimizer', 'lr0', 'patience']);

type Kind = 'number' | 'boolean' | 'string';

function kindOf(value: unknown): Kind {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

export function coerceFlag(flag: string, raw: string, kind: Kind): number | boolean | string {
  if (kind === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new FlagError(`${flag}: expected a number, got "${raw}"`);
    return n;
  }
  if (kind === 'boolean') {
    const v = raw.toLowerCase();
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    throw new FlagError(`${flag}: expected true or false, got "${raw}"`);
  }
  return raw;
}

/**
 * Add `--<key>` for every key of `defaults` not in `skip`. Booleans are switches with a negation
 * (`--resume`, `--no-val`); `key=false` words work as well.
 */
export function addConfigFlags(cmd: Command, defaults: Record<string, unknown>, skip: Iterable<string> = []): void {
  const skipped = new Set(skip);
  for (const [key, value] of Object.entries(defaults)) {
    if (skipped.has(key)) continue;
    const kind = kindOf(value);
    const hidden = !SHOWN_IN_HELP.has(key);
    if (kind === 'boolean') {
      cmd.addOption(new Option(`--${key}`, `default ${value}`).hideHelp(hidden));
      cmd.addOption(new Option(`--no-${key}`).hideHelp(true));
    } else {
      cmd.addOption(new Option(`--${key} <${kind === 'number' ? 'n' : 'value'}>`, `default ${JSON.stringify(value)}`).hideHelp(hidden));
    }
  }
}

/** Collect flag values and `key=value` words into a config object, typed by the defaults. */
export function collectConfig(
  opts: Record<string, unknown>, words: string[], defaults: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new FlagError(`"${word}": expected key=value (e.g. epochs=10)`);
    const key = word.slice(0, eq);
    if (!(key in defaults)) throw new FlagError(`"${word}": unknown argument "${key}"`);
    out[key] = coerceFlag(key, word.slice(eq + 1), kindOf(defaults[key]));
  }
  for (const [key, value] of Object.entries(opts)) {
    if (!(key in defaults) || value === undefined) continue;
    const kind = kindOf(defaults[key]);
    out[key] = typeof value === 'boolean' ? value : coerceFlag(`--${key}`, String(value), kind);
  }
  return out;
}
