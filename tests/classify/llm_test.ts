import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertChatRequests, assertThrows, startFakeLlm } from "../_helpers.ts";
import { cacheKey, FAQ_DEFINITION, LlmJudge, parseAnswer, redactForLlm } from "../../lib/classify/llm.ts";
import { MemoryLake } from "../../lib/lake.ts";

const good = (isFaq: boolean, confidence = 0.8) => JSON.stringify({ is_faq: isFaq, confidence, reason: "because" });

Deno.test("redactForLlm() keeps mentions, emails, tokens and URL queries on the machine", () => {
  assertEquals(
    redactForLlm(
      "ask <@U01ABCDEF> or @U02ABCDEFG at ana.p@example.org, key xoxb-1-2-abc, see https://x.org/a?t=secret&u=1",
    ),
    "ask @user or @user at [email], key [REDACTED], see https://x.org/a",
  );
});

Deno.test("parseAnswer() checks the reply's shape", () => {
  assertEquals(parseAnswer('```json\n{"is_faq": false, "confidence": "0.3", "reason": "x"}\n```'), {
    is_faq: false,
    confidence: 0.3,
    reason: "x",
  });
  assertThrows(() => parseAnswer("yes it is"), SyntaxError, "LLM reply is not JSON");
  assertThrows(() => parseAnswer('{"is_faq": "yes"}'), SyntaxError, "lacks is_faq (boolean) or confidence");
  assertThrows(() => parseAnswer('{"is_faq": true, "confidence": 3}'), SyntaxError, "confidence (0 to 1)");
});

Deno.test("LlmJudge answers through an OpenAI-compatible server", async (t) => {
  await t.step("a good answer", async () => {
    const llm = startFakeLlm(() => ({ status: 200, content: good(true, 0.75) }));
    try {
      const judge = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL });
      assertEquals(await judge.judge(["How do I install docker? mail me at a@b.org"]), [
        { status: "answered", answer: { is_faq: true, confidence: 0.75, reason: "because" } },
      ]);
      assertEquals(llm.received, ["How do I install docker? mail me at [email]"]);
      assertEquals(judge.calls, 1);
      assertChatRequests(llm, "m", FAQ_DEFINITION);
      assertEquals(llm.log[0]!.body.response_format, { type: "json_object" });
    } finally {
      await llm.close();
    }
  });
  await t.step("equal texts in flight at once make one request, never two", async () => {
    const llm = startFakeLlm(() => ({ status: 200, content: good(true, 0.9) }));
    try {
      const judge = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL, concurrency: 4 });
      // The two mentions redact to the same text, so they are one question to the LLM.
      const texts = ["Is there a deadline <@U1>?", "Is there a deadline <@U2>?", "Is there a deadline <@U1>?"];
      const results = await judge.judge(texts);
      assertEquals(llm.log.length, 1);
      assertEquals(judge.calls, 1);
      assertEquals(judge.cacheHits, 2);
      assertEquals(results.map((r) => r.status), ["answered", "cached", "cached"]);
    } finally {
      await llm.close();
    }
  });
  await t.step("a reason that echoes an email or a phone number is stored without them", async () => {
    const echo = JSON.stringify({
      is_faq: true,
      confidence: 0.8,
      reason: "asked by ana@example.org, +44 20 7946 0958",
    });
    const llm = startFakeLlm(() => ({ status: 200, content: echo }));
    try {
      const judge = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL });
      const [r] = await judge.judge(["How do I reset my password?"]);
      assertEquals(r!.status, "answered");
      const reason = r!.status === "answered" ? r!.answer.reason : "";
      assertEquals([reason.includes("ana@example.org"), reason.includes("7946")], [false, false], reason);
    } finally {
      await llm.close();
    }
  });
  await t.step("malformed JSON fails that item only", async () => {
    const llm = startFakeLlm((b) =>
      b.messages[1]!.content.includes("bad") ? { status: 200, content: "{not json" } : undefined
    );
    try {
      const judge = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL });
      const [a, b] = await judge.judge(["a bad one", "a good one"]);
      assertEquals(a!.status, "failed");
      ok(a!.status === "failed" && a!.error.startsWith("LLM reply is not JSON"));
      assertEquals(b!.status, "answered");
    } finally {
      await llm.close();
    }
  });
  await t.step("a 429 then success is retried", async () => {
    const llm = startFakeLlm((_b, attempt) => attempt === 1 ? { status: 429 } : { status: 200, content: good(false) });
    try {
      const judge = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL, maxRetries: 2 });
      const [r] = await judge.judge(["Is it too late to join?"]);
      assertEquals(r, { status: "answered", answer: { is_faq: false, confidence: 0.8, reason: "because" } });
      assertEquals(llm.requests, 2);
    } finally {
      await llm.close();
    }
  });
  await t.step("5xx every time fails after the retries", async () => {
    const llm = startFakeLlm(() => ({ status: 503 }));
    try {
      const judge = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL, maxRetries: 2 });
      const [r] = await judge.judge(["x"]);
      assertEquals(r!.status, "failed");
      assertEquals(llm.requests, 3);
    } finally {
      await llm.close();
    }
  });
  await t.step("a timeout fails, and the run goes on", async () => {
    const llm = startFakeLlm(() => ({ status: 200, content: good(true), delayMs: 2000 }));
    try {
      const judge = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL, timeoutMs: 100, maxRetries: 1 });
      const [r] = await judge.judge(["slow"]);
      assertEquals(r!.status, "failed");
      ok(r!.status === "failed" && /timed out/i.test(r!.error), JSON.stringify(r));
      assertEquals(llm.requests, 2);
    } finally {
      await llm.close();
    }
  });
});

Deno.test("LlmJudge caches answers in the lake and caps its calls", async (t) => {
  const llm = startFakeLlm(() => ({ status: 200, content: good(true) }));
  const lake = new MemoryLake();
  try {
    await t.step("the first run asks, a rerun reads the cache", async () => {
      const first = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL, cache: lake });
      await first.judge(["q1", "q2"]);
      assertEquals([first.calls, first.cacheHits], [2, 0]);
      ok(await lake.stat(cacheKey("m", "q1")));
      const again = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL, cache: lake });
      const results = await again.judge(["q1", "q2"]);
      assertEquals([again.calls, again.cacheHits], [0, 2]);
      assertEquals(results.map((r) => r.status), ["cached", "cached"]);
      assertEquals(llm.requests, 2);
    });
    await t.step("another model does not reuse the cache", async () => {
      const other = new LlmJudge({ apiKey: "k", model: "m2", baseURL: llm.baseURL, cache: lake });
      await other.judge(["q1"]);
      assertEquals(other.calls, 1);
    });
    await t.step("past the cap, items are capped, not sent", async () => {
      const capped = new LlmJudge({ apiKey: "k", model: "m3", baseURL: llm.baseURL, maxCalls: 1, concurrency: 1 });
      const results = await capped.judge(["a", "b", "c"]);
      assertEquals(results.map((r) => r.status), ["answered", "capped", "capped"]);
      assertEquals(capped.calls, 1);
    });
  } finally {
    await llm.close();
  }
});

Deno.test("LlmJudge keeps the key out of a failure's reason when the server echoes it", async () => {
  const key = "sk-echoed-DONOTLEAK-0123456789";
  const llm = startFakeLlm(() => ({
    status: 401,
    body: JSON.stringify({
      error: { message: `Incorrect API key provided: ${key} (also ghp_abcdefghijklmnopqrstuvwxyz0123)` },
    }),
  }));
  try {
    const judge = new LlmJudge({ apiKey: key, model: "m", baseURL: llm.baseURL });
    const [r] = await judge.judge(["How do I install docker?"]);
    assertEquals(r!.status, "failed");
    const error = (r as { error: string }).error;
    ok(error.includes("Incorrect API key provided: [REDACTED]"), error);
    ok(!error.includes("DONOTLEAK") && !error.includes("ghp_"), error);
  } finally {
    await llm.close();
  }
});
