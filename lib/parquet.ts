/**
 * Rows to Parquet bytes and back, through Arrow columns, with the bronze
 * schema.
 *
 * Columns are built straight from the rows, one typed array per column;
 * timestamps go in as `BigInt64Array` microseconds so that none is rounded.
 * Files are zstd-compressed by parquet-wasm.
 *
 * @module
 */

import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm";

/** The kinds of column a table schema can hold. */
export type ColumnKind =
  | "string"
  | "bool"
  | "int32"
  | "int64"
  | "float64"
  | "timestamp"
  | "reactions"
  | "files"
  | "faq_matches"
  | "strings";

/** One column of a table schema. */
export interface ColumnSpec {
  /** The column name. */
  name: string;
  /** Its kind. */
  kind: ColumnKind;
  /** Whether it may hold nulls. */
  nullable: boolean;
}

const REACTION = new arrow.Struct([
  new arrow.Field("name", new arrow.Utf8(), true),
  new arrow.Field("count", new arrow.Int32(), true),
]);
const FILE = new arrow.Struct([
  new arrow.Field("id", new arrow.Utf8(), true),
  new arrow.Field("name", new arrow.Utf8(), true),
  new arrow.Field("mimetype", new arrow.Utf8(), true),
  new arrow.Field("size", new arrow.Int64(), true),
  new arrow.Field("url_private", new arrow.Utf8(), true),
]);

const FAQ_MATCH = new arrow.Struct([
  new arrow.Field("faq_id", new arrow.Utf8(), true),
  new arrow.Field("score", new arrow.Float64(), true),
]);

/**
 * One column of a table schema.
 *
 * @param name The column name.
 * @param kind Its kind.
 * @param nullable Whether it may hold nulls.
 * @returns The column.
 */
export function col(name: string, kind: ColumnKind, nullable = true): ColumnSpec {
  return { name, kind, nullable };
}

/** The bronze messages table, in column order. */
export const BRONZE_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  col("message_id", "string", false),
  col("course_id", "string", false),
  col("channel", "string"),
  col("channel_id", "string"),
  col("ts", "timestamp", false),
  col("ts_raw", "string", false),
  col("thread_ts", "timestamp"),
  col("thread_ts_raw", "string"),
  col("is_thread_head", "bool", false),
  col("user_id", "string"),
  col("user_name", "string"),
  col("client_msg_id", "string"),
  col("bot_id", "string"),
  col("subtype", "string"),
  col("text", "string"),
  col("text_plain", "string"),
  col("reactions", "reactions", false),
  col("files", "files", false),
  col("reply_count", "int32"),
  col("reply_users_count", "int32"),
  col("latest_reply", "timestamp"),
  col("edited_ts", "timestamp"),
  col("deleted", "bool", false),
  col("ingestion_time", "timestamp", false),
  col("source_file_path", "string", false),
  col("sha256", "string", false),
  col("year", "int32", false),
  col("month", "int32", false),
  col("day", "int32", false),
]);

/** A validity bitmap for `values`, or `null` when nothing is null, and the null count. */
function validity(values: readonly unknown[]): { bitmap: Uint8Array | null; nulls: number } {
  const n = values.length;
  let nulls = 0;
  for (let i = 0; i < n; i++) if (values[i] === null || values[i] === undefined) nulls++;
  if (nulls === 0) return { bitmap: null, nulls };
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (values[i] !== null && values[i] !== undefined) bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap, nulls };
}

function timestampVector(values: readonly unknown[]): arrow.Vector {
  const n = values.length;
  const data = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "bigint") data[i] = v;
  }
  const { bitmap, nulls } = validity(values);
  return arrow.makeVector(arrow.makeData({
    type: new arrow.TimestampMicrosecond("UTC"),
    length: n,
    nullCount: nulls,
    nullBitmap: bitmap,
    data,
  }));
}

const utf8 = new TextEncoder();

// Encoding strings straight into one buffer is ~10x faster than Arrow's generic builder.
function utf8Vector(values: readonly unknown[]): arrow.Vector {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "string") chars += v.length;
  }
  let buf = new Uint8Array(Math.max(64, Math.ceil(chars * 1.2)));
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "string" && v.length > 0) {
      if (buf.length - pos < v.length * 3) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, pos + v.length * 3));
        bigger.set(buf.subarray(0, pos));
        buf = bigger;
      }
      pos += utf8.encodeInto(v, buf.subarray(pos)).written;
    }
    offsets[i + 1] = pos;
  }
  const { bitmap, nulls } = validity(values);
  return arrow.makeVector(arrow.makeData({
    type: new arrow.Utf8(),
    length: n,
    nullCount: nulls,
    nullBitmap: bitmap,
    valueOffsets: offsets,
    data: buf.subarray(0, pos),
  }));
}

function boolVector(values: readonly unknown[]): arrow.Vector {
  const n = values.length;
  const data = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (values[i] === true) data[i >> 3]! |= 1 << (i & 7);
  const { bitmap, nulls } = validity(values);
  return arrow.makeVector(
    arrow.makeData({ type: new arrow.Bool(), length: n, nullCount: nulls, nullBitmap: bitmap, data }),
  );
}

function numberVector(values: readonly unknown[], kind: "int32" | "float64"): arrow.Vector {
  const n = values.length;
  const data = kind === "int32" ? new Int32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "number") data[i] = v;
  }
  const { bitmap, nulls } = validity(values);
  const type = kind === "int32" ? new arrow.Int32() : new arrow.Float64();
  return arrow.makeVector(arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: bitmap, data } as never));
}

function columnVector(spec: ColumnSpec, values: unknown[]): arrow.Vector {
  switch (spec.kind) {
    case "timestamp":
      return timestampVector(values);
    case "string":
      return utf8Vector(values);
    case "bool":
      return boolVector(values);
    case "int32":
    case "float64":
      return numberVector(values, spec.kind);
    case "int64":
      return int64Vector(values);
    case "files":
      return listOfStructs(values, FILE, [["id", utf8Vector], ["name", utf8Vector], ["mimetype", utf8Vector], [
        "size",
        int64Vector,
      ], ["url_private", utf8Vector]]);
    case "reactions":
      return listOfStructs(values, REACTION, [["name", utf8Vector], ["count", (v) => numberVector(v, "int32")]]);
    case "faq_matches":
      return listOfStructs(values, FAQ_MATCH, [["faq_id", utf8Vector], ["score", (v) => numberVector(v, "float64")]]);
    case "strings":
      return listOfStrings(values);
  }
}

function int64Vector(values: readonly unknown[]): arrow.Vector {
  const n = values.length;
  const data = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "number") data[i] = BigInt(Math.trunc(v));
    else if (typeof v === "bigint") data[i] = v;
  }
  const { bitmap, nulls } = validity(values);
  return arrow.makeVector(
    arrow.makeData({ type: new arrow.Int64(), length: n, nullCount: nulls, nullBitmap: bitmap, data }),
  );
}

/** A list<string> column. */
function listOfStrings(values: readonly unknown[]): arrow.Vector {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const items: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const list = values[i];
    if (Array.isArray(list)) items.push(...list);
    offsets[i + 1] = items.length;
  }
  return arrow.makeVector(arrow.makeData({
    type: new arrow.List(new arrow.Field("element", new arrow.Utf8(), true)),
    length: n,
    nullCount: 0,
    valueOffsets: offsets,
    child: utf8Vector(items).data[0]!,
  }));
}

/**
 * A list<struct> column (reactions, files) built from its flattened fields: the generic Arrow builder costs a
 * microsecond a row here.
 */
function listOfStructs(
  values: readonly unknown[],
  type: arrow.Struct,
  fields: [string, (v: readonly unknown[]) => arrow.Vector][],
): arrow.Vector {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const list = values[i];
    if (Array.isArray(list)) { for (const item of list) items.push(item as Record<string, unknown>); }
    offsets[i + 1] = items.length;
  }
  const children = fields.map(([name, build]) => build(items.map((it) => it[name] ?? null)).data[0]!);
  const struct = arrow.makeData({ type, length: items.length, nullCount: 0, children });
  return arrow.makeVector(arrow.makeData({
    type: new arrow.List(new arrow.Field("element", type, true)),
    length: n,
    nullCount: 0,
    valueOffsets: offsets,
    child: struct,
  }));
}

/**
 * Builds an Arrow table from rows, column by column.
 *
 * @param columns The table's columns.
 * @param rows Rows whose fields are named like the columns.
 * @returns The table.
 */
export function rowsToTable<R extends object>(columns: readonly ColumnSpec[], rows: readonly R[]): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {};
  const pluck = pluckers(columns);
  for (let c = 0; c < columns.length; c++) {
    vectors[columns[c]!.name] = columnVector(columns[c]!, pluck[c]!(rows));
  }
  return new arrow.Table(vectors);
}

type Plucker = (rows: readonly object[]) => unknown[];
const PLUCKERS = new WeakMap<readonly ColumnSpec[], Plucker[]>();

/**
 * One compiled column reader per column: `rows[i].name` with a fixed name is a
 * monomorphic property load, where a shared `r[name]` is megamorphic and
 * several times slower over hundreds of thousands of rows.
 */
function pluckers(columns: readonly ColumnSpec[]): Plucker[] {
  let out = PLUCKERS.get(columns);
  if (!out) {
    out = columns.map((c) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(c.name)) throw new TypeError(`Column name "${c.name}" is not a plain identifier`);
      return new Function(
        "rows",
        `const n = rows.length, out = new Array(n); for (let i = 0; i < n; i++) { const v = rows[i].${c.name}; out[i] = v === undefined ? null : v; } return out;`,
      ) as Plucker;
    });
    PLUCKERS.set(columns, out);
  }
  return out;
}

const DICTIONARY_COLUMNS = ["course_id", "channel", "channel_id", "subtype", "source_file_path", "decision_source"];

/**
 * Writes rows as one zstd-compressed Parquet file.
 *
 * @param columns The table's columns.
 * @param rows The rows.
 * @returns The Parquet bytes.
 * @example
 * ```ts
 * import { BRONZE_COLUMNS, writeParquet } from "./parquet.ts";
 * const bytes = writeParquet(BRONZE_COLUMNS, []);
 * ```
 */
export function writeParquet<R extends object>(columns: readonly ColumnSpec[], rows: readonly R[]): Uint8Array {
  const table = rowsToTable(columns, rows);
  const wasmTable = pq.Table.fromIPCStream(arrow.tableToIPC(table, "stream"));
  // Dictionary pages cost three times the write time of zstd alone and gave bigger files on
  // Slack data; keep them only for the columns with few distinct values.
  let builder = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.ZSTD)
    .setDictionaryEnabled(false)
    .setCreatedBy("slack-faq-lake");
  for (const c of DICTIONARY_COLUMNS) {
    if (columns.some((spec) => spec.name === c)) builder = builder.setColumnDictionaryEnabled(c, true);
  }
  const props = builder.build();
  return pq.writeParquet(wasmTable, props);
}

/**
 * Reads a Parquet file into an Arrow table.
 *
 * @param bytes Parquet bytes.
 * @returns The table.
 * @throws {SyntaxError} When the bytes are not a Parquet file.
 */
export function readParquetTable(bytes: Uint8Array): arrow.Table {
  try {
    return arrow.tableFromIPC(pq.readParquet(bytes).intoIPCStream());
  } catch (e) {
    throw new SyntaxError(`Not a readable Parquet file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Reads a Parquet file back into plain rows: timestamps as `bigint`
 * microseconds, lists as arrays of plain objects, 64-bit integers as numbers.
 *
 * @param columns The columns to read; others in the file are left out.
 * @param bytes Parquet bytes.
 * @returns The rows.
 * @throws {SyntaxError} When the bytes are not a Parquet file.
 */
export function readParquetRows<R>(columns: readonly ColumnSpec[], bytes: Uint8Array): R[] {
  const table = readParquetTable(bytes);
  const rows: Record<string, unknown>[] = Array.from({ length: table.numRows }, () => ({}));
  for (const spec of columns) {
    const vector = table.getChild(spec.name);
    if (!vector) continue;
    let i = 0;
    for (const data of vector.data) {
      const chunk = arrow.makeVector(data);
      for (let j = 0; j < data.length; j++, i++) {
        let v: unknown = null;
        if (data.getValid(j)) {
          // Arrow's getter turns timestamps into float milliseconds; read the raw microseconds.
          v = spec.kind === "timestamp" ? (data.values as BigInt64Array)[data.offset + j]! : toPlain(chunk.get(j));
        }
        rows[i]![spec.name] = v;
      }
    }
  }
  return rows as R[];
}

function toPlain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof arrow.Vector) return [...v].map(toPlain);
  if (typeof v === "object" && v !== null && "toJSON" in v) {
    const obj = (v as { toJSON(): Record<string, unknown> }).toJSON();
    return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, toPlain(x)]));
  }
  return v;
}
