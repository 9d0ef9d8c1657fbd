// `acmix-lab variants SWEEP.yaml [--json] [--write DIR]`: every variant of a sweep file without
// training: name, key, scale, positions, grid values, parameters, GFLOPs at the training imgsz and
// the difference from the base model; --write puts each variant's model yaml in DIR.
import type { Command } from 'commander';
import { enumerateVariants, formatVariantTable, measureVariants, readSweepFile, writeVariantModels } from '@acmix-lab/orchestrator';
import { backendFor } from '../global-options.js';
import { progressReporter } from '../progress.js';

interface VariantsOptions {
  json?: boolean;
  write?: string;
}

export function registerVariantsCommand(program: Command): void {
  program
    .command('variants')
    .description('list the variants of a sweep file without training: name, key, positions, grid values, parameters, GFLOPs, Δ vs the baseline')
    .argument('<sweep>', 'sweep yaml (experiments/sweeps/*.yaml); its paths are relative to the working directory')
    .option('--json', 'print a JSON array, one object per variant and seed')
    .option('--write <dir>', "write each variant's model yaml to DIR/<name>.yaml")
    .action(async (file: string, opts: VariantsOptions, cmd: Command) => {
      const sweep = readSweepFile(file);
      const variants = enumerateVariants(sweep); // sweep errors first, before TensorFlow loads
      await backendFor(cmd);
      const sizes = measureVariants(sweep, variants, progressReporter('variants: models built'));
      const files = opts.write ? writeVariantModels(variants, opts.write) : null;
      if (opts.json) {
        console.log(JSON.stringify(variants.map((v) => ({
          name: v.name, key: v.key, variantKey: v.variantKey, seed: v.seed, scale: v.scale, module: v.module,
          positions: v.positions, grid: v.grid, ...sizes.get(v.name)!, ...(files ? { file: files.get(v.name) } : {}), train: v.train,
        })), null, 2));
        return;
      }
      console.log(formatVariantTable(variants, sizes));
      if (files) console.log(`${files.size} model yamls written to ${opts.write}`);
    });
}
