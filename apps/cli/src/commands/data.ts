import { InvalidArgumentError, type Command } from 'commander';
import { loadDataYaml, scanSplit, synthDataset } from '@acmix-lab/trainer';
import { progressReporter } from '../progress.js';

function int(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected an integer');
  return Number(value);
}

export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('datasets: synthesise one, check one');

  data
    .command('synth')
    .description('write a deterministic synthetic shapes dataset in Ultralytics format (data.yaml, images/, labels/)')
    .requiredOption('--out <dir>', 'dataset folder (an earlier synthetic dataset there is replaced; any other non-empty folder is refused)')
    .option('--train <n>', 'training images', int, 64)
    .option('--val <n>', 'validation images', int, 32)
    .option('--imgsz <px>', 'image side in pixels', int, 128)
    .option('--classes <k>', 'shape classes (1-8: circle, square, triangle, diamond, star, cross, hexagon, ring)', int, 3)
    .option('--seed <n>', 'random seed', int, 0)
    .action(async (opts: { out: string; train: number; val: number; imgsz: number; classes: number; seed: number }) => {
      const res = await synthDataset({ ...opts, onProgress: progressReporter('synth: images') });
      console.log(`${res.yamlFile}: ${res.images.train} train + ${res.images.val} val images, ${res.boxes} boxes`);
    });

  data
    .command('check')
    .description("check a data.yaml and every image/label pair like Ultralytics' verify_image_label")
    .requiredOption('--data <yaml>', 'data.yaml')
    .option('--strict', 'fail on the first missing, empty, duplicate or corrupt label instead of skipping it')
    .action((opts: { data: string; strict?: boolean }) => {
      const cfg = loadDataYaml(opts.data);
      console.log(`${cfg.yamlFile}: ${cfg.nc} classes (${cfg.names.join(', ')})`);
      for (const [name, sources] of [['train', cfg.train], ['val', cfg.val], ['test', cfg.test]] as const) {
        if (sources) scanSplit(sources, cfg.nc, { prefix: name, strict: Boolean(opts.strict) });
      }
    });
}
