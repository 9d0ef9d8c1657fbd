// Worker threads start as plain Node: register tsx here (as apps/cli/bin/acmix-lab.js does for the
// main thread), then load the TypeScript entry named in workerData. Works under the CLI, tsx and vitest.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
