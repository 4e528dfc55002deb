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

Deno.test("DuckDB reads reference/faq, silver/faq_clusters and gold's FAQ columns", async (t) => {
  const { fixture } = await import("./_helpers.ts");
  const { loadEmbedder } = await import("../lib/classify/embed.ts");
  const { parseHead } = await import("../lib/classify/head.ts");
  const { label } = await import("../lib/classify/label.ts");
  const { makePrefilter } = await import("../lib/classify/prefilter.ts");
  const { importFaq } = await import("../lib/faq/import.ts");
  const dir = await Deno.makeTempDir({ prefix: "lake-duck-faq-" });
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const query = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
  const tiny = fixture("models", "tiny");
  const embedder = await loadEmbedder(tiny);
  try {
    const lake = new LocalLake(dir);
    const courses = [course("ml-zoomcamp"), course("de-zoomcamp")];
    await seedRaw(lake);
    await ingest(lake, { courses });
    await importFaq(lake, "ml-zoomcamp", fixture("faq", "_questions"));
    const head = parseHead(await Deno.readTextFile(`${tiny}/head.json`), "head.json");
    await label(lake, { courses, embedder, head, prefilter: makePrefilter(), mode: "batch" });

    await t.step("reference/faq", async () => {
      assertEquals(
        await query(
          `SELECT course_id, count(*) AS n, count(DISTINCT id) AS ids, min(length(answer_plain)) > 0 AS answered
           FROM read_parquet('${dir}/reference/faq/**/*.parquet', hive_partitioning = true) GROUP BY 1`,
        ),
        [{ course_id: "ml-zoomcamp", n: "6", ids: "6", answered: true }],
      );
    });
    const gold = `read_parquet('${dir}/gold/faq_labels/**/*.parquet', hive_partitioning = true)`;
    await t.step("gold's FAQ columns", async () => {
      assertEquals(
        await query(
          `SELECT course_id, count(*) FILTER (faq_status IS NULL) AS no_faq,
                  count(*) FILTER (faq_match_id = faq_matches[1].faq_id AND faq_match_score = faq_matches[1].score) AS best,
                  count(*) AS n
           FROM ${gold} GROUP BY 1 ORDER BY 1`,
        ),
        [
          { course_id: "de-zoomcamp", no_faq: "1", best: "0", n: "1" },
          { course_id: "ml-zoomcamp", no_faq: "0", best: "4", n: "4" },
        ],
      );
      assertEquals(
        await query(`SELECT DISTINCT typeof(faq_matches) AS t FROM ${gold}`),
        [{ t: "STRUCT(faq_id VARCHAR, score DOUBLE)[]" }],
      );
    });
    await t.step("silver/faq_clusters joins gold on canonical_id and its members", async () => {
      const silver = `read_parquet('${dir}/silver/faq_clusters/**/*.parquet', hive_partitioning = true)`;
      assertEquals(
        await query(
          `SELECT count(*) AS bad FROM ${gold} g LEFT JOIN ${silver} s
           ON s.course_id = g.course_id AND s.id = g.canonical_id
           WHERE s.id IS NULL OR NOT list_contains(s.member_ids, g.message_id)`,
        ),
        [{ bad: "0" }],
      );
      assertEquals(
        await query(`SELECT sum(size) AS n, min(first_seen <= last_seen) AS ordered FROM ${silver}`),
        [{ n: "5", ordered: true }],
      );
    });
  } finally {
    conn.closeSync();
    await embedder.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
