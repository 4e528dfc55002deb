/**
 * The human audit's CSV: `labels:export` writes a course's sampled and
 * labeled messages for a spreadsheet, `labels:import` reads the team's
 * `human_label` column back into `labels/{course}/human.jsonl`.
 *
 * The file is RFC 4180 (CRLF line ends, cells with a comma, semicolon, tab,
 * quote or line break in double quotes, quotes doubled) with a UTF-8 byte order mark, so
 * Excel, LibreOffice and Google Sheets open it with its accents intact. A cell
 * that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
 * leading `'`, so no spreadsheet runs a message as a formula; the import takes
 * that quote off again.
 *
 * @module
 */

import type { Lake } from "../lake.ts";
import { redactSecrets } from "../redact.ts";
import {
  courseOfMessageId,
  type LabelRecord,
  mergeLabelsFile,
  readCourseLabels,
  readLabelsFile,
  type SampleRecord,
} from "./labels_store.ts";

/** The export's columns, in order. */
export const CSV_COLUMNS: readonly string[] = Object.freeze([
  "message_id",
  "text",
  "label",
  "source",
  "confidence",
  "reason",
  "human_label",
]);

const FORMULA_START = /^[=+\-@\t\r]/;

/** Excel holds at most 32,767 characters in a cell; longer texts are cut (the lake keeps them whole). */
export const MAX_CELL_CHARS = 32_000;

/**
 * One CSV cell: made formula-safe, then quoted when RFC 4180 needs it.
 *
 * @param value The cell's text.
 * @returns The cell as written.
 * @example
 * ```ts
 * import { csvCell } from "./labels_csv.ts";
 * csvCell('=HYPERLINK("x")'); // "\"'=HYPERLINK(\"\"x\"\")\""
 * ```
 */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",;\t\r\n]|^\s|\s$/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * Takes off the quote {@linkcode csvCell} put before a formula-like cell.
 *
 * @param cell A cell as read.
 * @returns The original text.
 */
export function uncell(cell: string): string {
  return cell.length > 1 && cell[0] === "'" && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}

/**
 * Writes rows as CSV text, with a byte order mark and CRLF line ends.
 *
 * @param header The column names.
 * @param rows The cells.
 * @returns The file's text.
 */
export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return "\uFEFF" + [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** One record of a parsed CSV file: its cells, or why it could not be read. */
export interface CsvRecord {
  /** The row number as a spreadsheet shows it (the header is row 1). */
  row: number;
  /** The line of the file where it starts. */
  line: number;
  /** The cells, when the record reads. */
  cells?: string[];
  /** What is wrong with it, when it does not. */
  error?: string;
}

/**
 * Decodes a CSV file's bytes: UTF-8, or UTF-16 when a byte order mark says so
 * (Excel's "Unicode Text", which is also tab-separated).
 *
 * @param bytes The file.
 * @returns Its text.
 */
export function decodeCsvBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  return new TextDecoder().decode(bytes);
}

/**
 * The separator of a CSV file, read from its first line: a comma, or a
 * semicolon (what Excel writes where the decimal mark is a comma) or a tab,
 * when the first line has more of those than of commas outside quotes.
 *
 * @param text The file's text.
 * @returns `,`, `;` or `\t`.
 * @example
 * ```ts
 * import { detectSeparator } from "./labels_csv.ts";
 * detectSeparator("message_id;text;human_label\r\n"); // ";"
 * ```
 */
export function detectSeparator(text: string): string {
  const counts = new Map([[",", 0], [";", 0], ["\t", 0]]);
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === "\n" || c === "\r")) break;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = ",";
  for (const [c, n] of counts) if (n > counts.get(best)!) best = c;
  return best;
}

/**
 * Parses RFC 4180 CSV, record by record. A record with broken quoting (a
 * quoted cell never closed, text after a closing quote, a quote inside an
 * unquoted cell) is reported with its row number, and parsing goes on from the
 * next line, so one bad row does not lose the others.
 *
 * @param text The file's text (a byte order mark is skipped).
 * @param options The separator.
 * @param options.separator `,`, `;` or a tab; by default {@linkcode detectSeparator}'s.
 * @returns Every record, blank lines left out.
 * @example
 * ```ts
 * import { parseCsv } from "./labels_csv.ts";
 * parseCsv('a,b\r\n"x, y",2\r\n')[1]?.cells; // ["x, y", "2"]
 * ```
 */
export function parseCsv(text: string, options: { separator?: string } = {}): CsvRecord[] {
  const s = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const sep = options.separator ?? detectSeparator(s);
  const out: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  let row = 0;
  const nextLine = (from: number) => {
    const nl = s.indexOf("\n", from);
    return nl < 0 ? s.length : nl + 1;
  };
  while (i < s.length) {
    row++;
    const start = i;
    const startLine = line;
    const cells: string[] = [];
    let error: string | undefined;
    let unclosed = false;
    for (;;) {
      let cell = "";
      if (s[i] === '"') {
        i++;
        for (;;) {
          if (i >= s.length) {
            error = "a quoted cell is never closed";
            unclosed = true;
            break;
          }
          const c = s[i]!;
          if (c === '"') {
            if (s[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === "\n") line++;
          cell += c;
          i++;
        }
        if (!error && i < s.length && s[i] !== sep && s[i] !== "\n" && !(s[i] === "\r" && s[i + 1] === "\n")) {
          error = "there is text after a closing quote";
        }
      } else {
        let end = i;
        while (end < s.length && s[end] !== sep && s[end] !== "\n" && !(s[end] === "\r" && s[end + 1] === "\n")) end++;
        cell = s.slice(i, end);
        if (cell.includes('"')) error = "a quote is inside an unquoted cell";
        i = end;
      }
      if (error) break;
      cells.push(cell);
      if (s[i] === sep) {
        i++;
        continue;
      }
      if (s[i] === "\r") i++;
      if (s[i] === "\n") {
        i++;
        line++;
      }
      break;
    }
    if (error) {
      out.push({
        row,
        line: startLine,
        error: `${error}: put the cell in double quotes and double any quote inside it`,
      });
      // An unclosed quote swallowed the rest of the file: start again on the record's second line.
      i = unclosed ? nextLine(start) : nextLine(i);
      line = unclosed ? startLine + 1 : line + 1;
      continue;
    }
    if (cells.length === 1 && cells[0] === "") continue;
    out.push({ row, line: startLine, cells });
  }
  return out;
}

/**
 * Reads a human label: 1/0, true/false, yes/no (any case), or empty for none.
 *
 * @param value The cell.
 * @returns The label, `null` when empty, `undefined` when unreadable.
 */
export function parseHumanLabel(value: string): boolean | null | undefined {
  const v = value.trim().toLowerCase();
  if (v === "") return null;
  if (v === "1" || v === "true" || v === "yes" || v === "y") return true;
  if (v === "0" || v === "false" || v === "no" || v === "n") return false;
  return undefined;
}

/**
 * The export of a course: every sampled or labeled message, with the label
 * that counts now, and an empty `human_label` column.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @returns The CSV text and its number of rows.
 */
export async function exportLabelsCsv(lake: Lake, courseId: string): Promise<{ csv: string; rows: number }> {
  const labels = new Map((await readCourseLabels(lake, courseId)).map((r) => [r.message_id, r]));
  const texts = new Map<string, string>();
  for (const r of await readLabelsFile<SampleRecord>(lake, courseId, "sample")) texts.set(r.message_id, r.text);
  for (const r of labels.values()) texts.set(r.message_id, r.text);
  const rows = [...texts.keys()].sort().map((id) => {
    const l = labels.get(id);
    return [
      id,
      cut(redactSecrets(texts.get(id)!)),
      l ? (l.label ? "1" : "0") : "",
      l?.source ?? "",
      l ? String(l.confidence) : "",
      l?.reason ?? "",
      "",
    ];
  });
  return { csv: formatCsv(CSV_COLUMNS, rows), rows: rows.length };
}

function cut(text: string): string {
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS)}…` : text;
}

/** One row `labels:import` could not take. */
export interface ImportProblem {
  /** The row number as a spreadsheet shows it. */
  row: number;
  /** What is wrong and what to do. */
  message: string;
}

/** What `labels:import` did. */
export interface ImportSummary {
  /** Human labels written, per course. */
  imported: Record<string, number>;
  /** Rows with an empty `human_label`, left alone. */
  blank: number;
  /** Rows that could not be taken. */
  problems: ImportProblem[];
}

/**
 * Reads a filled-in export back: each row with a `human_label` becomes a
 * human label (which wins over the LLM's and the FAQ's). Bad rows are
 * reported with their row number; the good rows land all the same.
 *
 * @param lake The lake.
 * @param csvText The file's text.
 * @param options The course ids known to the configuration, and the file's name for the reasons.
 * @returns What was imported, and the problems.
 * @throws {TypeError} When the header lacks `message_id` or `human_label`.
 */
export async function importLabelsCsv(
  lake: Lake,
  csvText: string,
  options: { courses: readonly string[]; file: string },
): Promise<ImportSummary> {
  const records = parseCsv(csvText);
  const header = records[0];
  if (!header?.cells) {
    throw new TypeError(`${options.file} has no readable header row: export one with deno task labels:export`);
  }
  const col = (name: string) => header.cells!.findIndex((c) => c.trim().toLowerCase() === name);
  const idCol = col("message_id");
  const humanCol = col("human_label");
  const textCol = col("text");
  if (idCol < 0 || humanCol < 0) {
    throw new TypeError(
      `${options.file}: the header needs "message_id" and "human_label" columns (found: ${header.cells.join(", ")})`,
    );
  }
  const known = new Map<string, Map<string, string>>();
  const knownOf = async (courseId: string) => {
    let m = known.get(courseId);
    if (!m) {
      m = new Map();
      for (const r of await readLabelsFile<SampleRecord>(lake, courseId, "sample")) m.set(r.message_id, r.text);
      for (const r of await readCourseLabels(lake, courseId)) m.set(r.message_id, r.text);
      known.set(courseId, m);
    }
    return m;
  };
  const summary: ImportSummary = { imported: {}, blank: 0, problems: [] };
  const byCourse = new Map<string, Map<string, LabelRecord>>();
  const seen = new Map<string, { row: number; label: boolean; conflict: boolean }>();
  for (const rec of records.slice(1)) {
    if (!rec.cells) {
      summary.problems.push({ row: rec.row, message: rec.error! });
      continue;
    }
    if (rec.cells.length !== header.cells.length) {
      summary.problems.push({
        row: rec.row,
        message: `it has ${rec.cells.length} cells where the header has ${header.cells.length}`,
      });
      continue;
    }
    const id = rec.cells[idCol]!.trim();
    const raw = rec.cells[humanCol]!;
    const value = parseHumanLabel(raw);
    if (value === null) {
      summary.blank++;
      continue;
    }
    if (value === undefined) {
      summary.problems.push({
        row: rec.row,
        message: `human_label ${JSON.stringify(raw)} is not readable: write 1/0, true/false or yes/no`,
      });
      continue;
    }
    const courseId = courseOfMessageId(id);
    const text = courseId && options.courses.includes(courseId) ? (await knownOf(courseId)).get(id) : undefined;
    if (text === undefined) {
      summary.problems.push({
        row: rec.row,
        message: `message_id ${JSON.stringify(id)} is not among the lake's sampled or labeled messages: ` +
          `keep the message_id column as labels:export wrote it`,
      });
      continue;
    }
    let m = byCourse.get(courseId!);
    if (!m) byCourse.set(courseId!, m = new Map());
    const earlier = seen.get(id);
    if (earlier && (earlier.conflict || earlier.label !== value)) {
      // Two answers for one message: neither is taken, and what the lake holds stays.
      earlier.conflict = true;
      m.delete(id);
      summary.problems.push({
        row: rec.row,
        message: `message_id ${JSON.stringify(id)} has human_label ${earlier.label ? 1 : 0} on row ${earlier.row} ` +
          `and ${value ? 1 : 0} here: neither row is taken; keep one row per message and import again`,
      });
      continue;
    }
    if (earlier) continue; // the same answer again
    seen.set(id, { row: rec.row, label: value, conflict: false });
    m.set(id, {
      message_id: id,
      text: text || uncell(textCol >= 0 ? rec.cells[textCol]! : ""),
      label: value,
      source: "human",
      confidence: 1,
      reason: `human audit (${options.file}, row ${rec.row})`,
    });
  }
  for (const [courseId, m] of byCourse) {
    await mergeLabelsFile(lake, courseId, "human", [...m.values()]);
    summary.imported[courseId] = m.size;
  }
  return summary;
}
