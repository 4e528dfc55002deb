/**
 * The classifier head: logistic regression on sentence embeddings, as SetFit's
 * head is. Training (L2, class weights, cross-validated metrics), scoring, and
 * the JSON file the head is kept in.
 *
 * The head file:
 *
 * ```json
 * {
 *   "format": "slack-faq-head/1",
 *   "classifier_name": "setfit-logreg",
 *   "version": "a1b2c3d4e5f6",
 *   "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
 *   "embedding_dims": 384,
 *   "coef": [0.12, …],
 *   "intercept": -0.4,
 *   "thresholds": { "decision": 0.5, "low": 0.45, "high": 0.65 },
 *   "metrics": { "folds": 5, "precision": 0.9, "recall": 0.8, "f1": 0.85, "accuracy": 0.88, "examples": 120 }
 * }
 * ```
 *
 * A head exported from Python SetFit works too: write `coef_` (the
 * `LogisticRegression.coef_`, shape `[1, dims]`) and `intercept_` (shape `[1]`)
 * instead of `coef` and `intercept`, with `embedding_model` and
 * `embedding_dims`; `version` then defaults to a hash of the weights.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Band and decision threshold. */
export interface Thresholds {
  /** `is_faq = p >= decision`. */
  decision: number;
  /** Lower edge of the band where the LLM decides. */
  low: number;
  /** Upper edge of the band. */
  high: number;
}

/** Binary classification metrics. */
export interface Metrics {
  /** Precision of the positive class. */
  precision: number;
  /** Recall of the positive class. */
  recall: number;
  /** F1 of the positive class. */
  f1: number;
  /** Accuracy. */
  accuracy: number;
  /** Confusion matrix counts. */
  tp: number;
  /** False positives. */
  fp: number;
  /** True negatives. */
  tn: number;
  /** False negatives. */
  fn: number;
}

/** A trained head, as kept in its JSON file. */
export interface Head {
  /** File format. */
  format: "slack-faq-head/1";
  /** Goes to gold's `classifier_name`. */
  classifier_name: string;
  /** Goes to gold's `classifier_version`. */
  version: string;
  /** The embedding model it was trained on. */
  embedding_model: string;
  /** That model's dimension. */
  embedding_dims: number;
  /** One weight per dimension. */
  coef: number[];
  /** The bias. */
  intercept: number;
  /** Decision threshold and LLM band. */
  thresholds: Thresholds;
  /** Cross-validated metrics from training, when known. */
  metrics?: Record<string, number>;
  /** How it was trained, when known. */
  training?: Record<string, unknown>;
}

/** The default decision threshold and band. */
export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({ decision: 0.5, low: 0.45, high: 0.65 });

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * The head's probability that an embedding is an FAQ.
 *
 * @param head The head.
 * @param x An embedding of `head.embedding_dims` values.
 * @returns p in [0, 1].
 */
export function score(head: Head, x: Float32Array | readonly number[]): number {
  let z = head.intercept;
  for (let i = 0; i < head.coef.length; i++) z += head.coef[i]! * (x[i] ?? 0);
  return sigmoid(z);
}

/** Options of {@linkcode trainLogistic}. */
export interface TrainOptions {
  /**
   * Inverse L2 strength, as scikit-learn's `C`.
   * @default {1}
   */
  c?: number;
  /**
   * Weigh classes by inverse frequency, as `class_weight="balanced"`.
   * @default {true}
   */
  balanced?: boolean;
  /**
   * Newton iterations at most.
   * @default {50}
   */
  maxIter?: number;
}

/**
 * Fits L2-regularized, class-weighted logistic regression by Newton's method
 * (iteratively reweighted least squares), as scikit-learn's `lbfgs` solver
 * reaches the same optimum. The bias is not regularized.
 *
 * @param xs Embeddings.
 * @param ys Labels, 0 or 1.
 * @param options Regularization and class weights.
 * @returns The weights and bias.
 * @throws {RangeError} When there are no examples or only one class.
 */
export function trainLogistic(
  xs: readonly (Float32Array | readonly number[])[],
  ys: readonly number[],
  options: TrainOptions = {},
): { coef: number[]; intercept: number } {
  const n = xs.length;
  if (n === 0) throw new RangeError("There are no training examples");
  const pos = ys.filter((y) => y === 1).length;
  if (pos === 0 || pos === n) throw new RangeError("Training needs examples of both classes, FAQ and not FAQ");
  const d = xs[0]!.length;
  const c = options.c ?? 1;
  const wPos = options.balanced === false ? 1 : n / (2 * pos);
  const wNeg = options.balanced === false ? 1 : n / (2 * (n - pos));
  const m = d + 1; // weights then bias
  const w = new Float64Array(m);
  for (let iter = 0; iter < (options.maxIter ?? 50); iter++) {
    const grad = new Float64Array(m);
    const hess = new Float64Array(m * m);
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      let z = w[d]!;
      for (let j = 0; j < d; j++) z += w[j]! * x[j]!;
      const p = sigmoid(z);
      const sw = ys[i] === 1 ? wPos : wNeg;
      const g = sw * (p - ys[i]!);
      const h = sw * Math.max(p * (1 - p), 1e-10);
      for (let j = 0; j < m; j++) {
        const xj = j === d ? 1 : x[j]!;
        grad[j]! += g * xj;
        for (let k = j; k < m; k++) hess[j * m + k]! += h * xj * (k === d ? 1 : x[k]!);
      }
    }
    for (let j = 0; j < d; j++) {
      grad[j]! += w[j]! / c;
      hess[j * m + j]! += 1 / c;
    }
    hess[d * m + d]! += 1e-8;
    for (let j = 0; j < m; j++) for (let k = 0; k < j; k++) hess[j * m + k] = hess[k * m + j]!;
    const step = solveSpd(hess, grad, m);
    let change = 0;
    for (let j = 0; j < m; j++) {
      w[j]! -= step[j]!;
      change = Math.max(change, Math.abs(step[j]!));
    }
    if (change < 1e-7) break;
  }
  return { coef: Array.from(w.subarray(0, d)), intercept: w[d]! };
}

/** Solves A x = b for a symmetric positive-definite A by Cholesky. */
function solveSpd(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * m + k]! * l[j * m + k]!;
      l[i * m + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / l[j * m + j]!;
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * m + k]! * y[k]!;
    y[i] = sum / l[i * m + i]!;
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < m; k++) sum -= l[k * m + i]! * x[k]!;
    x[i] = sum / l[i * m + i]!;
  }
  return x;
}

/**
 * Precision, recall, F1, accuracy and the confusion matrix.
 *
 * @param truth True labels.
 * @param predicted Predicted labels.
 * @returns The metrics; a ratio with nothing to divide is 0.
 */
export function metrics(truth: readonly boolean[], predicted: readonly boolean[]): Metrics {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  truth.forEach((t, i) => {
    const p = predicted[i];
    if (t && p) tp++;
    else if (!t && p) fp++;
    else if (!t && !p) tn++;
    else fn++;
  });
  const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const precision = div(tp, tp + fp);
  const recall = div(tp, tp + fn);
  return {
    precision,
    recall,
    f1: div(2 * precision * recall, precision + recall),
    accuracy: div(tp + tn, truth.length),
    tp,
    fp,
    tn,
    fn,
  };
}

/**
 * Stratified k-fold cross-validation of the logistic head.
 *
 * @param xs Embeddings.
 * @param ys Labels, 0 or 1.
 * @param folds Folds.
 * @param options Training options.
 * @returns Metrics over the out-of-fold predictions, and those predictions.
 */
export function crossValidate(
  xs: readonly (Float32Array | readonly number[])[],
  ys: readonly number[],
  folds: number,
  options: TrainOptions = {},
): Metrics & { folds: number; predicted: boolean[] } {
  // Deal each class round-robin into folds, so every fold keeps the class balance.
  const fold = new Array<number>(ys.length);
  let seenPos = 0, seenNeg = 0;
  ys.forEach((y, i) => {
    fold[i] = y === 1 ? seenPos++ % folds : seenNeg++ % folds;
  });
  const predicted = new Array<boolean>(ys.length);
  for (let f = 0; f < folds; f++) {
    const trainIdx = ys.map((_, i) => i).filter((i) => fold[i] !== f);
    const model = trainLogistic(trainIdx.map((i) => xs[i]!), trainIdx.map((i) => ys[i]!), options);
    const head = { coef: model.coef, intercept: model.intercept } as Head;
    ys.forEach((_, i) => {
      if (fold[i] === f) predicted[i] = score(head, xs[i]!) >= 0.5;
    });
  }
  return { ...metrics(ys.map((y) => y === 1), predicted), folds, predicted };
}

/**
 * A short version string derived from the weights, so two heads with the same
 * weights share a version and any retraining changes it.
 *
 * @param coef The weights.
 * @param intercept The bias.
 * @param embeddingModel The embedding model.
 * @returns 12 hex characters.
 */
export function headVersion(coef: readonly number[], intercept: number, embeddingModel: string): string {
  return createHash("sha256").update(JSON.stringify([embeddingModel, intercept, coef])).digest("hex").slice(0, 12);
}

function num(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * Parses and checks a head file, ours or one exported from Python SetFit.
 *
 * @param text The file's text.
 * @param file Its path, for messages.
 * @returns The head.
 * @throws {SyntaxError} When it is not JSON.
 * @throws {TypeError} When a field is missing or has the wrong shape.
 */
export function parseHead(text: string, file: string): Head {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Head file ${file} is not JSON (${(e as Error).message}): train one with deno task train`);
  }
  const bad = (what: string) => new TypeError(`Head file ${file}: ${what}`);
  if (typeof raw !== "object" || raw === null) throw bad("the top level must be an object");
  let coef = raw.coef ?? raw.coef_;
  if (Array.isArray(coef) && coef.length === 1 && Array.isArray(coef[0])) coef = coef[0];
  if (!Array.isArray(coef) || coef.length === 0 || !coef.every(num)) {
    throw bad('"coef" (or "coef_") must be a non-empty array of numbers');
  }
  let intercept = raw.intercept ?? raw.intercept_;
  if (Array.isArray(intercept) && intercept.length === 1) intercept = intercept[0];
  if (!num(intercept)) throw bad('"intercept" (or "intercept_") must be a number');
  if (typeof raw.embedding_model !== "string" || raw.embedding_model === "") {
    throw bad('"embedding_model" must name the embedding model the head was trained on');
  }
  const dims = raw.embedding_dims ?? coef.length;
  if (dims !== coef.length) throw bad(`"embedding_dims" is ${dims}, but "coef" has ${coef.length} values`);
  const t = (raw.thresholds ?? {}) as Partial<Thresholds>;
  const thresholds: Thresholds = {
    decision: t.decision ?? DEFAULT_THRESHOLDS.decision,
    low: t.low ?? DEFAULT_THRESHOLDS.low,
    high: t.high ?? DEFAULT_THRESHOLDS.high,
  };
  checkBand(thresholds.low, thresholds.high, `Head file ${file}`);
  return {
    format: "slack-faq-head/1",
    classifier_name: typeof raw.classifier_name === "string" ? raw.classifier_name : "setfit-logreg",
    version: typeof raw.version === "string" ? raw.version : headVersion(coef, intercept, raw.embedding_model),
    embedding_model: raw.embedding_model,
    embedding_dims: coef.length,
    coef,
    intercept,
    thresholds,
    ...(raw.metrics ? { metrics: raw.metrics as Record<string, number> } : {}),
    ...(raw.training ? { training: raw.training as Record<string, unknown> } : {}),
  };
}

/**
 * Checks an LLM band.
 *
 * @param low Lower edge.
 * @param high Upper edge.
 * @param where What it came from, for the message.
 * @throws {RangeError} Unless 0 <= low <= high <= 1.
 */
export function checkBand(low: number, high: number, where: string): void {
  if (!(num(low) && num(high) && low >= 0 && high <= 1 && low <= high)) {
    throw new RangeError(`${where}: the band [${low}, ${high}] must satisfy 0 <= low <= high <= 1`);
  }
}

/**
 * Refuses a head trained on another embedding model.
 *
 * @param head The head.
 * @param modelId The embedding model in use.
 * @param dims Its dimension.
 * @throws {RangeError} When they differ.
 */
export function checkHeadMatches(head: Head, modelId: string, dims: number): void {
  if (head.embedding_model !== modelId || head.embedding_dims !== dims) {
    throw new RangeError(
      `The head was trained on ${head.embedding_model} (${head.embedding_dims} dims), but the model in use is ${modelId} (${dims} dims): ` +
        `pass the --model it was trained on, or retrain it with deno task train`,
    );
  }
}

/** One labeled example. */
export interface LabeledText {
  /** The message text. */
  text: string;
  /** Whether it is an FAQ. */
  is_faq: boolean;
}

/**
 * Parses a labels file: one JSON object per line with `text` and `is_faq`
 * (a boolean, or `label` as 0 or 1). Blank lines are skipped.
 *
 * @param content The file's text.
 * @param file Its path, for messages.
 * @returns The examples.
 * @throws {SyntaxError} When a line is not JSON, naming the file and line.
 * @throws {TypeError} When a line lacks `text` or the label.
 */
export function parseLabels(content: string, file: string): LabeledText[] {
  const out: LabeledText[] = [];
  content.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new SyntaxError(`${file}:${i + 1}: not JSON (${(e as Error).message}): write one object per line`);
    }
    const label = typeof v?.is_faq === "boolean"
      ? v.is_faq
      : v?.label === 1
      ? true
      : v?.label === 0
      ? false
      : undefined;
    if (typeof v?.text !== "string" || v.text.trim() === "" || label === undefined) {
      throw new TypeError(`${file}:${i + 1}: each line needs "text" and "is_faq" (true or false) or "label" (0 or 1)`);
    }
    out.push({ text: v.text, is_faq: label });
  });
  if (out.length === 0) throw new TypeError(`${file} has no labeled examples`);
  return out;
}

/** A band suggested by {@linkcode suggestBand}. */
export interface BandSuggestion {
  /** Lower edge. */
  low: number;
  /** Upper edge. */
  high: number;
  /** Estimated precision with the LLM deciding inside the band. */
  precision: number;
  /** Estimated recall. */
  recall: number;
  /** Share of candidates that go to the LLM. */
  llmShare: number;
  /** Whether it reaches the target; when none does, the most precise band is given. */
  reachesTarget: boolean;
}

/**
 * Suggests the narrowest band `[low, high]` whose decisions reach a target
 * precision, assuming the LLM decides inside it with the given accuracy
 * (1 = the LLM always agrees with the labels: a best case).
 *
 * @param scores Model probabilities.
 * @param truth True labels.
 * @param options The target precision, the assumed LLM answers or accuracy, and the grid step.
 * @returns The band.
 */
export function suggestBand(
  scores: readonly number[],
  truth: readonly boolean[],
  options: { targetPrecision: number; llmAnswers?: readonly (boolean | undefined)[]; decision?: number; step?: number },
): BandSuggestion {
  const decision = options.decision ?? 0.5;
  const step = options.step ?? 0.05;
  const grid: number[] = [];
  for (let v = 0; v <= 1 + 1e-9; v += step) grid.push(Math.round(v * 1000) / 1000);
  let best: BandSuggestion | undefined;
  let fallback: BandSuggestion | undefined;
  for (const low of grid.filter((v) => v <= decision)) {
    for (const high of grid.filter((v) => v >= decision)) {
      const predicted = scores.map((p, i) =>
        p >= low && p <= high ? (options.llmAnswers?.[i] ?? truth[i]!) : p >= decision
      );
      const m = metrics(truth, predicted);
      const share = scores.filter((p) => p >= low && p <= high).length / Math.max(1, scores.length);
      const s = { low, high, precision: m.precision, recall: m.recall, llmShare: share, reachesTarget: false };
      if (m.precision >= options.targetPrecision) {
        s.reachesTarget = true;
        if (!best || share < best.llmShare || (share === best.llmShare && m.recall > best.recall)) best = s;
      }
      if (
        !fallback || m.precision > fallback.precision ||
        (m.precision === fallback.precision && share < fallback.llmShare)
      ) {
        fallback = s;
      }
    }
  }
  return best ?? fallback!;
}

/** Options of {@linkcode trainHead}. */
export interface TrainHeadOptions extends TrainOptions {
  /**
   * Cross-validation folds (fewer when a class has fewer examples).
   * @default {5}
   */
  folds?: number;
  /**
   * Where the labels came from, recorded in the head.
   * @default {undefined}
   */
  labels?: string;
  /**
   * Receives the cross-validation's out-of-fold predictions, one per example,
   * to compare heads on the same examples.
   * @default {undefined}
   */
  onOutOfFold?: (predicted: readonly boolean[]) => void;
}

/** What the head is trained on: the encoder's identity and its function. */
export interface HeadEncoder {
  /** The embedding model id. */
  modelId: string;
  /** Its dimension. */
  dims: number;
  /** Its weights' version. */
  modelVersion: string;
  /** Embeds texts. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/**
 * Embeds labeled examples, cross-validates and fits the head, and returns it
 * with its metrics, ready to be written as JSON.
 *
 * @param encoder The encoder.
 * @param examples Labeled texts.
 * @param options Regularization, folds and the labels' name.
 * @returns The head.
 * @throws {RangeError} When there are not both classes, or fewer than 2 examples of one.
 */
export async function trainHead(
  encoder: HeadEncoder,
  examples: readonly LabeledText[],
  options: TrainHeadOptions = {},
): Promise<Head & { metrics: Record<string, number> }> {
  const xs = await encoder.embed(examples.map((e) => e.text));
  const ys = examples.map((e) => (e.is_faq ? 1 : 0));
  const positives = ys.filter((y) => y === 1).length;
  const negatives = ys.length - positives;
  // Each fold trains on the others: with one example of a class, some fold would train on one class only.
  if (positives > 0 && negatives > 0 && Math.min(positives, negatives) < 2) {
    throw new RangeError(
      `Cross-validation needs at least 2 examples of each class, and there are ${positives} FAQ and ${negatives} ` +
        "not FAQ",
    );
  }
  const folds = Math.max(2, Math.min(options.folds ?? 5, positives, negatives));
  const cv = crossValidate(xs, ys, folds, options);
  options.onOutOfFold?.(cv.predicted);
  const fit = trainLogistic(xs, ys, options);
  const coef = fit.coef.map((w) => Number(w.toPrecision(8)));
  const intercept = Number(fit.intercept.toPrecision(8));
  return {
    format: "slack-faq-head/1",
    classifier_name: "setfit-logreg",
    version: headVersion(coef, intercept, encoder.modelId),
    embedding_model: encoder.modelId,
    embedding_dims: encoder.dims,
    coef,
    intercept,
    thresholds: { ...DEFAULT_THRESHOLDS },
    metrics: {
      folds: cv.folds,
      precision: cv.precision,
      recall: cv.recall,
      f1: cv.f1,
      accuracy: cv.accuracy,
      examples: ys.length,
      positives,
    },
    training: {
      c: options.c ?? 1,
      class_weight: options.balanced === false ? null : "balanced",
      ...(options.labels ? { labels: options.labels } : {}),
      embedding_version: encoder.modelVersion,
    },
  };
}
