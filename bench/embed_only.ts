/**
 * The anchor for the label:batch benchmark: transformers.js on native onnxruntime
 * embedding the same candidate texts in batches of 64, and nothing else.
 *
 * Usage: deno run -A bench/embed_only.ts LAKE MODEL_DIR
 *
 * @module
 */

import * as path from "node:path";
import { env, pipeline } from "@huggingface/transformers";
import { LocalLake } from "../lib/lake.ts";
import { BRONZE_COLUMNS, readParquetRows } from "../lib/parquet.ts";
import { makePrefilter } from "../lib/classify/prefilter.ts";
import type { BronzeRow } from "../lib/slack/message.ts";

const [lakeDir, modelDir] = Deno.args;
if (!lakeDir || !modelDir) throw new TypeError("usage: embed_only.ts LAKE MODEL_DIR");
const lake = new LocalLake(lakeDir);
const keep = makePrefilter();
const texts: string[] = [];
for await (const e of lake.list("bronze/")) {
  for (const r of readParquetRows<BronzeRow>(BRONZE_COLUMNS, await lake.read(e.key))) {
    if (keep(r)) texts.push(r.text_plain ?? "");
  }
}
env.allowRemoteModels = false;
env.localModelPath = `${path.dirname(path.resolve(modelDir))}/`;
const t0 = performance.now();
const extractor = await pipeline("feature-extraction", path.basename(modelDir), { device: "cpu", dtype: "fp32" });
let n = 0;
for (let i = 0; i < texts.length; i += 64) {
  const out = await extractor(texts.slice(i, i + 64), { pooling: "mean", normalize: true });
  n += out.dims[0]!;
}
console.log(JSON.stringify({ texts: n, ms: Math.round(performance.now() - t0) }));
