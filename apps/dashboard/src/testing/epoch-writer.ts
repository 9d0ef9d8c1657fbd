// A sweep's writing side for the concurrency test and bench:dashboard: a process that adds runs,
// claims them and logs epochs through the store for `durationMs`, with no busy timeout at all, so a
// reader that ever held the writer up would show as a "database is locked" error. Prints one JSON
// line: epochs logged, locked errors, and the slowest epoch write in ms.
//   tsx epoch-writer.ts DB DURATION_MS [EPOCH_INTERVAL_MS]
import { openStore } from '@acmix-lab/store';
import { epochRow } from './fixture-db.js';

const [file, durationMs, intervalMs = '0'] = process.argv.slice(2) as [string, string, string?];
const EPOCHS = 100;
const store = openStore(file, { busyTimeoutMs: 0 });
const who = { worker: `writer:${process.pid}`, host: 'writer', pid: process.pid };
const sweep = store.ensureSweep({ name: `writer-${process.pid}` });
const end = Date.now() + Number(durationMs);
let [epochs, locked, slowest, n] = [0, 0, 0, 0];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** One write; false when the database was locked (then it is tried again). */
const write = (fn: () => void): boolean => {
  const t0 = performance.now();
  try {
    fn();
    return true;
  } catch (err) {
    if (!/database is locked|SQLITE_BUSY/.test(String(err))) throw err;
    locked++;
    return false;
  } finally {
    slowest = Math.max(slowest, performance.now() - t0);
  }
};

while (Date.now() < end) {
  const [run] = store.addRuns(sweep.id, [{
    key: `run-${n}`, name: `yolov8n+P${3 + (n % 3)}`, positions: [`P${3 + (n % 3)}`], scale: 'n', seed: n++, model_yaml: 'nc: 3\n',
    config: { epochs: EPOCHS }, epoch_budget: EPOCHS,
  }]);
  store.claimRun(who, { runId: run!.id });
  for (let e = 1; e <= EPOCHS && Date.now() < end;) {
    if (write(() => store.logEpoch(run!.id, { row: epochRow(e, 0.001 * (n % 7)), time: e }, { worker: who.worker }))) [e, epochs] = [e + 1, epochs + 1];
    if (Number(intervalMs) > 0) await sleep(Number(intervalMs));
  }
  while (!write(() => store.finishRun(run!.id, 'completed', { worker: who.worker })));
}
store.close();
process.stdout.write(`${JSON.stringify({ epochs, locked, slowest_ms: Math.round(slowest * 10) / 10 })}\n`);
