// A variant's model as an Ultralytics model yaml: nc/ch, the one scale it is built at (so the file
// builds the same network whatever its name), backbone and head in flow style with `# <index>` on
// every layer, placed layers labelled with their position. Ultralytics reads it as written
// (strings such as `nc`, `None` and `nearest` are evaluated by parse_model as usual).
import type { ModelYamlSource } from '@acmix-lab/yolo';
import type { LayerEntry, PlacedLayers } from './placement.js';

export interface ModelText {
  text: string;
  /** 1-based line of each layer, in layer order (to point model errors back at a position). */
  layerLines: number[];
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_.]*$/;
// Plain scalars YAML 1.1 (PyYAML, which Ultralytics uses) would not read as strings.
const YAML11_SPECIAL = /^(y|yes|n|no|true|false|on|off|null)$/i;

/** A yaml flow value, Python-flavoured as Ultralytics writes its yamls (True, None). */
export function yamlFlow(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return PLAIN.test(v) && !YAML11_SPECIAL.test(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(yamlFlow).join(', ')}]`;
  throw new Error(`cannot write ${JSON.stringify(v)} as a model yaml argument`);
}

export function renderModelYaml(base: ModelYamlSource, scale: string | null, layers: PlacedLayers, header: string[]): ModelText {
  const { spec } = base;
  const lines = header.map((h) => `# ${h}`);
  if (spec.nc !== undefined) lines.push(`nc: ${spec.nc}`);
  if (spec.ch !== undefined) lines.push(`ch: ${spec.ch}`);
  if (scale !== null) lines.push('scales:', `  ${scale}: ${yamlFlow(spec.scales![scale])}`);
  if (spec.depth_multiple !== undefined) lines.push(`depth_multiple: ${spec.depth_multiple}`);
  if (spec.width_multiple !== undefined) lines.push(`width_multiple: ${spec.width_multiple}`);
  const layerLines: number[] = [];
  let index = 0;
  const section = (name: string, entries: LayerEntry[]) => {
    lines.push('', `${name}:`, '  # [from, repeats, module, args]');
    for (const [from, n, module, args] of entries) {
      const placed = layers.placedBy[index];
      const note = placed ? ` ${placed.label}: ${placed.kind} ${placed.layer}` : '';
      lines.push(`  - [${yamlFlow(from)}, ${n}, ${module}, ${yamlFlow(args)}] # ${index}${note}`);
      layerLines.push(lines.length);
      index += 1;
    }
  };
  section('backbone', layers.backbone);
  section('head', layers.head);
  return { text: `${lines.join('\n')}\n`, layerLines };
}
