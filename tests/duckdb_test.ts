// Any SQL engine can read the lake: DuckDB reads bronze and gold as Hive-partitioned tables.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { course, fixture, seedRaw } from "./_helpers.ts";
import { loadEmbedder } from "../lib/classify/embed.ts";
import { parseHead } from "../lib/classify/head.ts";
import { label } from "../lib/classify/label.ts";
import { makePrefilter } from "../lib/classify/prefilter.ts";
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

Deno.test("DuckDB reads gold timestamps as TIMESTAMP, exact to the microsecond", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lake-duck-gold-" });
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const query = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
  const embedder = await loadEmbedder(fixture("models/tiny"));
  try {
    const lake = new LocalLake(dir);
    const courses = [course("ml-zoomcamp"), course("de-zoomcamp")];
    await seedRaw(lake);
    await ingest(lake, { courses });
    const head = parseHead(await Deno.readTextFile(fixture("models/tiny/head.json")), "head.json");
    const labeledAt = new Date("2024-05-06T07:08:09.123Z");
    await label(lake, { courses, embedder, head, prefilter: makePrefilter(), mode: "batch", now: () => labeledAt });
    const gold = `read_parquet('${dir}/gold/faq_labels/**/*.parquet', hive_partitioning = true)`;
    const bronze = `read_parquet('${dir}/bronze/slack/messages/**/*.parquet', hive_partitioning = true)`;

    await t.step("ts, thread_ts and labeled_at are timestamps, not integers", async () => {
      assertEquals(
        await query(
          `SELECT DISTINCT typeof(ts) AS ts, typeof(thread_ts) AS thread_ts, typeof(labeled_at) AS at FROM ${gold}`,
        ),
        [{ ts: "TIMESTAMP WITH TIME ZONE", thread_ts: "TIMESTAMP WITH TIME ZONE", at: "TIMESTAMP WITH TIME ZONE" }],
      );
    });
    await t.step("every gold ts equals its bronze ts_raw to the microsecond", async () => {
      const [row] = await query(
        `SELECT count(*) AS n, count(*) FILTER (epoch_us(g.ts) <> split_part(b.ts_raw, '.', 1)::BIGINT * 1000000
                + rpad(split_part(b.ts_raw, '.', 2), 6, '0')::BIGINT) AS bad,
                count(*) FILTER (g.thread_ts IS DISTINCT FROM b.thread_ts) AS bad_thread
         FROM ${gold} g JOIN ${bronze} b USING (message_id)`,
      );
      ok(Number(row!.n) > 0, JSON.stringify(row));
      assertEquals([row!.bad, row!.bad_thread], ["0", "0"]);
    });
    await t.step("labeled_at is the run's time, and microseconds survive", async () => {
      assertEquals(await query(`SELECT DISTINCT epoch_us(labeled_at) AS us FROM ${gold}`), [
        { us: String(BigInt(labeledAt.getTime()) * 1000n) },
      ]);
      const micro = await query(
        `SELECT count(*) AS n FROM ${gold} WHERE epoch_us(ts) % 1000000 <> 0 AND epoch_us(ts) % 1000 <> 0`,
      );
      ok(Number(micro[0]!.n) > 0, "some ts carries microseconds below the millisecond");
    });
  } finally {
    await embedder.dispose();
    conn.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DuckDB reads reference/faq, silver/faq_clusters and gold's FAQ columns", async (t) => {
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
