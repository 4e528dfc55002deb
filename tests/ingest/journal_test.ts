import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, course, dec, enc, fixture } from "../_helpers.ts";
import { changesPrefix, ingest } from "../../lib/ingest/ingest.ts";
import { label, type LabelOptions } from "../../lib/classify/label.ts";
import { loadEmbedder } from "../../lib/classify/embed.ts";
import { parseHead } from "../../lib/classify/head.ts";
import { makePrefilter } from "../../lib/classify/prefilter.ts";
import { type Lake, type LakeEntry, MemoryLake, type WriteOptions } from "../../lib/lake.ts";
import { addDays, changesKey, coursePrefix, type Day, parsePartitionKey, rawDayKey } from "../../lib/layout.ts";

const TINY = fixture("models/tiny");
const ML = course("ml");
const embedder = await loadEmbedder(TINY);
const head = parseHead(await Deno.readTextFile(`${TINY}/head.json`), "head.json");
const daily: LabelOptions = { courses: [ML], embedder, head, prefilter: makePrefilter(), mode: "daily" };

/** One question per day, so every bronze day has a gold partition. */
async function seedDays(lake: Lake, n: number, first: Day = "2024-01-01"): Promise<Day[]> {
  const days: Day[] = [];
  for (let i = 0; i < n; i++) {
    const day = addDays(first, i);
    const secs = Date.parse(`${day}T12:00:00Z`) / 1000;
    await lake.write(
      rawDayKey("raw/slack/ml", day),
      enc(
        JSON.stringify([{ type: "message", user: "U1", ts: `${secs}.000100`, text: `How do I install docker ${i}?` }]),
      ),
    );
    days.push(day);
  }
  return days;
}

async function days(lake: Lake, table: "bronze" | "gold"): Promise<Day[]> {
  const out: Day[] = [];
  for await (const e of lake.list(coursePrefix(table, "ml"))) out.push(parsePartitionKey(e.key)!.day);
  return out.sort();
}

/** A lake whose writes fail once `fail` says so, like a process killed or a store gone mid-run. */
class FailingLake implements Lake {
  writes: string[] = [];
  constructor(readonly inner: Lake, readonly fail: (key: string, writes: string[]) => boolean) {}
  get url() {
    return this.inner.url;
  }
  list(prefix: string): AsyncIterable<LakeEntry> {
    return this.inner.list(prefix);
  }
  read(key: string) {
    return this.inner.read(key);
  }
  readStream(key: string) {
    return this.inner.readStream(key);
  }
  write(key: string, data: Uint8Array, options?: WriteOptions) {
    if (this.fail(key, this.writes)) return Promise.reject(new Error(`store failed at ${key}`));
    this.writes.push(key);
    return this.inner.write(key, data, options);
  }
  writeIfAbsent(key: string, data: Uint8Array, options?: WriteOptions) {
    return this.inner.writeIfAbsent(key, data, options);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  stat(key: string) {
    return this.inner.stat(key);
  }
}

Deno.test("label:daily reaches every bronze day after an ingest that failed past a checkpoint", async (t) => {
  await t.step("60 days, the ingest failing after its first checkpoint, then ingest and label:daily", async () => {
    const lake = new MemoryLake();
    const all = await seedDays(lake, Number(Deno.env.get("JOURNAL_TEST_DAYS") ?? 60));
    const manifests = (w: string[]) => w.filter((k) => k.endsWith("manifest.json")).length;
    // The first checkpoint (20 partitions) is saved; the next partition write fails.
    const failing = new FailingLake(lake, (key, w) => manifests(w) >= 1 && key.startsWith("bronze/"));
    await assertRejects(() => ingest(failing, { courses: [ML] }), Error, "store failed at bronze/");
    ok((await days(lake, "bronze")).length >= 20);
    await ingest(lake, { courses: [ML] });
    await label(lake, daily);
    assertEquals(await days(lake, "bronze"), all);
    assertEquals(await days(lake, "gold"), all);
  });
  await t.step("a failure at any write of the run leaves nothing blind", async () => {
    for (const failAt of [1, 2, 3, 5, 8]) {
      const lake = new MemoryLake();
      const all = await seedDays(lake, 6);
      const failing = new FailingLake(lake, (_key, w) => w.length + 1 >= failAt);
      await assertRejects(() => ingest(failing, { courses: [ML], checkpointEvery: 2 }), Error, "store failed");
      await ingest(lake, { courses: [ML], checkpointEvery: 2 });
      await label(lake, daily);
      assertEquals(await days(lake, "gold"), all, `failed at write ${failAt}`);
    }
  });
  await t.step("an abort after a checkpoint, then ingest and label:daily", async () => {
    const lake = new MemoryLake();
    const all = await seedDays(lake, 10);
    const controller = new AbortController();
    await assertRejects(
      () =>
        ingest(lake, {
          courses: [ML],
          checkpointEvery: 3,
          signal: controller.signal,
          onProgress: (p) => p.phase === "write" && p.done === 4 && controller.abort(),
        }),
      DOMException,
      "aborted",
    );
    await ingest(lake, { courses: [ML] });
    await label(lake, daily);
    assertEquals(await days(lake, "gold"), all);
  });
});

Deno.test("label:daily reads every journal record, whatever its name, and prunes what it labeled", async (t) => {
  const lake = new MemoryLake();
  const all = await seedDays(lake, 4);
  await ingest(lake, { courses: [ML] });
  await label(lake, daily);
  assertEquals(await days(lake, "gold"), all);

  await t.step("a record named before the last one read (an overlapping run, a skewed clock) is read", async () => {
    // A new day, ingested by a run whose record carries an earlier name than any seen so far.
    const [late] = await seedDays(lake, 1, "2024-03-01");
    await ingest(lake, { courses: [ML], now: () => new Date("2020-01-01T00:00:00Z") });
    const keys: string[] = [];
    for await (const e of lake.list(changesPrefix("ml"))) keys.push(e.key);
    ok(keys.length === 1 && keys[0]!.includes("/2020"), keys.join());
    const s = await label(lake, daily);
    assertEquals(s.courses[0]!.labeled, 1);
    ok((await days(lake, "gold")).includes(late!));
  });
  await t.step("consumed records are deleted, so a daily run lists only what is new", async () => {
    const left: string[] = [];
    for await (const e of lake.list(changesPrefix("ml"))) left.push(e.key);
    assertEquals(left, []);
    assertEquals((await label(lake, daily)).courses[0]!.partitions, 0);
  });
  await t.step("a record written while label:daily runs is kept for the next run", async () => {
    await seedDays(lake, 1, "2024-04-01");
    await ingest(lake, { courses: [ML] });
    let wrote = false;
    const s = await label(lake, {
      ...daily,
      onProgress: async () => {
        if (wrote) return;
        wrote = true;
        await lake.write(changesKey("ml", "zz-overlap"), enc(JSON.stringify({ days: ["2024-04-01"] })));
      },
    });
    assertEquals(s.courses[0]!.labeled, 1);
    ok(await lake.stat(changesKey("ml", "zz-overlap")), "the record written during the run is still there");
    const next = await label(lake, daily);
    assertEquals([next.courses[0]!.partitions, next.courses[0]!.skipped], [1, 1]);
  });
  await t.step("state from an older version, with a journal cursor, is read and the cursor dropped", async () => {
    const key = "_state/classify/ml/labeled.json";
    const state = JSON.parse(dec(await lake.read(key)));
    await lake.write(key, enc(JSON.stringify({ ...state, journal_cursor: "_state/ingest/changes/ml/zzzz.json" })));
    await lake.write(changesKey("ml", "0000-old"), enc(JSON.stringify({ days: ["2024-01-02"] })));
    const s = await label(lake, { ...daily, force: true });
    assertEquals(s.courses[0]!.labeled, 1);
    assertEquals(JSON.parse(dec(await lake.read(key))).journal_cursor, undefined);
  });
  await t.step("a corrupt record is refused with what to do", async () => {
    await lake.write(changesKey("ml", "broken"), enc("{"));
    await assertRejects(() => label(lake, daily), SyntaxError, "delete it and run label:batch");
    await lake.delete(changesKey("ml", "broken"));
  });
});
