/**
 * `deno task faq:drafts`: one FAQ entry per uncovered recurring question, in
 * the DataTalks.Club FAQ format, ready to copy into the FAQ repository.
 *
 * @module
 */

import * as path from "node:path";
import { EXIT, processIo, runTask, type TaskSpec } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { buildDrafts } from "../lib/faq/drafts.ts";
import { dayOfMessageId, readClusters, readFaq, readGold, readThreadsOf } from "../lib/faq/drafts_input.ts";
import { DraftWriter } from "../lib/faq/drafts_llm.ts";
import { slackLink } from "../lib/report/stats.ts";

const USAGE = `Usage: deno task faq:drafts --course ID [options]

Writes a draft FAQ entry for each uncovered canonical group of at least N questions, as
{section}/{NNN}_{id}_{slug}.md with front matter id, question and sort_order: copy the folder
into the FAQ repository's _questions/{course}/ and open a pull request. A rerun gives the same ids.

The answer is the best reply of the group's threads (staff first, then the most reacted), with its
mrkdwn rendered to Markdown; with OPENAI_API_KEY set, the LLM writes it from those replies (cached
in the lake, at most --llm-max-calls requests).

Options:
  --course ID          the course (required)
  --min-size N         fewest questions in a group (default 3)
  --out DIR            where to write the files (default: faq-drafts/{course})
  --llm-max-calls N    LLM requests at most (default: classifier.llm_max_calls, then 50)
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --log-format F       text (default) or json
  -h, --help           show this help

Environment: OPENAI_API_KEY, OPENAI_BASE_URL, LLM_MODEL (default gpt-4o-mini).
Exit codes: 0 done, 2 wrong usage or configuration, 3 the run failed.`;

const OPTIONS = {
  course: { type: "string" },
  "min-size": { type: "string" },
  out: { type: "string" },
  "llm-max-calls": { type: "string" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "faq:drafts",
  usage: USAGE,
  options: OPTIONS,
  env: ["OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL"],
  permissionHint:
    "The deno task may write only to ./faq-drafts, ./lake and /tmp. Elsewhere, run: deno run --allow-read --allow-write=DIR --allow-net --allow-env classify/faq_drafts.ts --out DIR",
  async setup({ values, json, io, env, config: loadConfig, lake: openConfigLake }) {
    const config = await loadConfig();
    if (!values.course) throw new TypeError("--course ID is required: name the course to draft for");
    const course = selectCourses(config, [values.course])[0]!;
    const minSize = values["min-size"] === undefined ? 3 : Number(values["min-size"]);
    if (!Number.isInteger(minSize) || minSize < 1) {
      throw new RangeError(`--min-size "${values["min-size"]}" must be a whole number, 1 or more`);
    }
    const maxCalls = values["llm-max-calls"] === undefined
      ? config.classifier.llmMaxCalls ?? 50
      : Number(values["llm-max-calls"]);
    if (!Number.isInteger(maxCalls) || maxCalls < 0) {
      throw new RangeError(`--llm-max-calls "${values["llm-max-calls"]}" must be a whole number, 0 or more`);
    }
    const out = values.out ?? path.join("faq-drafts", course.id);
    const lake = await openConfigLake();
    const writer = env.OPENAI_API_KEY
      ? new DraftWriter({
        apiKey: env.OPENAI_API_KEY,
        model: env.LLM_MODEL || "gpt-4o-mini",
        maxCalls,
        cache: lake,
        ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
      })
      : undefined;
    return {
      lakeUrl: lake.url,
      async run() {
        const clusters = (await readClusters(lake, course.id)).filter((c) => c.size >= minSize);
        const faq = await readFaq(lake, course.id);
        const members = clusters.flatMap((c) => c.member_ids.slice(-50));
        const days = members.map(dayOfMessageId).filter((d): d is string => d !== undefined);
        const [gold, threads] = await Promise.all([
          readGold(lake, course.id, days),
          readThreadsOf(lake, course.id, members),
        ]);
        const channelOf = new Map(threads.map((m) => [m.message_id, m.channel_id]));
        const drafts = await buildDrafts({
          courseId: course.id,
          clusters,
          faq,
          gold,
          threads,
          staff: course.staff ?? [],
          minSize,
          ...(writer ? { writer: (r) => writer.write(r) } : {}),
          link: (id) => slackLink(config.slack?.domain, course.channelId ?? channelOf.get(id) ?? null, id),
        });
        for (const d of drafts) {
          const file = path.join(out, d.path);
          await Deno.mkdir(path.dirname(file), { recursive: true });
          await Deno.writeTextFile(file, d.content);
        }
        const llm = writer
          ? { calls: writer.calls, cacheHits: writer.cacheHits, failed: writer.failed, capped: writer.capped }
          : null;
        if (json) {
          io.out(JSON.stringify({
            event: "summary",
            lake: lake.url,
            course: course.id,
            out: path.resolve(out),
            groups: clusters.length,
            faq: faq?.length ?? null,
            drafts: drafts.map((d) => ({ path: d.path, id: d.id, size: d.size, source: d.source })),
            llm,
          }));
          return EXIT.ok;
        }
        if (clusters.length === 0) {
          io.out(
            `${course.id}: no canonical group of ${minSize} or more questions in the lake (silver/faq_clusters); nothing to draft.`,
          );
        } else {
          io.out(
            `${course.id}: ${drafts.length} draft(s) for ${clusters.length} group(s) of ${minSize}+ questions${
              faq ? ` (FAQ: ${faq.length} entries)` : " (no FAQ imported: every group is a gap)"
            }:`,
          );
          for (const d of drafts) io.out(`  ${String(d.size).padStart(4)}× ${d.path}  [answer: ${d.source}]`);
          if (drafts.length) {
            io.out(`Wrote ${path.resolve(out)}: copy its folders into _questions/<course>/ of the FAQ repository.`);
          }
        }
        if (llm) {
          io.out(
            `LLM: ${llm.calls} call(s), ${llm.cacheHits} cache hit(s), ${llm.failed} failed, ${llm.capped} over the cap.`,
          );
        } else io.out("LLM drafting is off (no OPENAI_API_KEY): answers are the best replies, verbatim.");
        return EXIT.ok;
      },
    };
  },
};

/**
 * Runs the faq:drafts command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
