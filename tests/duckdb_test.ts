// Any SQL engine can read the lake: DuckDB reads bronze as a Hive-partitioned table.
import { deepEqual as assertEquals } from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { course, seedRaw } from "./_helpers.ts";
import { ingest } from "../lib/ingest/ingest.ts";
import { LocalLake } from "../lib/lake.ts";

Deno.test("DuckDB reads bronze with hive_partitioning and gets the expected counts", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lake-duck-" });
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const query = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
  try {
    const lake = new LocalLake(dir);
    await seedRaw(lake);
    await ingest(lake, { courses: [course("ml-zoomcamp"), course("de-zoomcamp")] });
    const table = `read_parquet('${dir}/bronze/slack/messages/**/*.parquet', hive_partitioning = true)`;

    await t.step("rows, unique ids and thread heads per course", async () => {
      assertEquals(
        await query(
          `SELECT course_id, count(*) AS n, count(DISTINCT message_id) AS ids, count(*) FILTER (is_thread_head) AS heads
           FROM ${table} GROUP BY course_id ORDER BY course_id`,
        ),
        [
          { course_id: "de-zoomcamp", n: "2", ids: "2", heads: "1" },
          { course_id: "ml-zoomcamp", n: "16", ids: "16", heads: "12" },
        ],
      );
    });
    await t.step("ts is a UTC timestamp equal to ts_raw to the microsecond", async () => {
      assertEquals(
        await query(
          `SELECT count(*) AS bad FROM ${table}
           WHERE epoch_us(ts) <> split_part(ts_raw, '.', 1)::BIGINT * 1000000 + rpad(split_part(ts_raw, '.', 2), 6, '0')::BIGINT`,
        ),
        [{ bad: "0" }],
      );
      assertEquals(await query(`SELECT DISTINCT typeof(ts) AS t FROM ${table}`), [{ t: "TIMESTAMP WITH TIME ZONE" }]);
    });
    await t.step("partition folders are the UTC dates of ts", async () => {
      assertEquals(
        await query(
          `SELECT count(*) AS bad FROM ${table}
           WHERE strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%d') <> concat(year, '-', month, '-', day)`,
        ),
        [{ bad: "0" }],
      );
    });
    await t.step("nested columns and zstd", async () => {
      assertEquals(
        await query(`SELECT r.name, r.count FROM ${table}, unnest(reactions) AS u(r) ORDER BY r.name`),
        [{ name: "+1", count: 3 }, { name: "eyes", count: 1 }, { name: "heart", count: 1 }],
      );
      assertEquals(
        await query(`SELECT DISTINCT compression FROM parquet_metadata('${dir}/bronze/slack/messages/**/*.parquet')`),
        [{ compression: "ZSTD" }],
      );
    });
  } finally {
    conn.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
});
