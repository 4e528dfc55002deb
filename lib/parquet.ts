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
  | "files";

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

function arrowType(kind: ColumnKind): arrow.DataType {
  switch (kind) {
    case "string":
      return new arrow.Utf8();
    case "bool":
      return new arrow.Bool();
    case "int32":
      return new arrow.Int32();
    case "int64":
      return new arrow.Int64();
    case "float64":
      return new arrow.Float64();
    case "timestamp":
      return new arrow.TimestampMicrosecond("UTC");
    case "reactions":
      return new arrow.List(new arrow.Field("element", REACTION, true));
    case "files":
      return new arrow.List(new arrow.Field("element", FILE, true));
  }
}

function col(name: string, kind: ColumnKind, nullable = true): ColumnSpec {
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

/**
 * The Arrow schema of a table.
 *
 * @param columns The table's columns.
 * @returns The schema.
 */
export function arrowSchema(columns: readonly ColumnSpec[]): arrow.Schema {
  return new arrow.Schema(columns.map((c) => new arrow.Field(c.name, arrowType(c.kind), c.nullable)));
}

function timestampVector(values: (bigint | null)[]): arrow.Vector {
  const n = values.length;
  const data = new BigInt64Array(n);
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) nulls++;
    else {
      data[i] = v;
      bitmap[i >> 3]! |= 1 << (i & 7);
    }
  }
  return arrow.makeVector(arrow.makeData({
    type: new arrow.TimestampMicrosecond("UTC"),
    length: n,
    nullCount: nulls,
    nullBitmap: nulls ? bitmap : null,
    data,
  }));
}

function columnVector(spec: ColumnSpec, values: unknown[]): arrow.Vector {
  if (spec.kind === "timestamp") return timestampVector(values as (bigint | null)[]);
  if (spec.kind === "int64") {
    return arrow.vectorFromArray(values.map((v) => (v === null ? null : BigInt(v as number))), new arrow.Int64());
  }
  if (spec.kind === "files") {
    const lists = (values as { size: number | null }[][]).map((files) =>
      files.map((f) => ({ ...f, size: f.size === null ? null : BigInt(f.size) }))
    );
    return arrow.vectorFromArray(lists, arrowType("files"));
  }
  return arrow.vectorFromArray(values, arrowType(spec.kind));
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
  for (const spec of columns) {
    const values = rows.map((r) => (r as Record<string, unknown>)[spec.name] ?? null);
    vectors[spec.name] = columnVector(spec, values);
  }
  return new arrow.Table(vectors);
}

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
  const props = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.ZSTD)
    .setCreatedBy("slack-faq-lake")
    .build();
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
