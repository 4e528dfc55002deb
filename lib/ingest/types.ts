/**
 * The shapes an ingest run shares between its parts (the run, the worker pool,
 * the workers and the summary printer), kept apart so none imports another in a
 * cycle.
 *
 * @module
 */

import type { Course } from "../config.ts";
import type { Lake, S3LakeOptions } from "../lake_api.ts";
import type { Day } from "../layout.ts";
import type { LeaseHolderInfo } from "../lease.ts";
import type { NameLookup } from "../slack/names.ts";

/** One quarantined file or record. */
export interface QuarantineRecord {
  /** The course. */
  course_id: string;
  /** The raw file, as in `source_file_path`. */
  file: string;
  /** The 0-based entry of the array, or `null` for the whole file. */
  entry: number | null;
  /** Why it was rejected. */
  reason: string;
  /** The start of the rejected text, when there is one. */
  excerpt?: string;
}

/** What a run did for one course. */
export interface CourseSummary {
  /** The course. */
  courseId: string;
  /** Raw files found in scope. */
  filesListed: number;
  /** New or changed raw files read this run. */
  filesChanged: number;
  /** Raw files rejected whole; they are retried on the next run. */
  filesFailed: number;
  /** Valid messages in the changed files. */
  messages: number;
  /** Bronze rows written, over all rewritten partitions. */
  rowsWritten: number;
  /** Bronze partitions rewritten. */
  partitionsWritten: number;
  /** Versions of a message that lost to a newer one in rewritten partitions. */
  duplicatesDropped: number;
  /** Files and records quarantined this run. */
  quarantined: number;
}

/** What a whole run did. */
export interface IngestSummary {
  /** The run's id, also in the state keys it wrote. */
  runId: string;
  /** When it started. */
  startedAt: string;
  /** Per course. */
  courses: CourseSummary[];
  /** Every quarantined item. */
  quarantine: QuarantineRecord[];
  /** Where the quarantine report was written, when anything was quarantined. */
  quarantineKey: string | null;
}

/** Progress of a run, for a progress line. */
export interface IngestProgress {
  /** The course being worked on. */
  courseId: string;
  /** `scan` while reading changed files, `write` while rewriting partitions. */
  phase: "scan" | "write";
  /** Items done in this phase. */
  done: number;
  /** Items in this phase. */
  total: number;
}

/** Options of {@linkcode ingest}. */
export interface IngestOptions {
  /** The courses to ingest. */
  courses: readonly Course[];
  /**
   * Only raw files filed under this day or later.
   * @default {undefined} no lower bound
   */
  since?: Day;
  /**
   * Only raw files filed under this day or earlier.
   * @default {undefined} no upper bound (today, when `since` is given)
   */
  until?: Day;
  /**
   * Opens a course's `raw_prefix` when it is a full URL.
   * @default {undefined} such courses fail with a clear error
   */
  openSource?: (url: string) => Lake | Promise<Lake>;
  /**
   * The clock, for `ingestion_time` and the run id.
   * @default {() => new Date()}
   */
  now?: () => Date;
  /**
   * Files at least this large are parsed from a stream, entry by entry.
   * @default {67108864} 64 MiB
   */
  largeFileBytes?: number;
  /**
   * Called as work advances.
   * @default {undefined}
   */
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Stops the run between two partitions.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Bytes of parsed raw files kept between the scan and the rewrite, so that
   * most files are parsed once.
   * @default {33554432} 32 MiB
   */
  cacheBytes?: number;
  /**
   * Ingest several courses at once, each in a Web Worker that reopens the lake
   * from its URL: courses are independent (their own manifest and partitions),
   * so this uses every core. Only for lakes that can be reopened (local, S3).
   * @default {undefined} one course after another, in this thread
   */
  parallel?: { lakeUrl: string; s3?: S3LakeOptions; workers: number };
  /**
   * Partitions written between two saves of the manifest.
   * @default {20}
   */
  checkpointEvery?: number;
  /**
   * Names for mentions, channel links and `user_name`.
   * @default {undefined} read from `_meta/slack/` in the lake
   */
  names?: NameLookup;
  /**
   * Rebuild every partition of the courses, not only the changed ones, so that
   * new names reach history.
   * @default {false}
   */
  refreshNames?: boolean;
  /**
   * The lease each course is ingested under (see `lease.ts`): who this run
   * is, how long to wait for a busy course, and the lease's time to live.
   * @default {{}} this process; refuse a busy course at once; 2 minutes
   */
  lease?: IngestLeaseOptions;
}

/** How {@linkcode ingest} takes the lease of each course. */
export interface IngestLeaseOptions {
  /** Who this run is. @default {currentHolder()} */
  holder?: LeaseHolderInfo;
  /** How long to wait for a course another run holds, in ms. @default {0} */
  waitMs?: number;
  /** The lease's time to live in ms; it is renewed every third of it. @default {120000} */
  ttlMs?: number;
  /** How often a waiting run looks again, in ms. @default {2000} */
  pollMs?: number;
  /** Called once when a course is busy and the run starts waiting. @default {undefined} */
  onWait?: (holder: LeaseHolderInfo, expiresAt: string) => void;
}

/** What a worker is told to do: one course of a run. */
export interface WorkerTask {
  /** The lake to reopen in the worker. */
  lakeUrl: string;
  /** Its S3 settings. */
  s3?: S3LakeOptions;
  /** The course. */
  course: Course;
  /** The run's `ingestion_time`, as a decimal string (bigints do not cross as-is). */
  ingestionTime: string;
  /** The run's id. */
  runId: string;
  /** The options that travel: the window and the sizes. */
  options: Pick<
    IngestOptions,
    "since" | "until" | "largeFileBytes" | "cacheBytes" | "checkpointEvery" | "names" | "refreshNames"
  >;
}

/** What a worker answers. */
export type WorkerMessage =
  | { type: "progress"; progress: IngestProgress }
  | { type: "done"; summary: CourseSummary; quarantine: QuarantineRecord[] }
  | { type: "error"; name: string; message: string; quarantine: QuarantineRecord[] };

/**
 * A course summary with nothing done yet.
 *
 * @param courseId The course.
 * @returns The summary, every count 0.
 */
export function emptySummary(courseId: string): CourseSummary {
  return {
    courseId,
    filesListed: 0,
    filesChanged: 0,
    filesFailed: 0,
    messages: 0,
    rowsWritten: 0,
    partitionsWritten: 0,
    duplicatesDropped: 0,
    quarantined: 0,
  };
}
