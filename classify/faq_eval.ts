/**
 * `deno task faq:eval`: the matcher's hit@1, hit@5 and MRR@5 on a labelled
 * set, against a plain TF-IDF baseline.
 *
 * @module
 */

import { EXIT, processIo, runTask, type TaskSpec } from "../lib/cli.ts";
import { evaluateMatcher, parseQueries, parseTruth } from "../lib/faq/eval.ts";
import { buildFaqIndex, buildTfidfBaseline } from "../lib/faq/match.ts";
import { readFaq } from "../lib/faq/store.ts";
import { formatTable } from "../lib/tables.ts";

const USAGE = `Usage: deno task faq:eval --queries FILE --truth FILE [--course ID]... [options]

Prints hit@1, hit@5 and MRR@5 of the FAQ matcher on labelled questions, and the same
figures for plain TF-IDF cosine over question and answer, per course. The FAQ is the one
imported into the lake (faq:import). Queries: JSON Lines of {id, text, course}; a query
without "course" is scored against every --course. Truth: JSON Lines of {id, faq_ids}.

Options:
  --queries FILE       the questions
  --truth FILE         the entries that answer them
  --course ID          the course(s) to score (default: every course named in the queries)
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --log-format F       text (default) or json`;

const OPTIONS = {
  queries: { type: "string" },
  truth: { type: "string" },
  course: { type: "string", multiple: true },
} as const;

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch {
    throw new TypeError(`--${flag} ${file} cannot be read: check the path`);
  }
}

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "faq:eval",
  usage: USAGE,
  options: OPTIONS,
  async setup({ values, json, io, lake: openLake }) {
    if (!values.queries || !values.truth) throw new TypeError("faq:eval needs --queries FILE and --truth FILE");
    const queries = parseQueries(await readText(values.queries, "queries"), values.queries);
    const truth = parseTruth(await readText(values.truth, "truth"), values.truth);
    const courses = values.course?.length
      ? values.course
      : [...new Set(queries.map((q) => q.course).filter((c): c is string => c !== undefined))];
    if (courses.length === 0) throw new TypeError("The queries name no course: pass --course ID");
    const lake = await openLake();
    return {
      lakeUrl: lake.url,
      async run() {
        const rows: (string | number)[][] = [];
        const out = [];
        for (const c of courses) {
          const entries = await readFaq(lake, c);
          if (!entries) throw new TypeError(`Course ${c} has no FAQ in ${lake.url}: run faq:import first`);
          const qs = queries.filter((q) => q.course === undefined || q.course === c);
          const mine = evaluateMatcher(buildFaqIndex(entries), qs, truth);
          const base = evaluateMatcher(buildTfidfBaseline(entries), qs, truth);
          out.push({ course: c, matcher: mine, baseline: base });
          rows.push([c, "matcher", mine.n, mine.hit1, mine.hit5, mine.mrr5]);
          rows.push([c, "tf-idf baseline", base.n, base.hit1, base.hit5, base.mrr5]);
        }
        if (json) io.out(JSON.stringify({ event: "summary", lake: lake.url, courses: out }));
        else io.out(formatTable(["course", "ranker", "questions", "hit@1", "hit@5", "MRR@5"], rows));
        return EXIT.ok;
      },
    };
  },
};

/**
 * Runs `faq:eval`.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
