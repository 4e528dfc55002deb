/**
 * Pure text formatting for the entrypoints: aligned tables. Each stage formats
 * its own summaries with it; the entrypoints print what they return.
 *
 * @module
 */

/**
 * Lays out rows as an aligned text table; numbers are right-aligned.
 *
 * @param headers The column titles.
 * @param rows The cells.
 * @returns The table, lines joined with `\n`.
 * @example
 * ```ts
 * import { formatTable } from "./tables.ts";
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
