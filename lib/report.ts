/**
 * Pure text formatting for the entrypoints: tables, summaries and the progress
 * line. The entrypoints print what these return.
 *
 * @module
 */

import type { IngestProgress, IngestSummary } from "./ingest.ts";
import type { ImportSummary } from "./slack_export.ts";
import type { LabelSummary } from "./label.ts";

/**
 * Lays out rows as an aligned text table; numbers are right-aligned.
 *
 * @param headers The column titles.
 * @param rows The cells.
 * @returns The table, lines joined with `\n`.
 * @example
 * ```ts
 * import { formatTable } from "./report.ts";
 * formatTable(["course", "rows"], [["ml", 3]]);
 * ```
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
  const line = (cells: readonly (string | number)[]) =>
    cells.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * The summary table of an ingest run, with the quarantine report's key.
 *
 * @param summary The run's summary.
 * @param lakeUrl The lake, for the report's location.
 * @returns Text for a terminal or a log.
 */
export function formatIngestSummary(summary: IngestSummary, lakeUrl: string): string {
  const rows = summary.courses.map((c) => [
    c.courseId,
    c.filesListed,
    c.filesChanged,
    c.messages,
    c.rowsWritten,
    c.partitionsWritten,
    c.duplicatesDropped,
    c.quarantined,
  ]);
  const total = (k: keyof IngestSummary["courses"][number]) =>
    summary.courses.reduce((n, c) => n + (c[k] as number), 0);
  if (summary.courses.length > 1) {
    rows.push([
      "total",
      total("filesListed"),
      total("filesChanged"),
      total("messages"),
      total("rowsWritten"),
      total("partitionsWritten"),
      total("duplicatesDropped"),
      total("quarantined"),
    ]);
  }
  const out = [
    formatTable(
      ["course", "raw files", "read", "messages", "rows written", "partitions", "duplicates", "quarantined"],
      rows,
    ),
  ];
  if (summary.quarantineKey) {
    out.push(
      "",
      `${summary.quarantine.length} item(s) quarantined; report: ${lakeUrl}/${summary.quarantineKey}`,
      ...summary.quarantine.slice(0, 10).map((q) =>
        `  ${q.file}${q.entry === null ? "" : ` [${q.entry}]`}: ${q.reason}`
      ),
      ...(summary.quarantine.length > 10 ? [`  … and ${summary.quarantine.length - 10} more in the report`] : []),
    );
  } else if (summary.courses.every((c) => c.filesChanged === 0)) {
    out.push("", "Nothing new: bronze is up to date.");
  }
  return out.join("\n");
}

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
 * The one-line progress of an ingest run.
 *
 * @param p The progress.
 * @returns The line, without a newline.
 */
export function formatProgress(p: IngestProgress): string {
  const pct = p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100);
  const what = p.phase === "scan" ? "reading raw files" : "writing partitions";
  return `${p.courseId}: ${what} ${p.done}/${p.total} (${pct}%)`;
}

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
  ]);
  const out = [
    formatTable(
      ["course", "partitions", "labeled", "up to date", "messages", "candidates", "FAQ", "in band", "LLM decided"],
      rows,
    ),
    "",
    `LLM: ${s.llmCalls} call(s), ${s.llmCacheHits} from cache, ${s.llmFailed} failed, ${s.llmCapped} over the cap.`,
  ];
  return out.join("\n");
}
