import type { Command } from 'commander';
import { initBackend, type BackendInfo } from '@acmix-lab/runtime';

export interface GlobalOptions {
  backend?: string;
  verbose?: boolean;
}

/** Options given before or after the subcommand name. */
export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Initialise the backend the user chose (flag, env var, or native by default). */
export function backendFor(cmd: Command): Promise<BackendInfo> {
  return initBackend(globalOptions(cmd).backend);
}
