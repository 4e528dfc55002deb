// model:pull against a loopback stand-in of the Hugging Face hub, and the demo's main() into a temporary lake.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import * as path from "node:path";
import { capture, fixture, readBronze, withEnv } from "../_helpers.ts";
import { main as modelPull } from "../../classify/model_pull.ts";
import { main as demo } from "../../classify/demo.ts";
import { GOLD_COLUMNS, type GoldRow } from "../../lib/classify/label.ts";
import { LocalLake } from "../../lib/lake.ts";
import { coursePrefix } from "../../lib/layout.ts";
import { readParquetRows } from "../../lib/parquet.ts";

const TINY = fixture("models/tiny");
const FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"];

/** Serves a model folder the way the hub's `/{org}/{name}/resolve/{revision}/{file}` URLs do. */
function startHub(model: string, dir: string) {
  const requested: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    requested.push(url.pathname);
    const prefix = `/${model}/resolve/main/`;
    if (!url.pathname.startsWith(prefix)) return new Response("Repository not found", { status: 404 });
    const file = decodeURIComponent(url.pathname.slice(prefix.length));
    try {
      return new Response(await Deno.readFile(path.join(dir, file)));
    } catch {
      return new Response("Entry not found", { status: 404 });
    }
  });
  return { endpoint: `http://127.0.0.1:${server.addr.port}`, requested, close: () => server.shutdown() };
}

Deno.test("model:pull downloads a model from $HF_ENDPOINT, byte for byte", async (t) => {
  const hub = startHub("synthetic/tiny", TINY);
  const out = await Deno.makeTempDir({ prefix: "model-pull-" });
  try {
    await t.step("every file arrives identical, from the hub's resolve URLs", async () => {
      const r = await withEnv(
        { HF_ENDPOINT: `${hub.endpoint}/` },
        () => capture(() => modelPull(["--model", "synthetic/tiny", "--dtype", "fp32", "--out", out])),
      );
      assertEquals(r.code, 0, r.err);
      assertEquals(hub.requested, FILES.map((f) => `/synthetic/tiny/resolve/main/${f}`));
      for (const f of FILES) {
        assertEquals(await Deno.readFile(path.join(out, f)), await Deno.readFile(path.join(TINY, f)), f);
      }
      ok(r.out.includes(`synthetic/tiny is in ${out}`), r.out);
    });
    await t.step("a file the hub lacks fails with its name, and leaves no partial file", async () => {
      const other = await Deno.makeTempDir({ prefix: "model-pull-" });
      try {
        const r = await withEnv(
          { HF_ENDPOINT: hub.endpoint },
          () => capture(() => modelPull(["--model", "synthetic/tiny", "--out", other])),
        );
        assertEquals(r.code, 3);
        ok(r.err.includes("could not download onnx/model_quantized.onnx of synthetic/tiny"), r.err);
        ok(r.err.includes("HTTP 404"), r.err);
        ok(r.err.includes("set HF_ENDPOINT to a mirror"), r.err);
        const left = [...Deno.readDirSync(other)].map((e) => e.name).sort();
        assertEquals(left, ["config.json", "tokenizer.json", "tokenizer_config.json"]);
      } finally {
        await Deno.remove(other, { recursive: true });
      }
    });
  } finally {
    await hub.close();
    await Deno.remove(out, { recursive: true });
  }
  await t.step("an unreachable endpoint fails with the file and the URL", async () => {
    const closed = startHub("x/y", TINY);
    const endpoint = closed.endpoint;
    await closed.close();
    const other = await Deno.makeTempDir({ prefix: "model-pull-" });
    try {
      const r = await withEnv(
        { HF_ENDPOINT: endpoint },
        () => capture(() => modelPull(["--model", "synthetic/tiny", "--out", other])),
      );
      assertEquals(r.code, 3);
      ok(r.err.includes(`could not download config.json of synthetic/tiny from ${endpoint}/`), r.err);
      assertEquals([...Deno.readDirSync(other)], []);
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  });
  await t.step("wrong usage exits 2", async () => {
    const r = await capture(() => modelPull(["--model", "not a hub id"]));
    assertEquals(r.code, 2);
    ok(r.err.includes("is not a hub id like Xenova/all-MiniLM-L6-v2"), r.err);
  });
});

async function readGold(lake: LocalLake, courseId: string): Promise<GoldRow[]> {
  const rows: GoldRow[] = [];
  for await (const e of lake.list(coursePrefix("gold", courseId))) {
    rows.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
  }
  return rows;
}

Deno.test("demo runs the whole pipeline into the lake it is given, and a second run finds nothing new", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "demo-lake-" });
  const env = { OPENAI_API_KEY: "" };
  try {
    const lake = new LocalLake(dir);
    let first = "";
    await t.step("the first run lands, imports, ingests and labels", async () => {
      const r = await withEnv(env, () => capture(() => demo(["--lake", dir])));
      assertEquals(r.code, 0, r.err);
      first = r.out;
      const landed = Number(/1\. Landed (\d+) fixture raw day file/.exec(r.out)?.[1]);
      ok(landed > 0, r.out);
      let raw = 0;
      for await (const _ of lake.list("raw/slack/")) raw++;
      ok(raw > landed, "the exports added raw files too");
      const bronze = await readBronze(lake, "ml-zoomcamp");
      ok(bronze.length > 0);
      const gold = await readGold(lake, "ml-zoomcamp");
      ok(gold.length > 0 && gold.some((g) => g.is_faq));
      ok(/ml-zoomcamp: \d+ FAQ of [1-9]\d* candidates/.test(r.out), r.out);
    });
    await t.step("a second run finds nothing new and changes no data", async () => {
      const before = new Map<string, number>();
      for await (const e of lake.list("")) if (!e.key.startsWith("_state/")) before.set(e.key, e.size);
      const r = await withEnv(env, () => capture(() => demo(["--lake", dir])));
      assertEquals(r.code, 0, r.err);
      ok(r.out.includes("1. Landed 0 fixture raw day file(s)"), r.out);
      ok(r.out.includes("Nothing new: bronze is up to date."), r.out);
      for await (const e of lake.list("raw/")) assertEquals(e.size, before.get(e.key), e.key);
      for await (const e of lake.list("bronze/")) assertEquals(e.size, before.get(e.key), e.key);
      assertEquals(
        /ml-zoomcamp: \d+ FAQ of \d+ candidates/.exec(r.out)?.[0],
        /ml-zoomcamp: \d+ FAQ of \d+ candidates/.exec(first)?.[0],
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
