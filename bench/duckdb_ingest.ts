/**
 * The anchor for the ingest benchmark: DuckDB's read_json, then COPY to Hive-partitioned zstd Parquet,
 * over the same raw files, with columns comparable to bronze (exact ts, thread head, rendered text,
 * reactions and files with the token stripped, newest version per message).
 *
 * Usage: deno run -A bench/duckdb_ingest.ts RAW_GLOB OUT_DIR
 *
 * @module
 */

import { DuckDBInstance } from "@duckdb/node-api";

const [glob, out] = Deno.args;
if (!glob || !out) throw new TypeError("usage: duckdb_ingest.ts RAW_GLOB OUT_DIR");
const db = await DuckDBInstance.create(":memory:");
const c = await db.connect();
const micros = (col: string) =>
  `CASE WHEN ${col} IS NULL THEN NULL ELSE make_timestamp(CAST(split_part(${col}, '.', 1) AS BIGINT) * 1000000 + CAST(rpad(split_part(${col}, '.', 2), 6, '0') AS BIGINT)) END`;
const sql = `
COPY (
  WITH raw AS (
    SELECT *, regexp_extract(filename, 'raw/slack/([^/]+)/', 1) AS course_id
    FROM read_json('${glob}', format = 'array', filename = true, union_by_name = true,
      columns = {type: 'VARCHAR', subtype: 'VARCHAR', ts: 'VARCHAR', thread_ts: 'VARCHAR', user: 'VARCHAR',
        client_msg_id: 'VARCHAR', bot_id: 'VARCHAR', text: 'VARCHAR', reply_count: 'INTEGER',
        reply_users_count: 'INTEGER', latest_reply: 'VARCHAR', edited: 'STRUCT(user VARCHAR, ts VARCHAR)',
        reactions: 'STRUCT(name VARCHAR, users VARCHAR[], count INTEGER)[]',
        files: 'STRUCT(id VARCHAR, name VARCHAR, mimetype VARCHAR, size BIGINT, url_private VARCHAR)[]'})
  ), rows AS (
    SELECT
      course_id || ':' || ts AS message_id, course_id, ${micros("ts")} AS ts, ts AS ts_raw,
      ${micros("thread_ts")} AS thread_ts, thread_ts AS thread_ts_raw,
      (thread_ts IS NULL OR thread_ts = ts) AS is_thread_head, "user" AS user_id, client_msg_id, bot_id, subtype,
      regexp_replace(text, 'xox[a-z]-[A-Za-z0-9-]+', '[REDACTED]', 'g') AS text,
      replace(replace(replace(regexp_replace(regexp_replace(regexp_replace(text,
        '<@([A-Za-z0-9]+)\\|([^>]+)>', '@\\2', 'g'), '<@([A-Za-z0-9]+)>', '@\\1', 'g'), '<([^|>]+)\\|([^>]+)>', '\\2', 'g'),
        '&lt;', '<'), '&gt;', '>'), '&amp;', '&') AS text_plain,
      list_transform(coalesce(reactions, []), r -> {'name': r.name, 'count': r.count}) AS reactions,
      list_transform(coalesce(files, []), f -> {'id': f.id, 'name': f.name, 'mimetype': f.mimetype, 'size': f.size,
        'url_private': regexp_replace(f.url_private, '\\?t=[^&]*', '')}) AS files,
      reply_count, reply_users_count, ${micros("latest_reply")} AS latest_reply, ${micros("edited.ts")} AS edited_ts,
      coalesce(subtype = 'tombstone', false) AS deleted, now() AS ingestion_time, filename AS source_file_path,
      sha256(coalesce(text, '')) AS sha256
    FROM raw
  )
  SELECT *, year(ts) AS year, lpad(month(ts)::VARCHAR, 2, '0') AS month, lpad(day(ts)::VARCHAR, 2, '0') AS day
  FROM rows
  QUALIFY row_number() OVER (PARTITION BY message_id ORDER BY deleted DESC, edited_ts DESC NULLS LAST) = 1
) TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (course_id, year, month, day), OVERWRITE_OR_IGNORE true)`;
const t0 = performance.now();
await c.run(sql);
const n = await c.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${out}/**/*.parquet')`);
console.log(JSON.stringify({ rows: Number(n.getRowObjectsJson()[0]!.n), ms: Math.round(performance.now() - t0) }));
c.closeSync();
