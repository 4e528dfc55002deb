/**
 * The Web Worker pool of a parallel ingest: one course at a time per worker,
 * each worker reopening the lake from its URL (see `worker.ts`).
 *
 * @module
 */

import {
  type CourseSummary,
  emptySummary,
  type IngestOptions,
  type QuarantineRecord,
  type WorkerMessage,
  type WorkerTask,
} from "./types.ts";

/**
 * Runs the courses on a pool of Web Workers, one course at a time each, and
 * fills `results` in course order as they finish. When one course fails, no
 * new course starts, the running ones finish, and then the error is thrown:
 * what the others did, quarantine reports included, is kept.
 */
export function ingestInWorkers(
  parallel: NonNullable<IngestOptions["parallel"]>,
  workers: number,
  ingestionTime: bigint,
  runId: string,
  options: IngestOptions,
  results: { summary: CourseSummary; quarantine: QuarantineRecord[] }[],
): Promise<void> {
  const pool: Worker[] = [];
  let next = 0;
  return new Promise((resolve, reject) => {
    let running = 0;
    let error: unknown;
    let aborted = false;
    const finish = (worker: Worker) => {
      worker.terminate();
      if (--running > 0) return;
      if (error !== undefined) reject(error);
      else resolve();
    };
    options.signal?.addEventListener("abort", () => {
      // A stop (signal, lost lease) ends every worker at once: what they wrote is valid.
      aborted = true;
      pool.forEach((w) => w.terminate());
      reject(options.signal!.reason);
    }, { once: true });
    const start = (worker: Worker) => {
      if (aborted) return;
      if (next >= options.courses.length || error !== undefined) return finish(worker);
      const index = next++;
      const task: WorkerTask = {
        lakeUrl: parallel.lakeUrl,
        ...(parallel.s3 ? { s3: parallel.s3 } : {}),
        course: options.courses[index]!,
        ingestionTime: String(ingestionTime),
        runId,
        options: {
          since: options.since,
          until: options.until,
          largeFileBytes: options.largeFileBytes,
          cacheBytes: options.cacheBytes,
          checkpointEvery: options.checkpointEvery,
          names: options.names,
          refreshNames: options.refreshNames,
        },
      };
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        if (m.type === "progress") options.onProgress?.(m.progress);
        else if (m.type === "done") {
          results[index] = { summary: m.summary, quarantine: m.quarantine };
          start(worker);
        } else {
          const err = new Error(m.message);
          err.name = m.name;
          error ??= err;
          // The failed course's own report is kept: an empty summary carries it.
          results[index] = { summary: emptySummary(task.course.id), quarantine: m.quarantine };
          finish(worker);
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        error ??= new Error(`Ingest worker failed: ${e.message}`);
        finish(worker);
      };
      worker.postMessage(task);
    };
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
      pool.push(worker);
      running++;
      start(worker);
    }
  });
}
