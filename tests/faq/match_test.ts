import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { capture, fixture } from "../_helpers.ts";
import { loadEmbedder } from "../../lib/classify/embed.ts";
import { openCourseFaq } from "../../lib/faq/course.ts";
import { importFaq } from "../../lib/faq/import.ts";
import { buildFaqIndex, buildTfidfBaseline, fuseRankings } from "../../lib/faq/match.ts";
import type { FaqEntry } from "../../lib/faq/source.ts";
import { analyze } from "../../lib/faq/text.ts";
import { LocalLake, MemoryLake } from "../../lib/lake.ts";
import { main as faqEvalMain } from "../../classify/faq_eval.ts";

function entry(id: string, question: string, answer: string): FaqEntry {
  return { id, section: "", question, answer_plain: answer, source_path: `${id}.md`, sha256: id };
}

const FAQ: FaqEntry[] = [
  entry("join", "How do I join the course Slack?", "Use the invite link on the course page. Say hello in #welcome."),
  entry("thanks", "Who runs the course?", "The course is run by volunteers; thanks to everyone who helps."),
  entry(
    "mlflow-attr",
    "AttributeError: module 'mlflow' has no attribute 'set_tracking_url'",
    "The function is mlflow.set_tracking_uri, with an i: mlflow.set_tracking_uri('http://127.0.0.1:5000').",
  ),
  entry(
    "docker-daemon",
    "Docker: cannot connect to the Docker daemon",
    "Start Docker Desktop, or run sudo systemctl start docker.",
  ),
  entry(
    "pipfile-lock",
    "Your Pipfile.lock is out of date during docker build",
    "Run pipenv lock and rebuild the image.",
  ),
  entry(
    "kind-load",
    "Kind: cannot load docker image",
    "Use kind load docker-image NAME:TAG so that the cluster sees it.",
  ),
  entry("hw-late", "Can I submit the homework after the due date?", "No, the form closes at the deadline."),
  entry(
    "k8s-cpu",
    "Why do CPU values in deployment.yaml look like 100m?",
    "m means milli-CPU: 100m is a tenth of a core.",
  ),
];

Deno.test("analyze() keeps identifiers whole and split, folds aliases, and drops chatter", async (t) => {
  await t.step("identifiers", () => {
    const terms = [...analyze("mlflow.set_tracking_uri and MlflowClient in Pipfile.lock").keys()];
    for (
      const t of ["mlflow.set_tracking_uri", "set", "track", "uri", "mlflowclient", "mlflow", "client", "pipfile.lock"]
    ) {
      ok(terms.includes(t), `${t} in ${terms.join(" ")}`);
    }
  });
  await t.step("aliases and stems", () => {
    assertEquals([...analyze("k8s hw env").keys()], ["kubernet", "homework", "environ"]);
  });
  await t.step("greetings, thanks, mentions, links and emoji leave nothing", () => {
    assertEquals(
      [...analyze("Hi everyone :wave: @Alexey thanks a lot!! 🙏 https://github.com/org/repo", { query: true }).keys()],
      [],
    );
  });
  await t.step("error lines weigh more in a query, exception names most", () => {
    const w = analyze("I ran the script\nAttributeError: module has no member", { query: true });
    ok(w.get("attributeerror")! > w.get("attribut")!);
    ok(w.get("attribut")! > w.get("script")!);
  });
  await t.step("a traceback frame keeps only its module name", () => {
    const w = analyze('  File "/home/me/.venv/lib/python3.9/site-packages/flask/app.py", line 4, in <module>', {
      query: true,
    });
    assertEquals([...w.keys()], ["app"]);
  });
  await t.step("a file path keeps only its last two parts", () => {
    const w = analyze(
      "ImportError: cannot import name 'OpenAI' (/opt/conda/lib/python3.10/site-packages/openai/__init__.py)",
    );
    ok(w.has("openai"));
    ok(w.has("__init__.py"));
    for (const noise of ["opt", "conda", "site-packages", "python3.10"]) assertEquals(w.has(noise), false, noise);
  });
  await t.step("a line pasted many times counts once in a query, short lines are not merged", () => {
    const line = "WARN  kafka.consumer: retrying connection to broker";
    const once = analyze(line, { query: true });
    const many = analyze([line, line, line, "ok", "ok"].join("\n"), { query: true });
    assertEquals(many.get("broker"), once.get("broker"));
    assertEquals(analyze("ok go\nok go", { query: true }).get("go"), 2);
  });
});

Deno.test("buildFaqIndex() ranks real-looking Slack questions", async (t) => {
  const index = buildFaqIndex(FAQ);
  await t.step("an error pasted into a long question finds the entry about that error", () => {
    const text = `Hello everyone, hope you're doing well! I'm following video 2.2 and I set up a docker container
with postgres and the homework data, then in my notebook I do this:

import mlflow
mlflow.set_tracking_url("sqlite:///mlflow.db")

and I get
Traceback (most recent call last):
  File "/home/me/notebooks/train.py", line 2, in <module>
AttributeError: module 'mlflow' has no attribute 'set_tracking_url'

I already reinstalled everything with pipenv and restarted docker desktop. thanks in advance @Alexey`;
    const m = index.match(text);
    assertEquals(m[0]!.faq_id, "mlflow-attr");
    ok(index.isCovered(m[0]!.score), String(m[0]!.score));
  });
  await t.step("a greeting and a mention do not pull in unrelated entries", () => {
    assertEquals(index.match("Hi everyone! thanks @channel :wave: hope everyone is well"), []);
    const plain = index.match("docker build says Pipfile.lock (221d14) is out of date");
    const chatty = index.match(
      "Hey hi all, thanks so much for the course!! @Alexey Grigorev docker build says Pipfile.lock (221d14) is out of date :pray:",
    );
    assertEquals(chatty.map((m) => m.faq_id), plain.map((m) => m.faq_id));
    assertEquals(chatty[0]!.faq_id, "pipfile-lock");
  });
  await t.step("aliases: k8s, hw", () => {
    assertEquals(index.match("k8s deployment yaml, what does cpu 500m mean?")[0]!.faq_id, "k8s-cpu");
    assertEquals(index.match("can i send hw late, after the due date?")[0]!.faq_id, "hw-late");
  });
  await t.step("a question on another topic is not covered", () => {
    const m = index.match("what is the difference between bagging and boosting in random forests?");
    ok(m.length === 0 || !index.isCovered(m[0]!.score));
  });
  await t.step("scores are in [0, 1], best first, at most k", () => {
    const m = index.match("docker kind load image daemon", 3);
    ok(m.length <= 3);
    for (let i = 1; i < m.length; i++) ok(m[i - 1]!.score >= m[i]!.score);
    ok(m.every((x) => x.score > 0 && x.score <= 1));
  });
  await t.step("the version names the ranker and the FAQ", () => {
    ok(index.version.startsWith("lexical-"));
    ok(index.version !== buildFaqIndex(FAQ.slice(1)).version);
  });
});

Deno.test("fuseRankings() merges by reciprocal rank and keeps lexical scores", () => {
  const fused = fuseRankings(
    [{ faq_id: "a", score: 0.5 }, { faq_id: "b", score: 0.4 }],
    [{ faq_id: "b", score: 0.9 }, { faq_id: "c", score: 0.8 }],
    { limit: 3 },
  );
  assertEquals(fused.map((m) => m.faq_id), ["b", "a", "c"]);
  assertEquals(fused[0]!.score, 0.4);
});

Deno.test("openCourseFaq() takes the lexical path with a synthetic encoder and fuses when forced", async (t) => {
  const embedder = await loadEmbedder(fixture("models", "tiny"));
  try {
    ok(embedder.synthetic);
    const lake = new MemoryLake();
    await importFaq(lake, "ml-zoomcamp", fixture("faq", "_questions"));
    const texts = ["ModuleNotFoundError: No module named 'sklearn' in my notebook", "docker container exited with 137"];
    const vectors = await embedder.embed(texts);
    const lexical = await openCourseFaq(lake, "ml-zoomcamp", { embedder });
    await t.step("lexical", async () => {
      assertEquals(lexical.path, "lexical");
      const m = await lexical.matchAll(texts, vectors);
      assertEquals(m.map((x) => [x.matches[0]!.faq_id, x.status]), [
        ["d4e5f6a7b8", "covered"],
        ["e5f6a7b8c9", "covered"],
      ]);
    });
    await t.step("fused", async () => {
      const fused = await openCourseFaq(lake, "ml-zoomcamp", { embedder, fuse: true });
      assertEquals(fused.path, "fused");
      const m = await fused.matchAll(texts, vectors);
      for (const [i, x] of m.entries()) {
        ok(x.matches.length > 0 && x.matches.length <= 5);
        assertEquals(new Set(x.matches.map((y) => y.faq_id)).size, x.matches.length);
        // The lexical best is in the fused top 5: fusion adds the encoder's view, it does not drop the lexical one.
        const lex = (await lexical.matchAll([texts[i]!]))[0]!.matches[0]!.faq_id;
        ok(x.matches.some((y) => y.faq_id === lex));
        ok(x.status === "covered" || x.status === "uncovered");
      }
    });
    await t.step("no FAQ: status null", async () => {
      const none = await openCourseFaq(lake, "de-zoomcamp", { embedder });
      assertEquals(none.path, "none");
      assertEquals(await none.matchAll(["anything"]), [{ matches: [], status: null }]);
    });
  } finally {
    await embedder.dispose();
  }
});

Deno.test("faq:eval prints hit@1, hit@5 and MRR@5 for the matcher and the TF-IDF baseline", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faq-eval-" });
  try {
    await importFaq(new LocalLake(dir), "ml-zoomcamp", fixture("faq", "_questions"));
    const config = `${dir}/courses.yml`;
    await Deno.writeTextFile(config, "courses:\n  - id: ml-zoomcamp\n");
    const args = ["--lake", dir, "--config", config, "--queries", fixture("faq", "eval_queries.jsonl")];
    const r = await capture(() =>
      faqEvalMain([...args, "--truth", fixture("faq", "eval_truth.jsonl"), "--log-format", "json"])
    );
    assertEquals(r.code, 0, r.err);
    const s = JSON.parse(r.out).courses[0];
    assertEquals(s.matcher, { n: 5, hit1: 1, hit5: 1, mrr5: 1 });
    assertEquals(s.baseline.n, 5);
    ok(s.baseline.hit5 <= 1);
    const missing = await capture(() => faqEvalMain(args));
    assertEquals(missing.code, 2);
    ok(missing.err.includes("needs --queries FILE and --truth FILE"), missing.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildTfidfBaseline() is plain TF-IDF cosine", () => {
  const b = buildTfidfBaseline(FAQ);
  assertEquals(b.match("kind load docker image")[0]!.faq_id, "kind-load");
});

Deno.test("faqMatcherFor() gives label:bootstrap a covered best match from the lake's FAQ", async () => {
  const { faqMatcherFor } = await import("../../lib/classify/bootstrap.ts");
  const lake = new MemoryLake();
  await importFaq(lake, "ml-zoomcamp", fixture("faq", "_questions"));
  const matcher = (await faqMatcherFor(lake)("ml-zoomcamp"))!;
  assertEquals(matcher("hi! ModuleNotFoundError: No module named 'sklearn' in my notebook")?.faqId, "d4e5f6a7b8");
  assertEquals(matcher("ModuleNotFoundError: No module named 'sklearn'")?.covered, true);
  assertEquals(await faqMatcherFor(lake)("de-zoomcamp"), undefined);
});
