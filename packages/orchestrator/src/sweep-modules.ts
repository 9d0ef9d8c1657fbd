// The modules a sweep places (`module`): one module with its yaml args, `[ACmix, []]`, or a list of
// them, `[[ACmix, []], [CBAM, [7]], [SE, []]]`, each a variant axis compared at the same positions.
// Also what refers to a module by name: a position's args per module and the grid's module axes,
// `module.<arg>` (every listed module that has the arg) or `module.<Module>.<arg>` (that one).
import { z } from 'zod';
import { configErrorAt, type ParsedYaml } from '@acmix-lab/runtime';
import { argsByName, argsFromNames, lookupModule, moduleArgsIssue, moduleNames, type ModuleDef } from '@acmix-lab/yolo';
import { yamlFlow } from './model-text.js';

type Path = (string | number)[];

const PYTHON_LITERALS: Record<string, unknown> = { None: null, True: true, False: false };

/** Module args as a model yaml writes them: `None`, `True`, `False` (what parse_model evaluates) or null, true, false. */
const fromPython = (args: unknown[]) => args.map((a) => (typeof a === 'string' && a in PYTHON_LITERALS ? PYTHON_LITERALS[a] : a));

const moduleEntry = z.tuple([z.string(), z.array(z.unknown())]);

export const moduleSchema = z.union([moduleEntry, z.array(moduleEntry).min(1)], {
  error: 'a module and its yaml args, [ACmix, []], or a list of them, [[ACmix, []], [CBAM, [7]]]',
});

export const positionArgsSchema = z.union([z.array(z.unknown()), z.record(z.string(), z.array(z.unknown()))], {
  error: 'yaml args, [1024, 7, 4, 3, 2], or args by module, {ACmix: [1024, 7, 4, 3, 2]}',
});

export interface SweepModule {
  name: string;
  def: ModuleDef;
  /** Yaml args as given (`[]` for ACmix keeps the channels). */
  args: unknown[];
}

export interface ModuleGridAxis {
  /** As written: `module.head`, `module.CBAM.kernel_size`. */
  key: string;
  target: 'module';
  /** The module arg name. */
  name: string;
  /** The modules whose arg it sets. */
  modules: string[];
  values: unknown[];
}

/** The first problem of a module's args, as an error at `argsPath` (or at its element). */
function checkArgs(parsed: ParsedYaml, def: ModuleDef, name: string, args: unknown[], argsPath: Path): void {
  const issue = moduleArgsIssue(def, args);
  if (!issue) return;
  const where = issue.index === null ? argsPath : [...argsPath, issue.index];
  const what = issue.index === null ? '' : ` (${def.argNames[issue.index] ?? '?'})`;
  throw configErrorAt(parsed, where, `${name}${what}: ${issue.message}`);
}

export function resolveModules(parsed: ParsedYaml, raw: z.infer<typeof moduleSchema>): { modules: SweepModule[]; moduleAxis: boolean } {
  const moduleAxis = Array.isArray(raw[0]);
  const entries = moduleAxis ? (raw as [string, unknown[]][]) : [raw as [string, unknown[]]];
  const at = (i: number): Path => (moduleAxis ? ['module', i] : ['module']);
  const modules = entries.map(([name, written], i): SweepModule => {
    const args = fromPython(written);
    const def = lookupModule(name);
    if (!def) throw configErrorAt(parsed, [...at(i), 0], `unknown module '${name}' (known: ${moduleNames().join(', ')})`);
    if (def.role === 'concat' || def.role === 'detect' || def.repeats) {
      throw configErrorAt(parsed, [...at(i), 0], `${name} cannot be placed: a placed module reads one layer and is not a repeated block (C2f and the like)`);
    }
    checkArgs(parsed, def, name, args, [...at(i), 1]);
    return { name, def, args };
  });
  modules.forEach((m, i) => {
    if (modules.findIndex((o) => o.name === m.name) !== i) {
      throw configErrorAt(parsed, [...at(i), 0], `${m.name} is listed twice: compare its args with a grid axis (module.${m.name}.<arg>)`);
    }
  });
  return { modules, moduleAxis };
}

const listed = (modules: SweepModule[]) => modules.map((m) => m.name).join(', ');

/**
 * A position's args by module name: a list (the sweep's only module) or {Module: args}, each checked
 * against its module. `pathOf(module)` is where that module's args are written.
 */
export function resolvePositionArgs(parsed: ParsedYaml, modules: SweepModule[], position: string, raw: z.infer<typeof positionArgsSchema> | undefined) {
  const at: Path = ['positions', position, 'args'];
  const pathOf = (module: string): Path => (Array.isArray(raw) ? at : [...at, module]);
  if (raw === undefined) return { args: {}, pathOf };
  if (Array.isArray(raw) && modules.length > 1) {
    throw configErrorAt(parsed, at, `with several modules give args by module, e.g. args: {${modules[0]!.name}: ${yamlFlow(raw)}}`);
  }
  const args = Object.fromEntries(Object.entries(Array.isArray(raw) ? { [modules[0]!.name]: raw } : raw).map(([m, a]) => [m, fromPython(a)]));
  for (const [name, a] of Object.entries(args)) {
    const m = modules.find((x) => x.name === name);
    if (!m) throw configErrorAt(parsed, pathOf(name), `no module ${name} in the sweep's module list (${listed(modules)})`);
    checkArgs(parsed, m.def, name, a, pathOf(name));
  }
  return { args, pathOf };
}

/** A `module.<arg>` or `module.<Module>.<arg>` axis; each value checked against each module it sets. */
export function resolveModuleAxis(parsed: ParsedYaml, key: string, written: unknown[], modules: SweepModule[], earlier: readonly ModuleGridAxis[]): ModuleGridAxis {
  const here = (reason: string) => configErrorAt(parsed, ['grid', key], reason);
  const values = fromPython(written);
  const rest = key.slice('module.'.length);
  const one = modules.find((m) => rest.startsWith(`${m.name}.`));
  if (!one && rest.includes('.')) throw here(`no module ${rest.slice(0, rest.lastIndexOf('.'))} in the sweep's module list (${listed(modules)})`);
  const name = one ? rest.slice(one.name.length + 1) : rest;
  const targets = one ? [one] : modules.filter((m) => m.def.argNames.includes(name));
  if (one && !one.def.argNames.includes(name)) throw here(`${one.name} has no arg '${name}' (args: ${one.def.argNames.join(', ')})`);
  if (!targets.length) {
    throw here(modules.length === 1 ? `${modules[0]!.name} has no arg '${name}' (args: ${modules[0]!.def.argNames.join(', ')})`
      : `no listed module has an arg '${name}' (${modules.map((m) => `${m.name}: ${m.def.argNames.join(', ') || 'none'}`).join('; ')})`);
  }
  for (const m of targets) {
    const clash = earlier.find((a) => a.name === name && a.modules.includes(m.name));
    if (clash) throw here(`sets ${m.name}'s ${name}, as grid.${clash.key} does`);
    values.forEach((v, i) => {
      let problem: string | null;
      try {
        problem = moduleArgsIssue(m.def, argsFromNames(m.def, { ...argsByName(m.def, m.args), [name]: v }))?.message ?? null;
      } catch (err) {
        problem = (err as Error).message;
      }
      if (problem) throw configErrorAt(parsed, ['grid', key, i], `${m.name} ${name}: ${problem}`);
    });
  }
  return { key, target: 'module', name, modules: targets.map((m) => m.name), values };
}
