import type { Command } from 'commander';
import { describeEnvironment } from '@acmix-lab/runtime';
import { globalOptions } from '../global-options.js';

export function registerEnvCommand(program: Command): void {
  program
    .command('env')
    .description('print the backend, TensorFlow, tfjs and Node versions, CPUs and GPU build')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const env = await describeEnvironment(globalOptions(cmd).backend);
      if (opts.json) {
        console.log(JSON.stringify(env, null, 2));
        return;
      }
      const rows: [string, string][] = [
        ['backend', env.backend + (env.fallbackReason ? ` (${env.fallbackReason})` : '')],
        ['tensorflow', env.tensorflowVersion ?? '-'],
        ['tfjs', env.tfjsVersion],
        ['node', env.nodeVersion],
        ['cpus', `${env.cpus} × ${env.cpuModel}`],
        ['gpu build', env.gpuBuild ? 'present (npm run setup:gpu)' : 'absent'],
      ];
      for (const [k, v] of rows) console.log(`${k.padEnd(11)} ${v}`);
    });
}
