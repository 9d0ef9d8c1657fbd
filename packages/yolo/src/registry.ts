// The explicit module registry (timm style): yaml module name → definition. Ultralytics looks
// modules up with `globals()[m]` / `getattr(torch.nn, m[3:])`; here only these names exist, and the
// registry-wide test builds each one's example, so a new entry is tested without a new test.
import { ACmix } from './modules/acmix.js';
import { Bottleneck } from './modules/bottleneck.js';
import { C2 } from './modules/c2.js';
import { C2f } from './modules/c2f.js';
import { C2f_ACmix } from './modules/c2f-acmix.js';
import { C2PSA } from './modules/c2psa.js';
import { C3 } from './modules/c3.js';
import { C3k2 } from './modules/c3k2.js';
import { CBAM } from './modules/cbam.js';
import { ChannelAttention } from './modules/channel-attention.js';
import { Concat } from './modules/concat.js';
import { Conv } from './modules/conv.js';
import { Detect } from './modules/detect.js';
import { DWConv } from './modules/dwconv.js';
import { ECA } from './modules/eca.js';
import type { ModuleDef } from './modules/module.js';
import { SE } from './modules/se.js';
import { SpatialAttention } from './modules/spatial-attention.js';
import { SPPF } from './modules/sppf.js';
import { Upsample } from './modules/upsample.js';

const registry: ReadonlyMap<string, ModuleDef> = new Map([
  ['Conv', Conv],
  ['DWConv', DWConv],
  ['Bottleneck', Bottleneck],
  ['C2', C2],
  ['C2f', C2f],
  ['C3', C3],
  ['C3k2', C3k2],
  ['C2PSA', C2PSA],
  ['SPPF', SPPF],
  ['Concat', Concat],
  ['nn.Upsample', Upsample],
  ['Detect', Detect],
  ['ACmix', ACmix],
  ['C2f_ACmix', C2f_ACmix],
  ['CBAM', CBAM],
  ['ChannelAttention', ChannelAttention],
  ['SpatialAttention', SpatialAttention],
  ['SE', SE],
  ['ECA', ECA],
]);

export function lookupModule(name: string): ModuleDef | undefined {
  return registry.get(name);
}

export function moduleNames(): string[] {
  return [...registry.keys()];
}
