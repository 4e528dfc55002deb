/**
 * The text summary of an export import, for the entrypoint to print.
 *
 * @module
 */

import { formatTable } from "../tables.ts";
import type { ImportSummary } from "./export.ts";

/**
 * The summary of an import.
 *
 * @param s The import's summary.
 * @param courseId The course it went to.
 * @returns Text for a terminal or a log.
 */
export function formatImportSummary(s: ImportSummary, courseId: string): string {
  const out = [
    formatTable(
      ["channel", "course", "files", "messages", "added", "updated", "unchanged", "raw written", "problems"],
      [[
        s.channel,
        courseId,
        s.filesRead,
        s.messages,
        s.added,
        s.updated,
        s.unchanged,
        s.rawFilesWritten,
        s.problems.length,
      ]],
    ),
  ];
  if (s.problems.length > 0) {
    out.push(
      "",
      ...s.problems.slice(0, 10).map((p) => `  ${p.file}${p.entry === null ? "" : ` [${p.entry}]`}: ${p.reason}`),
      ...(s.problems.length > 10 ? [`  … and ${s.problems.length - 10} more`] : []),
    );
  }
  return out.join("\n");
}
