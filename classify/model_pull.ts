/**
 * `deno task model:pull`: downloads the real embedding model once, so every
 * later run is offline.
 *
 * @module
 */

import { parseArgs } from "node:util";
import * as path from "node:path";
import { EXIT } from "../lib/cli.ts";

const USAGE = `Usage: deno task model:pull [--model ID] [--out DIR] [--dtype q8|fp32|all]

Downloads a sentence-transformers model in ONNX form from the Hugging Face hub
($HF_ENDPOINT, default https://huggingface.co) into DIR, for offline use.

  --model ID    the hub id (default Xenova/all-MiniLM-L6-v2)
  --out DIR     where to put it (default models/ID)
  --dtype T     q8 (default, onnx/model_quantized.onnx), fp32 (onnx/model.onnx) or all
  --revision R  the hub revision (default main)`;

const BASE_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json"];

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let model: string;
  let out: string;
  let files: string[];
  let revision: string;
  try {
    const { values } = parseArgs({
      args,
      options: {
        model: { type: "string" },
        out: { type: "string" },
        dtype: { type: "string" },
        revision: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    model = values.model ?? "Xenova/all-MiniLM-L6-v2";
    if (!/^[\w.-]+\/[\w.-]+$/.test(model)) {
      throw new TypeError(`--model "${model}" is not a hub id like Xenova/all-MiniLM-L6-v2`);
    }
    out = values.out ?? path.join("models", model);
    revision = values.revision ?? "main";
    const dtype = values.dtype ?? "q8";
    const weights = {
      q8: ["onnx/model_quantized.onnx"],
      fp32: ["onnx/model.onnx"],
      all: ["onnx/model_quantized.onnx", "onnx/model.onnx"],
    }[dtype];
    if (!weights) throw new RangeError(`--dtype "${dtype}" is not known: use q8, fp32 or all`);
    files = [...BASE_FILES, ...weights];
  } catch (e) {
    console.error(`model:pull: ${(e as Error).message}`);
    return EXIT.usage;
  }
  const endpoint = (Deno.env.get("HF_ENDPOINT") ?? "https://huggingface.co").replace(/\/+$/, "");
  for (const file of files) {
    const url = `${endpoint}/${model}/resolve/${revision}/${file}`;
    const target = path.join(out, file);
    const tmp = `${target}.part`;
    try {
      const res = await fetch(url);
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new Error(res.status === 404 ? "HTTP 404: the hub has no such file" : `HTTP ${res.status}`);
      }
      await Deno.mkdir(path.dirname(target), { recursive: true });
      await Deno.writeFile(tmp, res.body);
      await Deno.rename(tmp, target);
      console.log(`  ${file}  ${((await Deno.stat(target)).size / 1048576).toFixed(1)} MiB`);
    } catch (e) {
      // A half-written file must not pass for a model file.
      await Deno.remove(tmp).catch(() => {});
      console.error(
        `model:pull: could not download ${file} of ${model} from ${url} (${
          (e as Error).message
        }). Run this where the hub is reachable and copy ${out} here, ` +
          `or set HF_ENDPOINT to a mirror.`,
      );
      return EXIT.failure;
    }
  }
  console.log(`\n${model} is in ${out}. Train a head on it: deno task train --labels FILE.jsonl --model ${out}`);
  return EXIT.ok;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
