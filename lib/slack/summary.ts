/**
 * The text summaries of an export import and of a fetch, for the entrypoints
 * to print.
 *
 * @module
 */

import { formatTable } from "../tables.ts";
import type { ImportSummary } from "./export.ts";
import type { FetchProgress, FetchSummary } from "./fetch.ts";

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

/**
 * The summary table of a fetch run, with each course's note and the names
 * step's warning.
 *
 * @param s The run's summary.
 * @returns Text for a terminal or a log.
 */
export function formatFetchSummary(s: FetchSummary): string {
  const rows = s.courses.map((c) => [
    c.courseId,
    c.channelId ?? "-",
    c.status,
    c.apiCalls,
    c.pages,
    c.added,
    c.updated,
    c.unchanged,
    c.threadsRefreshed,
    c.rawFilesWritten,
    c.rateLimitWaits,
  ]);
  const out = [
    formatTable(
      [
        "course",
        "channel",
        "status",
        "api calls",
        "pages",
        "new",
        "updated",
        "unchanged",
        "threads",
        "raw written",
        "rate waits",
      ],
      rows,
    ),
  ];
  const notes = s.courses.filter((c) => c.note !== null).map((c) => `  ${c.note}`);
  for (const c of s.courses) {
    for (const p of c.problems.slice(0, 5)) notes.push(`  ${c.courseId}: ${p.file}: ${p.reason}`);
  }
  if (notes.length > 0) out.push("", ...notes);
  const n = s.names;
  if (n.apiCalls > 0) {
    out.push(
      "",
      `Names: ${n.users} users, ${n.channels} channels (${n.apiCalls} api calls, ${n.rateLimitWaits} rate waits); ${
        n.written.length > 0 ? `wrote ${n.written.join(", ")}` : "unchanged"
      }`,
    );
  }
  if (n.warning) out.push(`Warning: ${n.warning}`);
  return out.join("\n");
}

/**
 * The one-line progress of a fetch run.
 *
 * @param p The progress.
 * @returns The line, without a newline.
 */
export function formatFetchProgress(p: FetchProgress): string {
  const what = p.phase === "history" ? "history page" : p.phase === "replies" ? "thread" : "raw day";
  return `${p.courseId}: ${what} ${p.done}${p.total === null ? "" : `/${p.total}`}`;
}
