/**
 * `deno task demo`: the whole pipeline on the bundled fixtures, offline, into a
 * local demo lake.
 *
 * It lands the fixture raw day files as a Slack fetcher would, imports the
 * fixture Slack exports, ingests everything to bronze, labels it with the
 * bundled test model into gold, and prints the top FAQ candidates per course.
 *
 * @module
 */

import { parseArgs } from "node:util";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT, lakeOf, loadConfig } from "../lib/cli.ts";
import { ingest } from "../lib/ingest/ingest.ts";
import { type Lake } from "../lib/lake.ts";
import { clustersKey, coursePrefix, parsePartitionKey } from "../lib/layout.ts";
import { BRONZE_COLUMNS, readParquetRows } from "../lib/parquet.ts";
import { CLASSIFY_ENV, setupClassifier } from "../lib/classify/setup.ts";
import { GOLD_COLUMNS, type GoldRow, label } from "../lib/classify/label.ts";
import { formatTable } from "../lib/tables.ts";
import { formatImportSummary } from "../lib/slack/summary.ts";
import { formatIngestSummary } from "../lib/ingest/summary.ts";
import { formatLabelSummary } from "../lib/classify/summary.ts";
import type { BronzeRow } from "../lib/slack/message.ts";
import { importExport, openExport } from "../lib/slack/export.ts";
import { importFaq } from "../lib/faq/import.ts";
import { CLUSTER_COLUMNS, type ClusterRow } from "../lib/faq/groups.ts";
import { buildReport, publishReport } from "../lib/report/report.ts";
import { reportWindow } from "../lib/report/stats.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIXTURES = path.join(ROOT, "fixtures");

const USAGE = `Usage: deno task demo [--lake DIR]

Runs the pipeline on the bundled fixtures, offline: lands the fixture raw files,
imports the fixture Slack exports, ingests to bronze, labels with the bundled test
model (fixtures/models/tiny) into gold, and shows the top FAQ candidates.

Options:
  --lake DIR   the demo lake (default: ./demo-lake)
  -h, --help   show this help`;

async function landFixtureRaw(lake: Lake, dir: string, prefix: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    const full = path.join(dir, e.name);
    if (e.isDirectory) n += await landFixtureRaw(lake, full, `${prefix}/${e.name}`);
    else if (e.isFile && !(await lake.stat(`${prefix}/${e.name}`))) {
      await lake.write(`${prefix}/${e.name}`, await Deno.readFile(full));
      n++;
    }
  }
  return n;
}

/**
 * Runs the demo.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let lakeUrl: string;
  try {
    const { values } = parseArgs({
      args,
      options: { lake: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    lakeUrl = values.lake ?? "./demo-lake";
  } catch (e) {
    console.error(`demo: ${(e as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const config = await loadConfig({
    configFile: path.join(ROOT, "courses.yml"),
    lake: lakeUrl,
    readTextFile: Deno.readTextFile,
  });
  const lake = await lakeOf(config);
  console.log(`Demo lake: ${lake.url}\n`);

  const landed = await landFixtureRaw(lake, path.join(FIXTURES, "raw"), "raw/slack");
  console.log(`1. Landed ${landed} fixture raw day file(s) under raw/slack/.\n`);

  console.log("2. Imported the fixture Slack exports (the second overlaps the first):");
  for (const name of ["export-a", "export-b"]) {
    const s = await importExport(await openExport(path.join(FIXTURES, "export", name)), lake, {
      channel: "course-ml-zoomcamp",
      rawPrefix: "raw/slack/ml-zoomcamp",
    });
    console.log(formatImportSummary(s, "ml-zoomcamp"));
  }

  console.log("\n   Imported the fixture FAQ (fixtures/faq/_questions):");
  const faqRows: (string | number)[][] = [];
  for (const course of config.courses) {
    const r = await importFaq(lake, course.id, path.join(FIXTURES, "faq", "_questions"));
    faqRows.push([course.id, r.entries, r.problems.length, r.written ? "yes" : "no (unchanged)"]);
  }
  console.log(formatTable(["course", "FAQ entries", "left out", "written"], faqRows));

  console.log("\n3. Ingested raw to bronze:");
  const summary = await ingest(lake, { courses: config.courses });
  console.log(formatIngestSummary(summary, lake.url));

  console.log("\n4. Bronze now holds:");
  const rows: (string | number)[][] = [];
  for (const course of config.courses) {
    const all: BronzeRow[] = [];
    for await (const e of lake.list(coursePrefix("bronze", course.id))) {
      all.push(...readParquetRows<BronzeRow>(BRONZE_COLUMNS, await lake.read(e.key)));
    }
    const heads = all.filter((r) => r.is_thread_head && !r.subtype && !r.bot_id);
    rows.push([course.id, all.length, heads.length, all.length - heads.length]);
  }
  console.log(formatTable(["course", "bronze rows", "top-level human", "replies, bots, joins, ..."], rows));

  console.log("\n5. Labeled bronze into gold with the bundled test model:");
  const env = Object.fromEntries(CLASSIFY_ENV.map((n) => [n, Deno.env.get(n)]));
  const clf = await setupClassifier({
    flags: { model: path.join(FIXTURES, "models", "tiny") },
    env,
    config,
    cache: lake,
  });
  if (clf.llmNotice) console.log(clf.llmNotice);
  try {
    const labels = await label(lake, {
      courses: config.courses,
      embedder: clf.embedder,
      head: clf.head,
      prefilter: clf.prefilter,
      band: clf.band,
      mode: "batch",
      ...(clf.llm ? { llm: clf.llm } : {}),
    });
    console.log(formatLabelSummary(labels));
  } finally {
    await clf.embedder.dispose();
  }

  console.log("\n6. Top FAQ candidates per course:");
  for (const course of config.courses) {
    const gold: GoldRow[] = [];
    for await (const e of lake.list(coursePrefix("gold", course.id))) {
      gold.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
    }
    const top = gold.filter((g) => g.is_faq).sort((a, b) => b.score - a.score).slice(0, 5);
    console.log(`\n${course.id}: ${gold.filter((g) => g.is_faq).length} FAQ of ${gold.length} candidates`);
    for (const g of top) {
      console.log(`  ${g.score.toFixed(2)} [${g.decision_source}] ${(g.text ?? "").replace(/\s+/g, " ").slice(0, 90)}`);
    }
  }
  console.log("\n7. What the FAQ covers, and the largest groups it does not:");
  for (const course of config.courses) {
    const gold: GoldRow[] = [];
    for await (const e of lake.list(coursePrefix("gold", course.id))) {
      gold.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
    }
    const covered = gold.filter((g) => g.faq_status === "covered").length;
    console.log(`\n${course.id}: the FAQ covers ${covered} of ${gold.length} questions`);
    const key = clustersKey(course.id);
    if (!(await lake.stat(key))) continue;
    const groups = readParquetRows<ClusterRow>(CLUSTER_COLUMNS, await lake.read(key))
      .filter((c) => c.faq_match_id === null)
      .sort((a, b) => b.size - a.size)
      .slice(0, 3);
    for (const c of groups) {
      console.log(`  ${c.size} x ${c.canonical_text.replace(/\s+/g, " ").slice(0, 90)}`);
    }
  }
  console.log(
    `\nThis demo used the bundled test model (fixtures/models/tiny): a small encoder with random weights made by\n` +
      `"deno task model:synth", so its scores show the pipeline working, not real FAQ quality. For real labels:\n` +
      `  deno task model:pull            # once, where the internet is reachable: Xenova/all-MiniLM-L6-v2\n` +
      `  deno task train --labels FILE.jsonl --model models/Xenova/all-MiniLM-L6-v2\n` +
      `  deno task label:batch\n`,
  );
  console.log(
    `Query it: duckdb -c "SELECT course_id, count(*) FROM read_parquet('${
      lakeUrl.replace(/\/$/, "")
    }/gold/faq_labels/**/*.parquet', hive_partitioning = true) WHERE is_faq GROUP BY 1"`,
  );
  // The fixtures are from the past: the report's window ends on the newest labeled day.
  let last = "";
  for (const course of config.courses) {
    for await (const e of lake.list(coursePrefix("gold", course.id))) {
      const day = parsePartitionKey(e.key)?.day ?? "";
      if (day > last) last = day;
    }
  }
  const today = new Date().toISOString().slice(0, 10);
  const report = await buildReport(lake, {
    courses: config.courses,
    window: reportWindow(today, undefined, last || today),
    ...(config.slack?.domain ? { slackDomain: config.slack.domain } : {}),
  });
  const keys = await publishReport(lake, report.html, today);
  const page = lake.url.startsWith("file://")
    ? path.join(fileURLToPath(lake.url), keys[0]!)
    : `${lake.url.replace(/\/$/, "")}/${keys[0]}`;
  console.log(`\n8. The maintainers' report (deno task report), for the 8 weeks to ${last || today}:\n   ${page}`);
  return summary.quarantine.length > 0 ? EXIT.problems : EXIT.ok;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
