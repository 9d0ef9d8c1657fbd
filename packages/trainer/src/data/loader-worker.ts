// Worker side of DataLoader: receives the pipeline config once, then builds batches on request and
// posts them back with their buffers transferred.
import { parentPort, workerData } from 'node:worker_threads';
import { BatchBuilder, batchTransferList, type Batch, type BatchJob, type PipelineConfig } from './batch.js';

export type WorkerRequest = { type: 'batch'; id: number; job: BatchJob } | { type: 'close' };
export type WorkerReply =
  | { type: 'batch'; id: number; batch: Batch }
  | { type: 'error'; id: number; message: string };

const port = parentPort;
if (port) {
  const builder = new BatchBuilder((workerData as { config: PipelineConfig }).config);
  port.on('message', (req: WorkerRequest) => {
    // Exit by closing the port (an empty event loop) rather than being terminated: a terminated
    // thread tears down with @napi-rs/canvas objects unfinalised and napi-rs prints a warning for each.
    if (req.type === 'close') {
      port.close();
      return;
    }
    try {
      const batch = builder.batch(req.job);
      port.postMessage({ type: 'batch', id: req.id, batch } satisfies WorkerReply, batchTransferList(batch));
    } catch (err) {
      port.postMessage({ type: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
    }
  });
}
