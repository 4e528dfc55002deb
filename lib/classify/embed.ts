/**
 * Sentence embeddings with transformers.js, offline: mean pooling, normalized.
 *
 * The default backend is WebAssembly (onnxruntime-web), with its `.wasm` files
 * loaded from the local install and never from a CDN, so the same code runs in
 * the compiled binary. `device: "cpu"` selects native onnxruntime-node, which
 * is faster where it is available. transformers.js binds one runtime per
 * process, so the first embedder loaded decides it.
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as path from "node:path";

/** Which onnxruntime runs the model. */
export type Device = "wasm" | "cpu";
/** Which weights of the model folder are used. */
export type Dtype = "fp32" | "q8";

/** Options of {@linkcode loadEmbedder}. */
export interface EmbedderOptions {
  /**
   * `wasm` (onnxruntime-web) or `cpu` (native onnxruntime-node).
   * @default {"wasm"}
   */
  device?: Device;
  /**
   * `fp32` reads `onnx/model.onnx`, `q8` reads `onnx/model_quantized.onnx`.
   * @default {"fp32"}
   */
  dtype?: Dtype;
  /**
   * Texts per forward pass.
   * @default {64}
   */
  batchSize?: number;
  /**
   * WebAssembly threads.
   * @default {2}
   */
  threads?: number;
}

/** A loaded sentence encoder. */
export interface Embedder {
  /** The model's id, from `config.json`'s `_name_or_path`. */
  readonly modelId: string;
  /**
   * Whether the model is a generated test model (`config.json` has a
   * `synthetic` key, as `model:synth` writes): its vectors carry no meaning, so
   * FAQ matching and grouping use the lexical path alone.
   */
  readonly synthetic: boolean;
  /** A short hash of the weights file and the dtype, for the gold rows. */
  readonly modelVersion: string;
  /** The embedding's dimension. */
  readonly dims: number;
  /** The runtime in use. */
  readonly device: Device;
  /**
   * Embeds texts: one unit-length vector per text, in order. Long texts are
   * truncated to the model's length.
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Counts the tokens of a text, as the model sees it. */
  countTokens(text: string): number;
  /** Frees the session. */
  dispose(): Promise<void>;
}

/** The model-folder files that must exist, relative to the folder. */
function requiredFiles(dtype: Dtype): string[] {
  return ["config.json", "tokenizer.json", "tokenizer_config.json", `onnx/${onnxFile(dtype)}`];
}

function onnxFile(dtype: Dtype): string {
  return dtype === "q8" ? "model_quantized.onnx" : "model.onnx";
}

let boundDevice: Device | undefined;
// deno-lint-ignore no-explicit-any
let transformers: Promise<any> | undefined;

// deno-lint-ignore no-explicit-any
async function runtime(device: Device, threads: number): Promise<any> {
  if (boundDevice !== undefined && boundDevice !== device) {
    throw new RangeError(
      `This process already runs transformers.js on ${boundDevice}; it cannot switch to ${device}: use one --device per run`,
    );
  }
  boundDevice = device;
  transformers ??= (async () => {
    if (device === "wasm") {
      const ort = await import("onnxruntime-web");
      (globalThis as Record<symbol, unknown>)[Symbol.for("onnxruntime")] = ort;
    }
    const t = await import("@huggingface/transformers");
    t.env.allowRemoteModels = false;
    t.env.allowLocalModels = true;
    if (device === "wasm") {
      const wasm = t.env.backends.onnx.wasm!;
      // The .wasm files next to onnxruntime-web's entry: never a CDN.
      wasm.wasmPaths = new URL("./", import.meta.resolve("onnxruntime-web")).href;
      wasm.numThreads = threads;
    }
    return t;
  })();
  return await transformers;
}

/**
 * Checks that a model folder has every file the dtype needs.
 *
 * @param modelDir The model folder.
 * @param dtype The weights to use.
 * @throws {TypeError} Naming the first missing file and how to get the model.
 */
export async function checkModelDir(modelDir: string, dtype: Dtype): Promise<void> {
  const dir = path.resolve(modelDir);
  for (const rel of requiredFiles(dtype)) {
    try {
      await Deno.stat(path.join(dir, rel));
    } catch {
      throw new TypeError(
        `Model file ${path.join(dir, rel)} is missing: run "deno task model:pull" where the internet is reachable, ` +
          `or pass --model DIR (the bundled test model is fixtures/models/tiny)`,
      );
    }
  }
}

/**
 * Loads a model folder for feature extraction.
 *
 * @param modelDir The model folder: `config.json`, `tokenizer.json`,
 *   `tokenizer_config.json` and `onnx/model.onnx` (or `model_quantized.onnx`).
 * @param options The device, dtype, batch size and threads.
 * @returns The embedder.
 * @throws {TypeError} When a file of the model is missing; the message says
 *   how to get the model.
 */
export async function loadEmbedder(modelDir: string, options: EmbedderOptions = {}): Promise<Embedder> {
  const device = options.device ?? "wasm";
  const dtype = options.dtype ?? "fp32";
  const batchSize = options.batchSize ?? 64;
  const dir = path.resolve(modelDir);
  await checkModelDir(dir, dtype);
  const config = JSON.parse(await Deno.readTextFile(path.join(dir, "config.json")));
  const weights = await Deno.readFile(path.join(dir, "onnx", onnxFile(dtype)));
  const modelVersion = `${dtype}-${createHash("sha256").update(weights).digest("hex").slice(0, 12)}`;
  const t = await runtime(device, options.threads ?? 2);
  t.env.localModelPath = `${path.dirname(dir)}/`;
  const extractor = await t.pipeline("feature-extraction", path.basename(dir), {
    device: device === "wasm" ? "auto" : "cpu",
    dtype,
    local_files_only: true,
  });
  const dims = Number(config.hidden_size);
  return {
    modelId: String(config._name_or_path ?? path.basename(dir)),
    synthetic: config.synthetic !== undefined && config.synthetic !== false,
    modelVersion,
    dims,
    device,
    async embed(texts) {
      const out: Float32Array[] = new Array(texts.length);
      // Similar lengths in a batch waste less on padding.
      const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
      for (let i = 0; i < order.length; i += batchSize) {
        const idx = order.slice(i, i + batchSize);
        const tensor = await extractor(idx.map((j) => texts[j]!), { pooling: "mean", normalize: true });
        const data = tensor.data as Float32Array;
        idx.forEach((j, k) => {
          out[j] = data.slice(k * dims, (k + 1) * dims);
        });
        tensor.dispose?.();
      }
      return out;
    },
    countTokens(text) {
      return extractor.tokenizer.encode(text).length;
    },
    async dispose() {
      await extractor.dispose();
    },
  };
}
