/**
 * label:batch on each device and dtype against transformers.js on native onnxruntime.
 *
 * @module
 */

import * as path from "node:path";
import { DENO, exists, fmt, INGEST, LABEL, log, median, resetBronze, run, writeCorpus } from "./harness.ts";

/** label:batch vs native embedding. */
export async function benchLabel(work: string, runs: number): Promise<string[]> {
  const model = path.join(work, "models", "minilm-l6");
  if (!(await exists(path.join(model, "onnx", "model_quantized.onnx")))) {
    await run(
      [DENO, "run", "-A", "classify/model_synth.ts", "--preset", "minilm-l6", "--out", model, "--quantized"],
      {},
      false,
    );
  }
  // A head for the synthetic model: trained on the fixture labels through the same code.
  const head = path.join(model, "head.json");
  if (!(await exists(head))) {
    await run(
      [
        DENO,
        "run",
        "-A",
        "classify/train.ts",
        "--labels",
        "fixtures/labels/train.jsonl",
        "--model",
        model,
        "--out",
        head,
        "--device",
        "cpu",
        "--dtype",
        "fp32",
      ],
      {},
      false,
    );
  }
  const lake = path.join(work, "corpus-label");
  if (!(await exists(`${lake}.courses.yml`))) await writeCorpus(lake, 4_000, 2, 2);
  await resetBronze(lake);
  await run([...INGEST, "--lake", lake, "--config", `${lake}.courses.yml`], {}, false);
  const variants = [["cpu", "fp32"], ["cpu", "q8"], ["wasm", "fp32"], ["wasm", "q8"]] as const;
  const results = new Map<string, number[]>([...variants.map(([d, t]) => [`${d} ${t}`, [] as number[]] as const), [
    "native",
    [],
  ]]);
  let texts = 0;
  for (let i = 0; i < runs; i++) {
    for (const [device, dtype] of variants) {
      await Deno.remove(path.join(lake, "gold"), { recursive: true }).catch(() => {});
      await Deno.remove(path.join(lake, "_state", "classify"), { recursive: true }).catch(() => {});
      const r = await run([
        ...LABEL,
        "--lake",
        lake,
        "--config",
        `${lake}.courses.yml`,
        "--model",
        model,
        "--device",
        device,
        "--dtype",
        dtype,
        "--log-format",
        "json",
      ]);
      results.get(`${device} ${dtype}`)!.push(r.ms);
      const s = JSON.parse(r.stdout.trim().split("\n").pop()!);
      texts = s.courses.reduce((n: number, c: { candidates: number }) => n + c.candidates, 0);
    }
    results.get("native")!.push((await run([DENO, "run", "-A", "bench/embed_only.ts", lake, model])).ms);
  }
  const native = median(results.get("native")!);
  log(
    `label:batch on ${texts} candidates of 4000 messages, minilm-l6 shape, 2 cores; anchor: transformers.js on native onnxruntime (fp32) embedding the same texts, ${
      fmt(native)
    } (${(texts / (native / 1000)).toFixed(0)} texts/s)`,
  );
  for (const [name, times] of results) {
    if (name === "native") continue;
    const m = median(times);
    log(
      `label:batch --device ${name.replace(" ", " --dtype ")}: ${fmt(m)} (runs ${times.map(fmt).join(", ")}), ${
        (texts / (m / 1000)).toFixed(0)
      } messages/s, ratio to native ${(m / native).toFixed(2)}`,
    );
  }
  return [];
}
