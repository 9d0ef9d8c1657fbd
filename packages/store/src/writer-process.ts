// A training-like writer process for the store's concurrency and crash tests (store.concurrency.test.ts):
//   writer-process.ts DB stress WORKER TRANSACTIONS  claim/log/heartbeat/finish loop; prints a JSON report
//   writer-process.ts DB loop WORKER                 adds, claims and trains runs until killed (`writing` after the first)
//   writer-process.ts DB hang WORKER                 blocks inside the transaction of epoch 2 until killed
// Each prints `ready` once the store is open and starts when a line arrives on stdin, so that the
// processes of a test start writing together.
import readline from 'node:readline';
import { openDatabase } from './database.js';
import { Store } from './store.js';
import { newRun, resultsRow } from './test-helpers.js';

const [file, mode, worker, count] = process.argv.slice(2) as [string, 'stress' | 'loop' | 'hang', string, string?];
const who = { worker, host: 'test', pid: process.pid };
const RUNS = 400;
const EPOCHS = 3;

const db = openDatabase(file);
if (mode === 'hang') {
  // Inside the transaction that logs epoch 2, after its metrics row and before the run's progress.
  db.function('hang_here', () => {
    process.stdout.write('in-transaction\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    return 0;
  });
  db.exec('CREATE TEMP TRIGGER hang_mid_epoch AFTER INSERT ON main.metrics WHEN NEW.epoch = 2 BEGIN SELECT hang_here(); END');
}
const store = new Store(db);
process.stdout.write('ready\n');
await new Promise((resolve) => readline.createInterface({ input: process.stdin }).once('line', resolve));

/** Every worker adds the same runs: the sweep and its runs exist once however many processes race. */
function setUp(): number {
  const sweep = store.ensureSweep({ name: 'stress' });
  store.addRuns(sweep.id, Array.from({ length: RUNS }, (_, i) => newRun(`run-${i}`, { epoch_budget: EPOCHS })));
  return 2;
}

function stress(transactions: number) {
  let done = setUp();
  const claimed: number[] = [];
  let locked = 0;
  const tx = (fn: () => void) => {
    if (done >= transactions) return false;
    try {
      fn();
    } catch (err) {
      if (!/database is locked|SQLITE_BUSY/.test(String(err))) throw err;
      locked++;
    }
    done++;
    return true;
  };
  while (done < transactions) {
    let run: { id: number } | undefined;
    tx(() => { run = store.claimRun(who); });
    if (!run) continue;
    claimed.push(run.id);
    for (let epoch = 1; epoch <= EPOCHS; epoch++) tx(() => store.logEpoch(run!.id, { row: resultsRow(epoch, run!.id), time: epoch }, { worker }));
    tx(() => store.heartbeat(run!.id, worker));
    tx(() => store.finishRun(run!.id, 'completed', { worker }));
  }
  process.stdout.write(`${JSON.stringify({ worker, transactions: done, locked, claimed })}\n`);
}

function loop() {
  const sweep = store.ensureSweep({ name: 'loop' });
  for (let n = 0; ; n++) {
    store.addRuns(sweep.id, [newRun(`${worker}-${n}`, { epoch_budget: EPOCHS })]);
    const run = store.claimRun(who)!;
    for (let epoch = 1; epoch <= EPOCHS; epoch++) store.logEpoch(run.id, { row: resultsRow(epoch, run.id) }, { worker });
    store.finishRun(run.id, 'completed', { worker });
    if (n === 0) process.stdout.write('writing\n');
  }
}

function hang() {
  setUp();
  const run = store.claimRun(who)!;
  store.logEpoch(run.id, { row: resultsRow(1) }, { worker });
  store.logEpoch(run.id, { row: resultsRow(2) }, { worker });
}

if (mode === 'stress') stress(Number(count));
else if (mode === 'loop') loop();
else hang();
store.close();
