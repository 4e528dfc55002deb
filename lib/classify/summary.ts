/**
 * The text summary of a labeling run, for the entrypoint to print.
 *
 * @module
 */

import { formatTable } from "../tables.ts";
import type { LabelSummary } from "./label.ts";

/**
 * The summary table of a labeling run.
 *
 * @param s The run's summary.
 * @returns Text for a terminal or a log.
 */
export function formatLabelSummary(s: LabelSummary): string {
  const rows = s.courses.map((c) => [
    c.courseId,
    c.partitions,
    c.labeled,
    c.skipped,
    c.messages,
    c.candidates,
    c.faqs,
    c.inBand,
    c.llmDecided,
    c.faqPath,
    c.covered,
    c.groupsTouched,
  ]);
  const out = [
    formatTable(
      [
        "course",
        "partitions",
        "labeled",
        "up to date",
        "messages",
        "candidates",
        "FAQ",
        "in band",
        "LLM decided",
        "FAQ path",
        "covered",
        "groups",
      ],
      rows,
    ),
    "",
    `LLM: ${s.llmCalls} call(s), ${s.llmCacheHits} from cache, ${s.llmFailed} failed, ${s.llmCapped} over the cap.`,
  ];
  const orphans = s.courses.reduce((n, c) => n + c.orphansRemoved, 0);
  if (orphans > 0) out.push(`Removed ${orphans} gold partition(s) whose bronze partition is gone.`);
  return out.join("\n");
}
