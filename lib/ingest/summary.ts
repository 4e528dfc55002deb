/**
 * Text summaries of an ingest run for the entrypoint to print: the table and the
 * progress line.
 *
 * @module
 */

import { formatTable } from "../tables.ts";
import type { IngestProgress, IngestSummary } from "./types.ts";

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
