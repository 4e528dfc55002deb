/**
 * Raw Slack day files to bronze Parquet: incremental, idempotent, and safe to
 * kill at any point.
 *
 * How a run works, per course:
 *
 * 1. List the raw files (only the months in `--since`/`--until` when given) and
 *    compare each file's fingerprint with the course's manifest under
 *    `_state/ingest/{course}/manifest.json`. Unchanged files are not read.
 * 2. Read each new or changed file once to learn which UTC days its messages
 *    fall on, and quarantine what is bad in it.
 * 3. Rebuild every bronze partition those files touch (the days they held
 *    before and hold now) from all the raw files that feed it, one partition at
 *    a time, and replace its Parquet file atomically.
 * 4. Record a changed file in the manifest once all of its partitions are
 *    written. At each checkpoint, first journal the partitions written since
 *    the last one (`_state/ingest/changes/{course}/`), then save the manifest.
 *
 * A killed run leaves every partition either old or new, never half written,
 * and its changed files unrecorded, so the next run redoes exactly what is
 * missing; and every partition the next run will not redo is in the journal,
 * so `label:daily` reaches it. A rerun with nothing new reads nothing and
 * rewrites nothing. A rewritten partition keeps every message it held that no
 * raw file supplies any more: a message leaves bronze only through a newer
 * version of itself. Each course is worked on under its `ingest` lease
 * (`lease.ts`), so two runs never interleave on one course.
 *
 * @module
 */

import type { Lake } from "../lake.ts";
import { STATE_ROOT } from "../layout.ts";
import { acquireLease, type Lease } from "../lease.ts";
import { readNames } from "../slack/names.ts";
import { ingestCourse } from "./course.ts";
import { ingestInWorkers } from "./pool.ts";
import type { CourseSummary, IngestOptions, IngestSummary, QuarantineRecord } from "./types.ts";

export { ingestCourse } from "./course.ts";
export { changesKey, changesPrefix, manifestKey } from "../layout.ts";
export type { Manifest, ManifestFile } from "./manifest.ts";
export type {
  CourseSummary,
  IngestLeaseOptions,
  IngestOptions,
  IngestProgress,
  IngestSummary,
  QuarantineRecord,
  WorkerMessage,
  WorkerTask,
} from "./types.ts";

const encoder = new TextEncoder();

/**
 * Runs ingestion for the given courses.
 *
 * @param lake The lake that receives bronze and state (and usually holds raw).
 * @param options The courses, the window and the hooks.
 * @returns What the run did; it has quarantined items when something was bad.
 * @throws {DOMException} `AbortError` when `signal` stops it; what was written stays valid.
 * @example
 * ```ts
 * import { MemoryLake } from "../lake.ts";
 * import { ingest } from "./ingest.ts";
 * const summary = await ingest(new MemoryLake(), { courses: [] });
 * summary.courses.length; // 0
 * ```
 */
export async function ingest(lake: Lake, options: IngestOptions): Promise<IngestSummary> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const runId = `${started.toISOString().replace(/[-:.]/g, "")}-${crypto.randomUUID().slice(0, 6)}`;
  const ingestionTime = BigInt(started.getTime()) * 1000n;
  const summary: IngestSummary = {
    runId,
    startedAt: started.toISOString(),
    courses: [],
    quarantine: [],
    quarantineKey: null,
  };
  if (!options.names) options = { ...options, names: await readNames(lake) };
  // One lease per course, taken before any work: a second run on the same course waits or refuses.
  const leases: Lease[] = [];
  const results: { summary: CourseSummary; quarantine: QuarantineRecord[] }[] = [];
  try {
    for (const course of options.courses) {
      leases.push(await acquireLease(lake, { task: "ingest", courseId: course.id, ...options.lease, now }));
    }
    const signal = AbortSignal.any([...leases.map((l) => l.signal), ...(options.signal ? [options.signal] : [])]);
    const run = { ...options, signal };
    const workers = Math.min(options.parallel?.workers ?? 1, options.courses.length);
    if (options.parallel && workers > 1) {
      await ingestInWorkers(options.parallel, workers, ingestionTime, runId, run, results);
    } else {
      for (const [i, course] of options.courses.entries()) {
        const quarantine: QuarantineRecord[] = [];
        try {
          results[i] = { summary: await ingestCourse(lake, course, ingestionTime, runId, run, quarantine), quarantine };
        } catch (e) {
          summary.quarantine.push(...quarantine);
          throw e;
        }
      }
    }
  } finally {
    // Courses that finished keep their report even when another one failed.
    for (const r of results) {
      if (!r) continue;
      summary.courses.push(r.summary);
      summary.quarantine.push(...r.quarantine);
    }
    try {
      if (summary.quarantine.length > 0) {
        summary.quarantineKey = `${STATE_ROOT}/ingest/quarantine/${runId}.jsonl`;
        const lines = summary.quarantine.map((q) => JSON.stringify(q)).join("\n") + "\n";
        await lake.write(summary.quarantineKey, encoder.encode(lines), { contentType: "application/x-ndjson" });
      }
    } finally {
      for (const l of leases) await l.release().catch(() => {});
    }
  }
  await lake.write(
    `${STATE_ROOT}/ingest/runs/${runId}.json`,
    encoder.encode(JSON.stringify({ ...summary, quarantine: summary.quarantine.length }, null, 1)),
    { contentType: "application/json" },
  );
  return summary;
}
