/**
 * `faq:match`: after a new FAQ import, recomputes gold's match columns
 * (`faq_matches`, `faq_match_id`, `faq_match_score`, `faq_status`) from the
 * text already in gold. Nothing is embedded and no LLM is called, so the
 * lexical path is used; every other column is written back as it was read.
 *
 * @module
 */

import { GOLD_COLUMNS, type GoldRow } from "../classify/label.ts";
import type { Lake } from "../lake.ts";
import { coursePrefix, parsePartitionKey } from "../layout.ts";
import { readParquetRows, writeParquet } from "../parquet.ts";
import { openCourseFaq } from "./course.ts";

/** What `faq:match` did for one course. */
export interface RematchSummary {
  /** The course. */
  courseId: string;
  /** `lexical`, or `none` when the course has no FAQ (every status becomes null). */
  faqPath: "lexical" | "fused" | "none";
  /** Gold partitions read. */
  partitions: number;
  /** Partitions rewritten because a match changed. */
  rewritten: number;
  /** Gold rows. */
  rows: number;
  /** Rows whose matches changed. */
  changed: number;
  /** Rows covered by the FAQ now. */
  covered: number;
}

/**
 * Rewrites the match columns of a course's gold partitions.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @returns What was done.
 */
export async function rematchCourse(lake: Lake, courseId: string): Promise<RematchSummary> {
  const faq = await openCourseFaq(lake, courseId);
  const s: RematchSummary = {
    courseId,
    faqPath: faq.path,
    partitions: 0,
    rewritten: 0,
    rows: 0,
    changed: 0,
    covered: 0,
  };
  const keys: string[] = [];
  for await (const e of lake.list(coursePrefix("gold", courseId))) if (parsePartitionKey(e.key)) keys.push(e.key);
  for (const key of keys) {
    s.partitions++;
    const rows = readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(key));
    const matches = await faq.matchAll(rows.map((r) => r.text ?? ""));
    let changed = 0;
    rows.forEach((r, i) => {
      const m = matches[i]!;
      const before = JSON.stringify([r.faq_matches, r.faq_status]);
      r.faq_matches = m.matches;
      r.faq_match_id = m.matches[0]?.faq_id ?? null;
      r.faq_match_score = m.matches[0]?.score ?? null;
      r.faq_status = m.status;
      if (m.status === "covered") s.covered++;
      if (JSON.stringify([r.faq_matches, r.faq_status]) !== before) changed++;
    });
    s.rows += rows.length;
    s.changed += changed;
    if (changed > 0) {
      await lake.write(key, writeParquet(GOLD_COLUMNS, rows), { contentType: "application/vnd.apache.parquet" });
      s.rewritten++;
    }
  }
  return s;
}
