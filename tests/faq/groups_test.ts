import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { course, enc, fixture, seedRaw } from "../_helpers.ts";
import { loadEmbedder } from "../../lib/classify/embed.ts";
import { parseHead } from "../../lib/classify/head.ts";
import { GOLD_COLUMNS, type GoldRow, label, type LabelOptions } from "../../lib/classify/label.ts";
import { makePrefilter } from "../../lib/classify/prefilter.ts";
import {
  clarity,
  CLUSTER_COLUMNS,
  type ClusterRow,
  DEFAULT_GROUP_THRESHOLD,
  openGroups,
} from "../../lib/faq/groups.ts";
import { importFaq } from "../../lib/faq/import.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { type Lake, MemoryLake } from "../../lib/lake.ts";
import { clustersKey, coursePrefix } from "../../lib/layout.ts";
import { readParquetRows } from "../../lib/parquet.ts";

interface Item {
  day: string;
  topic: string | null;
  text: string;
}

const ITEMS: Item[] = (await Deno.readTextFile(fixture("faq", "groups.jsonl"))).trim().split("\n").map((l) =>
  JSON.parse(l)
);

function pairwiseF1(items: readonly Item[], ids: readonly string[]): number {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const same = items[i]!.topic !== null && items[i]!.topic === items[j]!.topic;
      const together = ids[i] === ids[j];
      if (same && together) tp++;
      else if (together) fp++;
      else if (same) fn++;
    }
  }
  const p = tp / (tp + fp || 1), r = tp / (tp + fn || 1);
  return (2 * p * r) / (p + r || 1);
}

async function groupIds(threshold: number): Promise<string[]> {
  const g = await openGroups(new MemoryLake(), "ml-zoomcamp", { threshold });
  return g.assign(ITEMS.map((it, i) => ({ messageId: `m${i}`, text: it.text, ts: BigInt(i) }))).map((x) => x.id);
}

Deno.test("openGroups() puts each topic's phrasings together and unrelated questions apart", async (t) => {
  await t.step("pairwise F1 at the default threshold beats single-link TF-IDF's ~0.7", async () => {
    const f1 = pairwiseF1(ITEMS, await groupIds(DEFAULT_GROUP_THRESHOLD));
    ok(f1 >= 0.85, `F1 ${f1}`);
  });
  await t.step("a threshold far too high splits everything, far too low merges more", async () => {
    assertEquals(new Set(await groupIds(0.99)).size, ITEMS.length);
    const normal = new Set(await groupIds(DEFAULT_GROUP_THRESHOLD)).size;
    ok(new Set(await groupIds(0.01)).size < normal);
  });
  await t.step("the clearest member is the text", () => {
    ok(clarity("How do I install pipenv on Windows?") > clarity("pipenv"));
    ok(
      clarity("Why does docker fail?") >
        clarity('Traceback (most recent call last):\n  File "a.py", line 1\n    x()\nError: docker failed'),
    );
  });
});

Deno.test("openGroups() keeps ids across reruns and later days, and writes the silver table", async () => {
  const lake = new MemoryLake();
  const half = ITEMS.slice(0, 15).map((it, i) => ({ messageId: `m${i}`, text: it.text, ts: BigInt(i) }));
  const g1 = await openGroups(lake, "ml-zoomcamp");
  const first = g1.assign(half).map((x) => x.id);
  await g1.save();

  // A rerun of the same messages, told their earlier groups, changes nothing.
  const g2 = await openGroups(lake, "ml-zoomcamp");
  const again = g2.assign(half.map((h, i) => ({ ...h, previousGroup: first[i]! }))).map((x) => x.id);
  assertEquals(again, first);
  await g2.save();
  const rows = readParquetRows<ClusterRow>(CLUSTER_COLUMNS, await lake.read(clustersKey("ml-zoomcamp")));
  assertEquals(rows.reduce((n, r) => n + r.size, 0), 15);

  // A later day adds one more phrasing of a topic seen before: it joins that group.
  const g3 = await openGroups(lake, "ml-zoomcamp");
  const [late] = g3.assign([{ messageId: "late", text: "docker daemon not running error on WSL", ts: 100n }]);
  assertEquals(late!.id, first[0]);
  const { touched } = await g3.save();
  assertEquals(touched, 1);
  const after = readParquetRows<ClusterRow>(CLUSTER_COLUMNS, await lake.read(clustersKey("ml-zoomcamp")));
  const docker = after.find((r) => r.id === first[0])!;
  ok(docker.member_ids.includes("late"));
  assertEquals(docker.last_seen, 100n);
  assertEquals(docker.first_seen, 0n);
});

const TINY = fixture("models/tiny");
const COURSES = [course("ml-zoomcamp"), course("de-zoomcamp")];
const embedder = await loadEmbedder(TINY);
const head = parseHead(await Deno.readTextFile(`${TINY}/head.json`), "head.json");

function options(extra: Partial<LabelOptions> = {}): LabelOptions {
  return { courses: COURSES, embedder, head, prefilter: makePrefilter(), mode: "batch", ...extra };
}

async function readGold(lake: Lake, courseId: string): Promise<GoldRow[]> {
  const rows: GoldRow[] = [];
  for await (const e of lake.list(coursePrefix("gold", courseId))) {
    rows.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
  }
  return rows;
}

Deno.test("label() fills the FAQ columns and canonical groups, stable across a forced rerun and a daily run", async (t) => {
  const lake = new MemoryLake();
  await seedRaw(lake);
  await ingest(lake, { courses: COURSES });
  await importFaq(lake, "ml-zoomcamp", fixture("faq", "_questions"));
  const summary = await label(lake, options());
  const gold = await readGold(lake, "ml-zoomcamp");
  await t.step("FAQ columns", async () => {
    assertEquals(summary.courses.map((c) => c.faqPath), ["lexical", "none"]);
    for (const g of gold) {
      ok(g.faq_status === "covered" || g.faq_status === "uncovered");
      ok(g.faq_matches.length <= 5);
      assertEquals(g.faq_match_id, g.faq_matches[0]?.faq_id ?? null);
    }
    const sklearn = gold.find((g) => (g.text ?? "").includes("No module named 'sklearn'"))!;
    assertEquals([sklearn.faq_match_id, sklearn.faq_status], ["d4e5f6a7b8", "covered"]);
    for (const g of await readGold(lake, "de-zoomcamp")) {
      assertEquals([g.faq_status, g.faq_matches, g.faq_match_id], [null, [], null]);
    }
  });
  await t.step("every candidate has a group, and the silver table lists it", async () => {
    ok(gold.every((g) => g.canonical_id?.startsWith("g-") && g.canonical_text));
    const rows = readParquetRows<ClusterRow>(CLUSTER_COLUMNS, await lake.read(clustersKey("ml-zoomcamp")));
    const members = new Set(rows.flatMap((r) => r.member_ids));
    ok(gold.every((g) => members.has(g.message_id)));
  });
  const ids = new Map(gold.map((g) => [g.message_id, g.canonical_id]));
  await t.step("a forced rerun keeps every id", async () => {
    await label(lake, options({ force: true }));
    const again = await readGold(lake, "ml-zoomcamp");
    assertEquals(new Map(again.map((g) => [g.message_id, g.canonical_id])), ids);
    const rows = readParquetRows<ClusterRow>(CLUSTER_COLUMNS, await lake.read(clustersKey("ml-zoomcamp")));
    assertEquals(rows.reduce((n, r) => n + r.size, 0), gold.length);
  });
  await t.step("a daily run that adds a phrasing joins the existing group and keeps the other ids", async () => {
    await label(lake, options({ mode: "daily" }));
    await lake.write(
      "raw/slack/ml-zoomcamp/year=2024/month=02/day=05/2024-02-05.json",
      enc(JSON.stringify([
        {
          type: "message",
          ts: "1707130000.000001",
          user: "U9",
          text: "ModuleNotFoundError no module named sklearn, how do I fix it?",
        },
      ])),
    );
    await ingest(lake, { courses: COURSES });
    const daily = await label(lake, options({ mode: "daily" }));
    assertEquals(daily.courses[0]!.groupsTouched, 1);
    const after = await readGold(lake, "ml-zoomcamp");
    for (const [m, id] of ids) assertEquals(after.find((g) => g.message_id === m)!.canonical_id, id);
    const sklearn = gold.find((g) => (g.text ?? "").includes("No module named 'sklearn'"))!;
    const added = after.find((g) => g.text?.startsWith("ModuleNotFoundError no module named sklearn"))!;
    assertEquals(added.canonical_id, sklearn.canonical_id);
  });
});
