import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, assertThrows } from "../_helpers.ts";
import {
  checkHeadMatches,
  crossValidate,
  metrics,
  parseHead,
  parseLabels,
  score,
  suggestBand,
  trainHead,
  trainLogistic,
} from "../../lib/classify/head.ts";

/** Two Gaussian-ish clouds, separable along the first axis. */
function data(n: number): { xs: number[][]; ys: number[] } {
  const xs: number[][] = [];
  const ys: number[] = [];
  let s = 1;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  for (let i = 0; i < n; i++) {
    const y = i % 3 === 0 ? 1 : 0; // imbalanced: a third positive
    xs.push([y ? 1 + r() : -1 + r(), r(), r()]);
    ys.push(y);
  }
  return { xs, ys };
}

Deno.test(
  { name: "trainLogistic() learns a separable problem, with L2 and class weights", permissions: "none" },
  async (t) => {
    const { xs, ys } = data(90);
    const { coef, intercept } = trainLogistic(xs, ys);
    const head = { coef, intercept } as Parameters<typeof score>[0];
    await t.step("the signal axis gets the weight", () => {
      ok(coef[0]! > 1);
      ok(Math.abs(coef[1]!) < coef[0]! / 3 && Math.abs(coef[2]!) < coef[0]! / 3);
    });
    await t.step("the gradient of the regularized, weighted loss is zero at the optimum", () => {
      const n = ys.length, pos = ys.filter((y) => y).length;
      const g = [0, 0, 0, 0];
      xs.forEach((x, i) => {
        const w = ys[i] ? n / (2 * pos) : n / (2 * (n - pos));
        const e = w * (score(head, x) - ys[i]!);
        x.forEach((v, j) => (g[j]! += e * v));
        g[3]! += e;
      });
      coef.forEach((c, j) => (g[j]! += c));
      for (const v of g) ok(Math.abs(v) < 1e-6, String(g));
    });
    await t.step("stronger regularization shrinks the weights", () => {
      ok(trainLogistic(xs, ys, { c: 0.01 }).coef[0]! < coef[0]!);
    });
    await t.step("cross-validation reports honest metrics", () => {
      const cv = crossValidate(xs, ys, 5);
      assertEquals(cv.folds, 5);
      ok(cv.f1 > 0.95 && cv.accuracy > 0.95);
      assertEquals(cv.tp + cv.fp + cv.tn + cv.fn, 90);
    });
    await t.step("one class only is refused", () => {
      assertThrows(() => trainLogistic(xs, ys.map(() => 1)), RangeError, "needs examples of both classes");
      assertThrows(() => trainLogistic([], []), RangeError, "There are no training examples");
    });
  },
);

Deno.test({ name: "metrics() counts the confusion matrix", permissions: "none" }, () => {
  const m = metrics([true, true, false, false, true], [true, false, true, false, true]);
  assertEquals([m.tp, m.fp, m.tn, m.fn], [2, 1, 1, 1]);
  assertEquals([m.precision, m.recall, m.accuracy], [2 / 3, 2 / 3, 3 / 5]);
});

Deno.test(
  { name: "parseHead() reads our heads and Python SetFit exports, and refuses bad ones", permissions: "none" },
  async (t) => {
    await t.step("a SetFit export with coef_ and intercept_", () => {
      const h = parseHead(JSON.stringify({ coef_: [[0.5, -1]], intercept_: [0.25], embedding_model: "m" }), "h.json");
      assertEquals([h.coef, h.intercept, h.embedding_dims, h.classifier_name], [[0.5, -1], 0.25, 2, "setfit-logreg"]);
      assertEquals(h.thresholds, { decision: 0.5, low: 0.45, high: 0.65 });
      assertEquals(h.version.length, 12);
    });
    const cases: [string, string, ErrorConstructor, string][] = [
      ["not JSON", "{", SyntaxError, "Head file h.json is not JSON"],
      [
        "no weights",
        JSON.stringify({ intercept: 0, embedding_model: "m" }),
        TypeError,
        '"coef" (or "coef_") must be a non-empty array',
      ],
      [
        "no bias",
        JSON.stringify({ coef: [1], embedding_model: "m" }),
        TypeError,
        '"intercept" (or "intercept_") must be a number',
      ],
      ["no model", JSON.stringify({ coef: [1], intercept: 0 }), TypeError, '"embedding_model" must name'],
      [
        "wrong dims",
        JSON.stringify({ coef: [1], intercept: 0, embedding_model: "m", embedding_dims: 3 }),
        TypeError,
        '"embedding_dims" is 3, but "coef" has 1',
      ],
      [
        "a bad band",
        JSON.stringify({ coef: [1], intercept: 0, embedding_model: "m", thresholds: { low: 0.8, high: 0.2 } }),
        RangeError,
        "the band [0.8, 0.2] must satisfy",
      ],
    ];
    for (const [name, text, cls, message] of cases) {
      await t.step(name, () => {
        assertThrows(() => parseHead(text, "h.json"), cls, message);
      });
    }
    await t.step("a head for another embedding model is refused", () => {
      const h = parseHead(JSON.stringify({ coef: [1, 2], intercept: 0, embedding_model: "a" }), "h.json");
      assertThrows(
        () => checkHeadMatches(h, "b", 2),
        RangeError,
        "The head was trained on a (2 dims), but the model in use is b (2 dims)",
      );
      checkHeadMatches(h, "a", 2);
    });
  },
);

Deno.test({ name: "parseLabels() reads JSON lines and names the bad line", permissions: "none" }, () => {
  assertEquals(parseLabels('{"text":"a","is_faq":true}\n\n{"text":"b","label":0}\n', "l.jsonl"), [
    { text: "a", is_faq: true },
    { text: "b", is_faq: false },
  ]);
  assertThrows(() => parseLabels('{"text":"a","is_faq":true}\n{oops\n', "l.jsonl"), SyntaxError, "l.jsonl:2: not JSON");
  assertThrows(
    () => parseLabels('{"text":"a"}\n', "l.jsonl"),
    TypeError,
    'l.jsonl:1: each line needs "text" and "is_faq"',
  );
  assertThrows(() => parseLabels("\n", "l.jsonl"), TypeError, "l.jsonl has no labeled examples");
});

Deno.test({ name: "suggestBand() finds the narrowest band that reaches the precision", permissions: "none" }, () => {
  const scores = [0.1, 0.2, 0.48, 0.52, 0.55, 0.6, 0.9, 0.95];
  const truth = [false, false, true, false, false, true, true, true];
  const b = suggestBand(scores, truth, { targetPrecision: 1 });
  assertEquals(b.reachesTarget, true);
  assertEquals(b.precision, 1);
  // It must cover 0.52 and 0.55 (the false positives of the model alone).
  ok(b.low <= 0.52 && b.high >= 0.55 && b.high < 0.9);
  const none = suggestBand(scores, truth, { targetPrecision: 1, llmAnswers: scores.map(() => true) });
  assertEquals(none.reachesTarget, false);
});

Deno.test("trainHead() with one example of a class says how many of each it needs", async (t) => {
  const encoder = {
    modelId: "m",
    dims: 3,
    modelVersion: "1",
    embed: (texts: readonly string[]) =>
      Promise.resolve(texts.map((_, i) => new Float32Array([i === 0 ? -1 : 1, 0, 0]))),
  };
  const ex = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `t${i}`, is_faq: i > 0 }));
  await t.step("3 labels, one of them not an FAQ", async () => {
    await assertRejects(
      () => trainHead(encoder, ex(3)),
      RangeError,
      "Cross-validation needs at least 2 examples of each class, and there are 2 FAQ and 1 not FAQ",
    );
  });
  await t.step("one class only", async () => {
    const all = ex(4).map((e) => ({ ...e, is_faq: true }));
    await assertRejects(() => trainHead(encoder, all), RangeError, "Training needs examples of both classes");
  });
  await t.step("2 of each class train", async () => {
    const four = [...ex(3), { text: "t3", is_faq: false }];
    const head = await trainHead(encoder, four);
    assertEquals([head.metrics.examples, head.metrics.positives, head.metrics.folds], [4, 2, 2]);
  });
});
