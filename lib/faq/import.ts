/**
 * `faq:import`: a FAQ source into `reference/faq/course_id={course}/faq.parquet`.
 *
 * @module
 */

import type { Lake } from "../lake.ts";
import { type FaqProblem, readFaqSource } from "./source.ts";
import { writeFaq, type WriteFaqResult } from "./store.ts";

/** Options of {@linkcode importFaq}. */
export interface ImportFaqOptions {
  /**
   * The course folder inside a `_questions` folder.
   * @default {undefined} the course id
   */
  fromCourse?: string;
}

/** What an import did. */
export interface ImportFaqResult extends WriteFaqResult {
  /** The course. */
  courseId: string;
  /** The source. */
  source: string;
  /** Entries left out, with file and reason. */
  problems: FaqProblem[];
}

/**
 * Imports a course's FAQ: reads the source, leaves out bad entries (reported),
 * and replaces the course's table unless it already holds the same entries.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param source A `_questions` folder, one course folder, or a `.jsonl` file.
 * @param options The course folder to pick.
 * @returns What was done, and the problems.
 * @throws {TypeError} When the source or the course folder does not exist.
 * @example
 * ```ts ignore
 * const r = await importFaq(lake, "mlops", "../faq/_questions", { fromCourse: "mlops-zoomcamp" });
 * ```
 */
export async function importFaq(
  lake: Lake,
  courseId: string,
  source: string,
  options: ImportFaqOptions = {},
): Promise<ImportFaqResult> {
  const { entries, problems } = await readFaqSource(source, { fromCourse: options.fromCourse ?? courseId });
  const written = await writeFaq(lake, courseId, entries);
  return { courseId, source, problems, ...written };
}
