/**
 * The course FAQ in the lake: `reference/faq/course_id={course}/faq.parquet`,
 * one table per course, replaced whole on import.
 *
 * @module
 */

import type { Lake } from "../lake.ts";
import { faqKey } from "../layout.ts";
import { col, type ColumnSpec, readParquetRows, writeParquet } from "../parquet.ts";
import type { FaqEntry } from "./source.ts";

/** The FAQ table's columns. */
export const FAQ_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  col("id", "string", false),
  col("section", "string", false),
  col("question", "string", false),
  col("answer_plain", "string", false),
  col("source_path", "string", false),
  col("sha256", "string", false),
]);

/**
 * Reads a course's FAQ from the lake.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @returns The entries in table order, or `undefined` when the course has no FAQ.
 * @example
 * ```ts ignore
 * const entries = await readFaq(lake, "mlops-zoomcamp");
 * if (entries) buildFaqIndex(entries).match("pipenv: command not found");
 * ```
 */
export async function readFaq(lake: Lake, courseId: string): Promise<FaqEntry[] | undefined> {
  const key = faqKey(courseId);
  if (!(await lake.stat(key))) return undefined;
  return readParquetRows<FaqEntry>(FAQ_COLUMNS, await lake.read(key));
}

function same(a: readonly FaqEntry[], b: readonly FaqEntry[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((e, i) => {
    const f = b[i]!;
    return e.id === f.id && e.sha256 === f.sha256 && e.section === f.section && e.source_path === f.source_path &&
      e.question === f.question && e.answer_plain === f.answer_plain;
  });
}

/** What {@linkcode writeFaq} did. */
export interface WriteFaqResult {
  /** Whether the table was written (false: it already held exactly these entries). */
  written: boolean;
  /** Entries in the table. */
  entries: number;
  /** Entries that were not there before (by id and content). */
  changed: number;
  /** Ids that were there before and are gone. */
  removed: number;
}

/**
 * Replaces a course's FAQ table, unless it already holds the same entries.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param entries The entries.
 * @returns What was done.
 */
export async function writeFaq(lake: Lake, courseId: string, entries: readonly FaqEntry[]): Promise<WriteFaqResult> {
  const before = (await readFaq(lake, courseId)) ?? [];
  const old = new Map(before.map((e) => [e.id, e.sha256]));
  const ids = new Set(entries.map((e) => e.id));
  const changed = entries.filter((e) => old.get(e.id) !== e.sha256).length;
  const removed = before.filter((e) => !ids.has(e.id)).length;
  if (before.length > 0 && same(before, entries)) return { written: false, entries: entries.length, changed, removed };
  await lake.write(faqKey(courseId), writeParquet(FAQ_COLUMNS, entries), {
    contentType: "application/vnd.apache.parquet",
  });
  return { written: true, entries: entries.length, changed, removed };
}
