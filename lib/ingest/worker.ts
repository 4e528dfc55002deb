/**
 * The Web Worker body of a parallel ingest: it reopens the lake from its URL,
 * ingests the course it is given, and posts back the summary and the
 * quarantined items. Started by `ingest()` when `parallel` is set.
 *
 * @module
 */

import { ingestCourse } from "./course.ts";
import type { QuarantineRecord, WorkerMessage, WorkerTask } from "./types.ts";
import { openLake } from "../lake.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<WorkerTask>) => void) | null;
  postMessage(m: WorkerMessage): void;
};

scope.onmessage = async (e) => {
  const task = e.data;
  const quarantine: QuarantineRecord[] = [];
  try {
    const s3 = task.s3 ?? {};
    const lake = await openLake(task.lakeUrl, { s3 });
    const summary = await ingestCourse(lake, task.course, BigInt(task.ingestionTime), task.runId, {
      ...task.options,
      courses: [task.course],
      openSource: (url) => openLake(url, { s3 }),
      onProgress: (progress) => scope.postMessage({ type: "progress", progress }),
    }, quarantine);
    scope.postMessage({ type: "done", summary, quarantine });
  } catch (err) {
    const error = err as Error;
    scope.postMessage({
      type: "error",
      name: error?.name ?? "Error",
      message: error?.message ?? String(err),
      quarantine,
    });
  }
};
