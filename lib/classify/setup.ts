/**
 * Setup shared by the classifier's entrypoints: which model, which head, which
 * band, and whether the LLM fallback is on. The entrypoints hand in the flags
 * and the environment; this module prints nothing.
 *
 * @module
 */

import * as path from "node:path";
import type { Config } from "../config.ts";
import { checkModelDir, type Device, type Dtype, type Embedder, loadEmbedder } from "./embed.ts";
import { checkBand, checkHeadMatches, type Head, parseHead } from "./head.ts";
import { readCurrentHead } from "./heads.ts";
import type { Lake } from "../lake.ts";
import { LlmJudge } from "./llm.ts";
import { makePrefilter } from "./prefilter.ts";
import type { BronzeRow } from "../slack/message.ts";

/** Environment variables the classifier reads. */
export const CLASSIFY_ENV: readonly string[] = Object.freeze([
  "MODEL_DIR",
  "HEAD_FILE",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "LLM_MODEL",
]);

/** The default model folder, relative to the working folder. */
export const DEFAULT_MODEL_DIR = "models/Xenova/all-MiniLM-L6-v2";
/** The default LLM model. */
export const DEFAULT_LLM_MODEL = "gpt-4o-mini";

/** The flags the classifier's entrypoints share, as parsed by `parseArgs`. */
export interface ClassifyFlags {
  model?: string;
  head?: string;
  device?: string;
  dtype?: string;
  "batch-size"?: string;
  low?: string;
  high?: string;
  "llm-max-calls"?: string;
}

/** The `parseArgs` options of {@linkcode ClassifyFlags}. */
export const CLASSIFY_FLAG_OPTIONS = {
  model: { type: "string" },
  head: { type: "string" },
  device: { type: "string" },
  dtype: { type: "string" },
  "batch-size": { type: "string" },
  low: { type: "string" },
  high: { type: "string" },
  "llm-max-calls": { type: "string" },
} as const;

/** Help text of {@linkcode ClassifyFlags}. */
export const CLASSIFY_FLAG_HELP =
  `  --model DIR          the embedding model folder (default: $MODEL_DIR, then ${DEFAULT_MODEL_DIR})
  --head FILE          the head (default: $HEAD_FILE, then the lake's models/heads/current.json,
                       then DIR/head.json, then models/head.json)
  --device D           wasm (default, onnxruntime-web) or cpu (native onnxruntime-node)
  --dtype T            fp32, q8 or auto (default: q8 when onnx/model_quantized.onnx exists)
  --batch-size N       texts per forward pass (default 64)
  --low P, --high P    the band where the LLM decides (default: the head's, 0.45 and 0.65)
  --llm-max-calls N    LLM requests per run at most (default 200)`;

function number(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new RangeError(
      `--${flag} "${value}" must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}`,
    );
  }
  return n;
}

async function exists(file: string): Promise<boolean> {
  try {
    await Deno.stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Everything a labeling run needs. */
export interface Classifier {
  /** The encoder. */
  embedder: Embedder;
  /** The head. */
  head: Head;
  /** Where the head came from: a file, or the lake's key as a URL. */
  headFile: string;
  /** The band. */
  band: { low: number; high: number };
  /** The candidate filter. */
  prefilter: (row: BronzeRow) => boolean;
  /** The LLM fallback, when a key is set. */
  llm?: LlmJudge;
  /** A one-line notice when the LLM fallback is off. */
  llmNotice?: string;
}

/** Options of {@linkcode setupClassifier}. */
export interface SetupOptions {
  /** The parsed flags. */
  flags: ClassifyFlags;
  /** The environment, by name. */
  env: Readonly<Record<string, string | undefined>>;
  /** The configuration, for the classifier settings. */
  config?: Config;
  /**
   * The lake that caches LLM answers.
   * @default {undefined} no cache
   */
  cache?: Lake;
  /**
   * Whether a head is needed (not for training).
   * @default {true}
   */
  needHead?: boolean;
  /**
   * The lake whose deployed head (`models/heads/current.json`) is used when
   * neither `--head` nor `HEAD_FILE` names one.
   * @default {undefined} no lookup in the lake
   */
  headLake?: Lake;
}

/** The LLM judge the environment configures, or a notice that there is none. */
export interface LlmSetup {
  /** The judge, when `OPENAI_API_KEY` is set. */
  llm?: LlmJudge;
  /** The key is not set: a one-line notice for the entrypoint to print. */
  notice?: string;
}

/**
 * The LLM judge from the environment (`OPENAI_API_KEY`, `OPENAI_BASE_URL`,
 * `LLM_MODEL`), with the per-run cap and the lake cache.
 *
 * @param env The environment, by name.
 * @param options The cap and the cache.
 * @returns The judge, or a notice when there is no key.
 */
export function setupLlm(
  env: Readonly<Record<string, string | undefined>>,
  options: { maxCalls?: number; cache?: Lake } = {},
): LlmSetup {
  if (!env.OPENAI_API_KEY) return { notice: "no OPENAI_API_KEY" };
  return {
    llm: new LlmJudge({
      apiKey: env.OPENAI_API_KEY,
      model: env.LLM_MODEL || DEFAULT_LLM_MODEL,
      ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
      ...(options.maxCalls !== undefined ? { maxCalls: options.maxCalls } : {}),
      ...(options.cache ? { cache: options.cache } : {}),
    }),
  };
}

/**
 * Checks `--llm-max-calls`, falling back on the configuration.
 *
 * @param flags The flags.
 * @param config The configuration.
 * @returns The cap, or `undefined` for the default.
 * @throws {RangeError} When it is not a whole number.
 */
export function llmMaxCallsOf(flags: { "llm-max-calls"?: string }, config?: Config): number | undefined {
  return number(flags["llm-max-calls"], "llm-max-calls", 0, 1e9, true) ?? config?.classifier.llmMaxCalls;
}

/**
 * The candidate filter the configuration's `classifier:` section describes.
 *
 * @param config The configuration.
 * @returns The predicate.
 */
export function prefilterOf(config?: Config): (row: BronzeRow) => boolean {
  const settings = config?.classifier ?? {};
  return makePrefilter({
    minChars: settings.minChars,
    maxChars: settings.maxChars,
    allowSubtypes: settings.allowSubtypes,
    extraPatterns: settings.extraPatterns,
  });
}

/**
 * Resolves the device and dtype flags.
 *
 * @param flags The flags.
 * @param modelDir The model folder, to see which weights it has.
 * @returns The device and dtype.
 * @throws {RangeError} For unknown values.
 */
export async function deviceAndDtype(
  flags: ClassifyFlags,
  modelDir: string,
): Promise<{ device: Device; dtype: Dtype }> {
  const device = (flags.device ?? "wasm") as Device;
  if (device !== "wasm" && device !== "cpu") {
    throw new RangeError(`--device "${flags.device}" is not known: use wasm or cpu`);
  }
  let dtype = flags.dtype ?? "auto";
  if (dtype === "auto") dtype = (await exists(path.join(modelDir, "onnx", "model_quantized.onnx"))) ? "q8" : "fp32";
  if (dtype !== "fp32" && dtype !== "q8") {
    throw new RangeError(`--dtype "${flags.dtype}" is not known: use fp32, q8 or auto`);
  }
  return { device, dtype };
}

/**
 * The model folder the flags and environment name.
 *
 * @param flags The flags.
 * @param env The environment.
 * @returns The folder.
 */
export function modelDirOf(flags: ClassifyFlags, env: Readonly<Record<string, string | undefined>>): string {
  return flags.model ?? env.MODEL_DIR ?? DEFAULT_MODEL_DIR;
}

/**
 * Loads the model, the head, the band and the LLM fallback.
 *
 * @param options The flags, the environment and the configuration.
 * @returns The classifier.
 * @throws {TypeError} When the model or head is missing.
 * @throws {RangeError} When a flag is out of range or the head does not match the model.
 */
export async function setupClassifier(options: SetupOptions): Promise<Classifier> {
  const { flags, env } = options;
  const settings = options.config?.classifier ?? {};
  const modelDir = modelDirOf(flags, env);
  const { device, dtype } = await deviceAndDtype(flags, modelDir);
  const batchSize = number(flags["batch-size"], "batch-size", 1, 4096, true);
  const low = number(flags.low, "low", 0, 1);
  const high = number(flags.high, "high", 0, 1);
  const maxCalls = llmMaxCallsOf(flags, options.config);

  await checkModelDir(modelDir, dtype);
  let headFile = flags.head ?? (env.HEAD_FILE || undefined);
  let head: Head | undefined;
  if (headFile === undefined && options.headLake && options.needHead !== false) {
    const current = await readCurrentHead(options.headLake);
    if (current) {
      head = current.head;
      headFile = `${options.headLake.url}/${current.pointer.key}`;
    }
  }
  if (headFile === undefined) {
    headFile = (await exists(path.join(modelDir, "head.json"))) ? path.join(modelDir, "head.json") : "models/head.json";
  }
  if (options.needHead !== false && head === undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(headFile);
    } catch {
      throw new TypeError(
        `Head file ${headFile} does not exist: train one with "deno task train --labels FILE.jsonl --model ${modelDir} --out ${headFile}", or pass --head FILE`,
      );
    }
    head = parseHead(text, headFile);
  }
  const embedder = await loadEmbedder(modelDir, { device, dtype, ...(batchSize ? { batchSize } : {}) });
  if (head) checkHeadMatches(head, embedder.modelId, embedder.dims);
  const band = {
    low: low ?? settings.low ?? head?.thresholds.low ?? 0.45,
    high: high ?? settings.high ?? head?.thresholds.high ?? 0.65,
  };
  checkBand(band.low, band.high, "--low/--high");
  const prefilter = prefilterOf(options.config);
  const out: Classifier = { embedder, head: head!, headFile, band, prefilter };
  const { llm } = setupLlm(env, { ...(maxCalls !== undefined ? { maxCalls } : {}), cache: options.cache });
  if (llm) out.llm = llm;
  else out.llmNotice = "LLM fallback is off (no OPENAI_API_KEY): the model decides inside the band too.";
  return out;
}
