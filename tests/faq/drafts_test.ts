// FAQ drafts in the DataTalks.Club format: front matter, ids, paths, sections, answers; and the faq:drafts task.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import * as path from "node:path";
import { parse } from "yaml";
import { MemoryLake } from "../../lib/lake.ts";
import {
  buildDrafts,
  chooseSection,
  DEFAULT_SECTION,
  draftId,
  isCovered,
  questionTitle,
  rankReplies,
  slugify,
} from "../../lib/faq/drafts.ts";
import { dayOfMessageId, readClusters, readFaq, readGold, readThreadsOf } from "../../lib/faq/drafts_input.ts";
import type { Lake } from "../../lib/lake.ts";
import { main } from "../../classify/faq_drafts.ts";
import { capture, startFakeLlm, withEnv } from "../_helpers.ts";
import { at, messageId, STAFF, standardLake, writeClusters, writeCourse } from "../report/_lake.ts";

const PATH_RE = /^([a-z0-9-]+)\/(\d{3})_([0-9a-f]{10})_([a-z0-9-]{1,50})\.md$/;

/** Splits a draft file into its front matter (parsed) and body, as the FAQ site's build does. */
function parseEntry(text: string): { front: Record<string, unknown>; body: string } {
  const m = /^---\n([\s\S]*?)\n---\n\n?([\s\S]*)$/.exec(text);
  ok(m, `front matter fences: ${text.slice(0, 80)}`);
  return { front: parse(m[1]!) as Record<string, unknown>, body: m[2]! };
}

async function draftsFor(lake: Lake, courseId: string, staff: string[] = [], minSize = 1) {
  const clusters = await readClusters(lake, courseId);
  const members = clusters.flatMap((c) => c.member_ids);
  return await buildDrafts({
    courseId,
    clusters,
    faq: await readFaq(lake, courseId),
    gold: await readGold(lake, courseId, members.map((m) => dayOfMessageId(m)!)),
    threads: await readThreadsOf(lake, courseId, members),
    staff,
    minSize,
  });
}

Deno.test("buildDrafts() writes DataTalks.Club FAQ entries for the uncovered groups", async (t) => {
  const lake = new MemoryLake();
  await standardLake(lake);
  const drafts = await draftsFor(lake, "ml", [STAFF]);

  await t.step("one draft per uncovered group, largest first; the covered group gets none", () => {
    assertEquals(drafts.map((d) => d.groupId), ["g-docker", "g-hw"]);
    assertEquals(drafts.map((d) => d.size), [40, 7]);
  });

  await t.step("paths are section/NNN_id_slug.md, front matter parses, ids are 10 new hex digits", () => {
    const ids = new Set<string>();
    for (const d of drafts) {
      const m = PATH_RE.exec(d.path);
      ok(m, d.path);
      const { front, body } = parseEntry(d.content);
      assertEquals(Object.keys(front), ["id", "question", "sort_order"]);
      assertEquals(front.id, m[3]);
      assertEquals(front.sort_order, Number(m[2]));
      assertEquals(front.question, d.question);
      assertEquals(m[4], slugify(d.question));
      ok(!["aaaaaaaaa1", "aaaaaaaaa2", "bbbbbbbbb1"].includes(String(front.id)), "not an id of the FAQ");
      ids.add(String(front.id));
      ok(body.trim().length > 0);
    }
    assertEquals(ids.size, drafts.length);
  });

  await t.step("the section is the one whose entries the questions come closest to", () => {
    // The docker group lands next to the FAQ's docker entry in module-1, after its sort order 7.
    const docker = drafts[0]!;
    assertEquals(docker.section, "module-1");
    assertEquals(docker.sort_order, 8);
    ok(docker.path.startsWith("module-1/008_"));
  });

  await t.step("the staff reply wins over a more-reacted one, rendered to Markdown", () => {
    const docker = drafts[0]!;
    assertEquals(docker.source, "staff");
    ok(
      docker.answer.startsWith(
        "Run **`sudo chown -R 999 ./data`** then see [the docs](https://docs.docker.com/compose/)",
      ),
      docker.answer,
    );
    ok(docker.answer.includes("& retry"), docker.answer);
    ok(!docker.answer.includes("<@"), "no raw mention");
    ok(!docker.answer.includes("&amp;"));
  });

  await t.step("without staff the most-reacted reply wins", async () => {
    const plain = await draftsFor(lake, "ml", []);
    assertEquals(plain[0]!.source, "reactions");
    assertEquals(plain[0]!.answer, "Try restarting docker, that fixed it for me");
  });

  await t.step("a rerun gives the same ids and paths", async () => {
    const again = await draftsFor(lake, "ml", [STAFF]);
    assertEquals(again.map((d) => d.path), drafts.map((d) => d.path));
    assertEquals(again.map((d) => d.content), drafts.map((d) => d.content));
  });
});

Deno.test("buildDrafts() with no FAQ: every group is a gap, in the general section", async () => {
  const lake = new MemoryLake();
  await standardLake(lake);
  const drafts = await draftsFor(lake, "nofaq");
  assertEquals(drafts.length, 1);
  assertEquals(drafts[0]!.section, DEFAULT_SECTION);
  ok(PATH_RE.test(drafts[0]!.path), drafts[0]!.path);
  assertEquals(drafts[0]!.path.slice(0, 12), "general/001_");
  assertEquals(drafts[0]!.question, "How do I get the certificate?");
  assertEquals(drafts[0]!.answer, "You get it after the project, see the course page.");
});

Deno.test("buildDrafts() for a group whose threads got no reply says so in the answer", async () => {
  const lake = new MemoryLake();
  const q = [0, 1].map((i) => ({
    at: at("2024-03-04", 9 + i),
    user: `U${i}`,
    text: `Is there a live stream today? ${i}`,
  }));
  await writeCourse(lake, "c", { questions: q });
  await writeClusters(lake, "c", [{
    id: "g1",
    text: "Is there a live stream today?",
    faqMatch: null,
    members: q.map((m) => messageId("c", m.at)),
  }]);
  const drafts = await draftsFor(lake, "c");
  assertEquals(drafts[0]!.source, "none");
  ok(drafts[0]!.answer.startsWith("TODO: none of the 2 threads"));
  assertEquals(await draftsFor(lake, "c", [], 3), [], "--min-size 3 skips a group of 2");
});

Deno.test("draft helpers: titles, slugs, ids, coverage, sections, reply ranking", async (t) => {
  await t.step("questionTitle() drops greetings and mentions, keeps the asking sentence", () => {
    assertEquals(questionTitle("Hi all! I'm stuck. How do I join the course late?"), "How do I join the course late?");
    assertEquals(questionTitle("@ana hello, docker fails"), "Docker fails");
    assertEquals(questionTitle(":wave: - see github.com/x/y.md. What now?"), "What now?");
    assertEquals(questionTitle("Why does github.com/r/issues/27 fail"), "Why does github.com/r/issues/27 fail");
    ok(questionTitle("why ".repeat(100) + "?").length <= 150);
  });
  await t.step("slugify() matches the FAQ repository's slugs", () => {
    assertEquals(
      slugify("What is the video/zoom link to the stream for the “Office Hours” or live/workshop sessions?"),
      "what-is-the-videozoom-link-to-the-stream-for-the-o",
    );
    assertEquals(
      slugify("I just discovered the course. Can I still join?"),
      "i-just-discovered-the-course-can-i-still-join",
    );
    assertEquals(slugify("???"), "question");
    assertEquals(slugify("- leading dash"), "leading-dash");
  });
  await t.step("draftId() is stable, 10 hex digits, and avoids taken ids", () => {
    const a = draftId("ml", "g1", new Set());
    assertEquals(a, draftId("ml", "g1", new Set()));
    ok(/^[0-9a-f]{10}$/.test(a));
    const b = draftId("ml", "g1", new Set([a]));
    ok(b !== a && /^[0-9a-f]{10}$/.test(b));
    ok(draftId("ml", "g2", new Set()) !== a);
  });
  await t.step("isCovered(): no FAQ never covers; member statuses outvote a stale match", () => {
    assertEquals(isCovered({ faq_match_id: "x" }, undefined), false);
    assertEquals(isCovered({ faq_match_id: "x" }, new Set(["x"])), true);
    assertEquals(isCovered({ faq_match_id: "gone" }, new Set(["x"])), false);
    assertEquals(isCovered({ faq_match_id: "x" }, new Set(["x"]), ["uncovered", "uncovered", "covered"]), false);
  });
  await t.step("chooseSection() falls back to general when nothing is shared", () => {
    const faq = [{ id: "1", section: "module-2", question: "kafka broker", answer_plain: "", source_path: null }];
    assertEquals(chooseSection(["kafka broker down"], faq), "module-2");
    assertEquals(chooseSection(["zzz"], [...faq, { ...faq[0]!, section: "general", question: "x" }]), "general");
  });
  await t.step("rankReplies() skips the asker, bots, joins and one-word replies", () => {
    const base = {
      channel_id: null,
      thread_ts: 1n,
      is_thread_head: false,
      bot_id: null,
      subtype: null,
      text_plain: null,
      reactions: 0,
      reply_count: null,
      latest_reply: null,
      deleted: false,
    };
    const head = { ...base, message_id: "c:1", ts: 1n, ts_raw: "1", is_thread_head: true, user_id: "UA", text: "q?" };
    const replies = [
      { ...base, message_id: "c:2", ts: 2n, ts_raw: "2", user_id: "UA", text: "the asker answering themself" },
      { ...base, message_id: "c:3", ts: 3n, ts_raw: "3", user_id: "UB", text: "thanks" },
      { ...base, message_id: "c:4", ts: 4n, ts_raw: "4", user_id: "UC", text: "a bot reply that is long", bot_id: "B" },
      {
        ...base,
        message_id: "c:5",
        ts: 5n,
        ts_raw: "5",
        user_id: "UD",
        text: "a real answer with words",
        reactions: 1,
      },
    ];
    assertEquals(rankReplies([head], [head, ...replies]).map((r) => r.reply.message_id), ["c:5"]);
  });
});

Deno.test("faq:drafts writes the files, reruns to the same ids, and uses the LLM when a key is set", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "faq-drafts-" });
  const lakeDir = path.join(dir, "lake");
  const { LocalLake } = await import("../../lib/lake.ts");
  const lake = new LocalLake(lakeDir);
  await standardLake(lake);
  const config = path.join(dir, "courses.yml");
  await Deno.writeTextFile(
    config,
    `slack:\n  domain: datatalks-club\ncourses:\n  - id: ml\n    channel_id: C0288NJ5XSA\n    staff: [${STAFF}]\n  - id: nofaq\n`,
  );
  const out = path.join(dir, "out");
  const args = ["--lake", lakeDir, "--config", config, "--course", "ml", "--min-size", "2", "--out", out];
  const list = async () => {
    const files: string[] = [];
    for (const s of await Array.fromAsync(Deno.readDir(out))) {
      for (const f of await Array.fromAsync(Deno.readDir(path.join(out, s.name)))) files.push(`${s.name}/${f.name}`);
    }
    return files.sort();
  };
  try {
    await t.step("writes one file per gap, named as the FAQ repository names them", async () => {
      const r = await withEnv({ OPENAI_API_KEY: "" }, () => capture(() => main(args)));
      assertEquals(r.code, 0, r.err);
      const files = await list();
      assertEquals(files.length, 2);
      for (const f of files) ok(PATH_RE.test(f), f);
      ok(r.out.includes("LLM drafting is off"));
      const text = await Deno.readTextFile(path.join(out, files.find((f) => f.startsWith("module-1/"))!));
      ok(text.includes("https://datatalks-club.slack.com/archives/C0288NJ5XSA/p"), "the note links the threads");
    });
    const first = await list();
    await t.step("a rerun writes the same files", async () => {
      await withEnv({ OPENAI_API_KEY: "" }, () => capture(() => main(args)));
      assertEquals(await list(), first);
    });
    await t.step("with a key, the LLM writes the answers, cached for the next run", async () => {
      const llm = startFakeLlm(() => ({
        status: 200,
        content: JSON.stringify({ question: "How do I fix docker permission denied?", answer: "Run `chown`." }),
      }));
      try {
        const env = { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: llm.baseURL, LLM_MODEL: "m" };
        const llmOut = path.join(dir, "llm");
        const run = () =>
          withEnv(env, () => capture(() => main([...args.slice(0, -1), llmOut, "--log-format", "json"])));
        const r = await run();
        assertEquals(r.code, 0, r.err);
        const summary = JSON.parse(r.out.split("\n").at(-1)!);
        assertEquals(summary.llm.calls, 2);
        ok(summary.drafts.every((d: { source: string }) => d.source === "llm"));
        ok(!llm.received.join("\n").includes("<@U"), "mentions are redacted");
        const again = JSON.parse((await run()).out.split("\n").at(-1)!);
        assertEquals([again.llm.calls, again.llm.cacheHits], [0, 2]);
        assertEquals(
          again.drafts.map((d: { path: string }) => d.path),
          summary.drafts.map((d: { path: string }) => d.path),
        );
      } finally {
        await llm.close();
      }
    });
    await t.step("a course with no groups says there is nothing to draft", async () => {
      const r = await capture(() =>
        main(["--lake", lakeDir, "--config", config, "--course", "nofaq", "--min-size", "9", "--out", out])
      );
      assertEquals(r.code, 0);
      ok(r.out.includes("nothing to draft"), r.out);
    });
    await t.step("bad flags are usage errors that name the flag", async () => {
      const r1 = await capture(() =>
        main(["--lake", lakeDir, "--config", config, "--course", "ml", "--min-size", "0"])
      );
      assertEquals(r1.code, 2);
      ok(r1.err.includes('--min-size "0" must be a whole number'), r1.err);
      const r2 = await capture(() => main(["--lake", lakeDir, "--config", config]));
      assertEquals(r2.code, 2);
      ok(r2.err.includes("--course ID is required"), r2.err);
      const r3 = await capture(() => main(["--lake", lakeDir, "--config", config, "--course", "nope"]));
      assertEquals(r3.code, 2);
      ok(r3.err.includes('Course "nope" is not in'), r3.err);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
