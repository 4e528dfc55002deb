/**
 * Synthetic BERT-shaped sentence encoders for tests and benchmarks.
 *
 * The Hugging Face hub is out of reach on our machines, so the tests load a
 * model that this module writes: an ONNX graph with the real encoder operations
 * (embeddings, multi-head attention, LayerNorm, GELU, residuals) and
 * deterministic random weights, plus `config.json`, `tokenizer.json` and
 * `tokenizer_config.json` in the layout transformers.js expects. It loads
 * through exactly the code path of `Xenova/all-MiniLM-L6-v2`.
 *
 * The WordPiece vocabulary is built from real English words by frequency, with
 * common suffixes and single characters as pieces, so English splits into about
 * as many tokens per word as a real vocabulary gives and timings stay honest.
 *
 * @module
 */

import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The shape of a synthetic encoder. */
export interface SynthPreset {
  /** Transformer layers. */
  layers: number;
  /** Hidden size, the embedding's dimension. */
  hidden: number;
  /** Attention heads; must divide `hidden`. */
  heads: number;
  /** Feed-forward size. */
  intermediate: number;
  /** Vocabulary size. */
  vocabSize: number;
  /** Position embeddings. */
  maxPositions: number;
  /** The tokenizer's truncation length. */
  maxLength: number;
}

/** The presets `model:synth` knows. */
export const SYNTH_PRESETS: Readonly<Record<string, SynthPreset>> = Object.freeze({
  tiny: { layers: 2, hidden: 64, heads: 4, intermediate: 128, vocabSize: 8000, maxPositions: 256, maxLength: 256 },
  "minilm-l6": {
    layers: 6,
    hidden: 384,
    heads: 12,
    intermediate: 1536,
    vocabSize: 30522,
    maxPositions: 512,
    maxLength: 256,
  },
});

/** The files of a synthetic model, by path relative to the model folder. */
export type ModelFiles = Map<string, Uint8Array>;

const SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
const SUFFIXES = [
  "s",
  "es",
  "ed",
  "d",
  "ing",
  "er",
  "ers",
  "est",
  "ly",
  "ion",
  "ions",
  "tion",
  "tions",
  "ation",
  "ment",
  "ments",
  "ness",
  "able",
  "ible",
  "al",
  "ally",
  "ic",
  "ical",
  "ize",
  "ized",
  "izes",
  "ise",
  "ity",
  "ful",
  "less",
  "ous",
  "ive",
  "ance",
  "ence",
  "ent",
  "ant",
  "y",
  "ies",
  "ied",
  "en",
  "or",
  "ors",
  "ist",
  "ism",
  "age",
  "ure",
  "ship",
  "hood",
  "ward",
  "wise",
];

/**
 * Builds a WordPiece vocabulary: special tokens, characters and their `##`
 * pieces, common suffixes, then the most frequent words.
 *
 * @param words Words by descending frequency.
 * @param size The vocabulary size.
 * @returns The tokens, in id order.
 */
export function buildVocab(words: readonly string[], size: number): string[] {
  const vocab: string[] = [...SPECIALS];
  const seen = new Set(vocab);
  const add = (t: string) => {
    if (vocab.length < size && t !== "" && !seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  const punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  for (const c of chars + punct) add(c);
  for (const c of chars) add(`##${c}`);
  for (const s of SUFFIXES) add(`##${s}`);
  for (const w of words) {
    const t = w.toLowerCase();
    if (/^[a-z0-9]+$/.test(t)) add(t);
    if (vocab.length >= size) break;
  }
  // Fill what is left with pieces made from the words' endings, as WordPiece would learn.
  for (const w of words) {
    if (vocab.length >= size) break;
    const t = w.toLowerCase();
    if (/^[a-z]{5,}$/.test(t)) add(`##${t.slice(-3)}`);
  }
  let n = 0;
  while (vocab.length < size) add(`[unused${n++}]`);
  return vocab;
}

/** A seeded generator of normal deviates (mulberry32 and Box-Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;

/**
 * Writes the ONNX graph of a BERT encoder with deterministic random weights.
 *
 * Inputs are `input_ids`, `attention_mask` and `token_type_ids` (int64,
 * `[batch, sequence]`); the output is `last_hidden_state`
 * (`[batch, sequence, hidden]`), as in a Hugging Face export.
 *
 * With `quantize`, every linear layer is dynamically quantized as
 * onnxruntime's `quantize_dynamic` does for Xenova's q8 models: int8 weights
 * with a per-tensor scale, `DynamicQuantizeLinear` on the activations and
 * `MatMulInteger`. The same seed gives the same float weights either way.
 *
 * @param preset The shape.
 * @param seed The weights' seed.
 * @param options Whether to quantize the linear layers.
 * @returns The serialized `ModelProto`.
 */
export function buildEncoderOnnx(preset: SynthPreset, seed: number, options: { quantize?: boolean } = {}): Uint8Array {
  if (preset.hidden % preset.heads !== 0) {
    throw new RangeError(`hidden ${preset.hidden} is not divisible by heads ${preset.heads}`);
  }
  const rand = normals(seed);
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const inits: InstanceType<typeof onnx.TensorProto>[] = [];
  let counter = 0;
  const tmp = (hint: string) => `${hint}_${counter++}`;

  const floatTensor = (name: string, dims: number[], fill: (i: number) => number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = fill(i);
    inits.push(onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const weight = (name: string, dims: number[], scale = 0.05) => floatTensor(name, dims, () => rand() * scale);
  const constF = (name: string, dims: number[], value: number) => floatTensor(name, dims, () => value);
  const constI64 = (name: string, values: number[], dims: number[] = [values.length]) => {
    const data = new BigInt64Array(values.map(BigInt));
    inits.push(onnx.TensorProto.create({ name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const attrInt = (name: string, i: number) => onnx.AttributeProto.create({ name, type: 2, i });
  const attrFloat = (name: string, f: number) => onnx.AttributeProto.create({ name, type: 1, f });
  const attrInts = (name: string, ints: number[]) => onnx.AttributeProto.create({ name, type: 7, ints });
  const op = (
    opType: string,
    input: string[],
    attribute: InstanceType<typeof onnx.AttributeProto>[] = [],
    out = tmp(opType.toLowerCase()),
  ) => {
    nodes.push(onnx.NodeProto.create({ opType, input, output: [out], name: out, attribute }));
    return out;
  };

  const { hidden: H, heads, layers, intermediate: I, vocabSize: V, maxPositions: P } = preset;
  const hd = H / heads;
  const layerNorm = (x: string, prefix: string) =>
    op("LayerNormalization", [x, constF(`${prefix}.weight`, [H], 1), constF(`${prefix}.bias`, [H], 0)], [
      attrInt("axis", -1),
      attrFloat("epsilon", 1e-12),
    ]);
  const int8Tensor = (name: string, dims: number[], values: Int8Array) => {
    inits.push(onnx.TensorProto.create({ name, dims, dataType: INT8, rawData: new Uint8Array(values.buffer) }));
    return name;
  };
  const linear = (x: string, prefix: string, inDim: number, outDim: number) => {
    if (!options.quantize) {
      return op("Add", [
        op("MatMul", [x, weight(`${prefix}.weight`, [inDim, outDim])]),
        constF(`${prefix}.bias`, [outDim], 0),
      ]);
    }
    const bias = constF(`${prefix}.bias`, [outDim], 0);
    const w = new Float32Array(inDim * outDim);
    let max = 0;
    for (let i = 0; i < w.length; i++) {
      w[i] = rand() * 0.05;
      max = Math.max(max, Math.abs(w[i]!));
    }
    const wScale = max / 127 || 1;
    const q = Int8Array.from(w, (v) => Math.max(-127, Math.min(127, Math.round(v / wScale))));
    const [xq, xScale, xZero] = [tmp("xq"), tmp("xscale"), tmp("xzero")];
    nodes.push(
      onnx.NodeProto.create({ opType: "DynamicQuantizeLinear", input: [x], output: [xq, xScale, xZero], name: xq }),
    );
    const product = op("MatMulInteger", [xq, int8Tensor(`${prefix}.weight_quantized`, [inDim, outDim], q), xZero]);
    const scale = op("Mul", [xScale, constF(`${prefix}.weight_scale`, [], wScale)]);
    return op("Add", [op("Mul", [op("Cast", [product], [attrInt("to", FLOAT)]), scale]), bias]);
  };

  // Embeddings: words + positions + token types, then LayerNorm.
  const words = op("Gather", [weight("embeddings.word_embeddings.weight", [V, H], 1), "input_ids"]);
  const seqLen = op("Gather", [op("Shape", ["input_ids"]), constI64("one_scalar", [1], [])], [attrInt("axis", 0)]);
  const positions = op("Range", [constI64("zero_scalar", [0], []), seqLen, constI64("step_scalar", [1], [])]);
  const pos = op("Gather", [weight("embeddings.position_embeddings.weight", [P, H], 0.5), positions]);
  const types = op("Gather", [weight("embeddings.token_type_embeddings.weight", [2, H], 0.1), "token_type_ids"]);
  let x = layerNorm(op("Add", [op("Add", [words, pos]), types]), "embeddings.LayerNorm");

  // Additive attention mask: 0 where attended, -10000 where padded.
  const mask = op("Unsqueeze", [op("Cast", ["attention_mask"], [attrInt("to", FLOAT)]), constI64("mask_axes", [1, 2])]);
  const bias = op("Mul", [op("Sub", [constF("one", [], 1), mask]), constF("neg_big", [], -10000)]);
  const headShape = constI64("head_shape", [0, 0, heads, hd]);
  const mergeShape = constI64("merge_shape", [0, 0, H]);
  const scale = constF("attn_scale", [], 1 / Math.sqrt(hd));
  const half = constF("half", [], 0.5);
  const sqrt2 = constF("sqrt2", [], Math.SQRT2);

  for (let l = 0; l < layers; l++) {
    const p = `encoder.layer.${l}`;
    const split = (t: string, perm: number[]) =>
      op("Transpose", [op("Reshape", [t, headShape])], [attrInts("perm", perm)]);
    const q = split(linear(x, `${p}.attention.self.query`, H, H), [0, 2, 1, 3]);
    const k = split(linear(x, `${p}.attention.self.key`, H, H), [0, 2, 3, 1]);
    const v = split(linear(x, `${p}.attention.self.value`, H, H), [0, 2, 1, 3]);
    const scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), bias]);
    const probs = op("Softmax", [scores], [attrInt("axis", -1)]);
    const ctx = op("Reshape", [
      op("Transpose", [op("MatMul", [probs, v])], [attrInts("perm", [0, 2, 1, 3])]),
      mergeShape,
    ]);
    const attn = linear(ctx, `${p}.attention.output.dense`, H, H);
    const x1 = layerNorm(op("Add", [attn, x]), `${p}.attention.output.LayerNorm`);
    const h = linear(x1, `${p}.intermediate.dense`, H, I);
    const gelu = op("Mul", [
      op("Mul", [h, half]),
      op("Add", [constF(`${p}.one`, [], 1), op("Erf", [op("Div", [h, sqrt2])])]),
    ]);
    const out = linear(gelu, `${p}.output.dense`, I, H);
    x = layerNorm(op("Add", [out, x1]), `${p}.output.LayerNorm`);
  }
  nodes.push(onnx.NodeProto.create({ opType: "Identity", input: [x], output: ["last_hidden_state"], name: "output" }));

  const dim = (d: string | number) => (typeof d === "string" ? { dimParam: d } : { dimValue: d });
  const io = (name: string, elemType: number, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } },
    });
  const graph = onnx.GraphProto.create({
    name: "synthetic_bert",
    node: nodes,
    initializer: inits,
    input: ["input_ids", "attention_mask", "token_type_ids"].map((n) =>
      io(n, INT64, ["batch_size", "sequence_length"])
    ),
    output: [io("last_hidden_state", FLOAT, ["batch_size", "sequence_length", H])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "slack-faq-lake model:synth",
    opsetImport: [{ domain: "", version: 17 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Options of {@linkcode synthModel}. */
export interface SynthOptions {
  /**
   * The weights' seed.
   * @default {42}
   */
  seed?: number;
  /**
   * Also write `onnx/model_quantized.onnx`, dynamically quantized (int8 MatMuls), as Xenova's q8 models.
   * @default {false}
   */
  quantized?: boolean;
  /**
   * The model id written into `config.json`.
   * @default {"synthetic/{preset name}"}
   */
  modelId?: string;
}

/**
 * Builds every file of a synthetic model.
 *
 * @param presetName `tiny` or `minilm-l6`.
 * @param words English words by descending frequency, for the vocabulary.
 * @param options The seed and model id.
 * @returns The files by relative path: `onnx/model.onnx` (and
 *   `onnx/model_quantized.onnx` with `quantized`), `config.json`,
 *   `tokenizer.json`, `tokenizer_config.json`.
 * @throws {RangeError} When the preset is unknown.
 */
export function synthModel(presetName: string, words: readonly string[], options: SynthOptions = {}): ModelFiles {
  const preset = SYNTH_PRESETS[presetName];
  if (!preset) {
    throw new RangeError(`Preset "${presetName}" is not known: use ${Object.keys(SYNTH_PRESETS).join(" or ")}`);
  }
  const modelId = options.modelId ?? `synthetic/${presetName}`;
  const vocab = buildVocab(words, preset.vocabSize);
  const id = (t: string) => vocab.indexOf(t);
  const special = (t: string) => ({
    id: id(t),
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [id("[CLS]")], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [id("[SEP]")], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "BertTokenizer",
    do_lower_case: true,
    model_max_length: preset.maxLength,
    cls_token: "[CLS]",
    sep_token: "[SEP]",
    pad_token: "[PAD]",
    unk_token: "[UNK]",
    mask_token: "[MASK]",
    clean_up_tokenization_spaces: true,
  };
  const config = {
    _name_or_path: modelId,
    model_type: "bert",
    architectures: ["BertModel"],
    hidden_size: preset.hidden,
    num_attention_heads: preset.heads,
    num_hidden_layers: preset.layers,
    intermediate_size: preset.intermediate,
    max_position_embeddings: preset.maxPositions,
    vocab_size: preset.vocabSize,
    type_vocab_size: 2,
    hidden_act: "gelu",
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    synthetic: { preset: presetName, seed: options.seed ?? 42 },
  };
  const enc = new TextEncoder();
  const json = (v: unknown) => enc.encode(JSON.stringify(v, null, 1) + "\n");
  return new Map([
    ["onnx/model.onnx", buildEncoderOnnx(preset, options.seed ?? 42)],
    ...(options.quantized
      ? [["onnx/model_quantized.onnx", buildEncoderOnnx(preset, options.seed ?? 42, { quantize: true })] as const]
      : []),
    ["config.json", json(config)],
    ["tokenizer.json", json(tokenizer)],
    ["tokenizer_config.json", json(tokenizerConfig)],
  ]);
}
