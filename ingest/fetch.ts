/**
 * `deno task fetch`: each course channel from the Slack Web API into raw, the
 * first step of the daily job.
 *
 * @module
 */

import { dayFlag, EXIT, processIo, runTask, type TaskSpec } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { openLake } from "../lib/lake.ts";
import { fetchCourses, type FetchOptions } from "../lib/slack/fetch.ts";
import { formatFetchProgress, formatFetchSummary } from "../lib/slack/summary.ts";
import { scrubSecret, SLACK_API_URL, SlackReader } from "../lib/slack/web_api.ts";

const USAGE = `Usage: deno task fetch [options]

Pulls each course's channel (channel_id in courses.yml) from the Slack Web API into raw day files,
merged by ts exactly as import:export does, then stores the workspace's users and channels in
_meta/slack/ for mentions. Incremental: state in _state/fetch/{course}.json.

Options:
  --course ID           only this course; repeat for several (default: every course with a channel_id)
  --since YYYY-MM-DD    read the history from this day (default: all of it on a first run, then the
                        high-water mark minus the lookback)
  --lookback-days N     days read again before the high-water mark, for late replies and edits (default: 7)
  --lake URL            the lake (default: $LAKE_URL, then ./lake)
  --config FILE         the courses file (default: courses.yml)
  --log-format F        text (default) or json
  -h, --help            show this help

Environment:
  SLACK_BOT_TOKEN       the app's Bot User OAuth Token, xoxb-… (required)
  SLACK_API_URL         the Web API base URL (default: ${SLACK_API_URL})

Exit codes: 0 done, 1 a course failed (the others were fetched), 2 wrong usage or configuration, 3 the run failed.
Then run: deno task ingest`;

const OPTIONS = {
  course: { type: "string", multiple: true },
  since: { type: "string" },
  "lookback-days": { type: "string" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "fetch",
  usage: USAGE,
  options: OPTIONS,
  env: ["SLACK_BOT_TOKEN", "SLACK_API_URL"],
  afterFailure: "Raw files already written are whole, and the state did not move; run again to finish.",
  permissionHint:
    "The deno task may write only to ./lake and /tmp. For a local lake elsewhere, run: deno run --allow-read --allow-write=DIR --allow-net ingest/fetch.ts … --lake DIR",
  async setup({ values, json, io, env, config: loadConfig, lake: openConfigLake }) {
    const token = env.SLACK_BOT_TOKEN?.trim();
    if (!token) {
      throw new TypeError(
        "SLACK_BOT_TOKEN is not set: export the app's Bot User OAuth Token (xoxb-…); see the README's deno task fetch section",
      );
    }
    // A token goes into an HTTP header: anything but visible ASCII cannot be a token, and fetch would retry it for minutes.
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new TypeError(
        "SLACK_BOT_TOKEN holds spaces, line breaks or non-ASCII characters, which no Slack token has: copy the app's Bot User OAuth Token (xoxb-…) again",
      );
    }
    const apiUrl = env.SLACK_API_URL?.trim() || SLACK_API_URL;
    if (!/^https?:\/\//.test(apiUrl) || !URL.canParse(apiUrl) || !new URL(apiUrl).hostname) {
      throw new TypeError(
        `SLACK_API_URL "${
          scrubSecret(apiUrl, token)
        }" is not an http(s) URL: unset it for Slack's own (${SLACK_API_URL})`,
      );
    }
    const since = dayFlag(values.since, "since");
    if (since && since > new Date().toISOString().slice(0, 10)) {
      throw new RangeError(`--since ${since} is in the future, so there would be nothing to fetch: give a past day`);
    }
    const lookback = values["lookback-days"] === undefined ? 7 : Number(values["lookback-days"]);
    if (!Number.isInteger(lookback) || lookback < 0) {
      throw new RangeError(`--lookback-days "${values["lookback-days"]}" must be a whole number, 0 or more`);
    }
    const config = await loadConfig();
    const lake = await openConfigLake();
    const reader = new SlackReader({
      token,
      apiUrl,
      onLog: (level, message) => {
        if (json) io.out(JSON.stringify({ event: "log", level, message }));
        else io.err(`fetch: slack ${level}: ${message}`);
      },
    });
    const options: FetchOptions = {
      courses: selectCourses(config, values.course ?? []),
      lookbackDays: lookback,
      since,
      openSource: (url) => openLake(url, { s3: config.s3 }),
      lease: {
        onWait: (holder, until) => {
          const message =
            `the raw files are being written by another run (${holder}); waiting (its lease runs until ${until})`;
          if (json) io.out(JSON.stringify({ event: "log", level: "warn", message }));
          else io.err(`fetch: ${message}`);
        },
      },
    };
    const status = json ? undefined : io.status;
    if (status) options.onProgress = (p) => status(formatFetchProgress(p));
    return {
      lakeUrl: lake.url,
      async run() {
        try {
          const summary = await fetchCourses(reader, lake, options);
          status?.("");
          if (json) {
            for (const c of summary.courses) io.out(scrubSecret(JSON.stringify({ event: "course", ...c }), token));
            io.out(scrubSecret(JSON.stringify({ event: "summary", lake: lake.url, ...summary }), token));
          } else {
            io.out(scrubSecret(formatFetchSummary(summary), token));
            for (const c of summary.courses) if (c.status === "failed") io.err(`fetch: ${scrubSecret(c.note!, token)}`);
            io.out(`\nNext: deno task ingest${values.lake ? ` --lake ${values.lake}` : ""}`);
          }
          const bad = summary.courses.some((c) => c.status === "failed" || c.problems.length > 0);
          return bad ? EXIT.problems : EXIT.ok;
        } catch (e) {
          // Whatever failed, its message must not carry the token out.
          if (e instanceof Error) e.message = scrubSecret(e.message, token);
          throw e;
        } finally {
          status?.("");
        }
      },
    };
  },
};

/**
 * Runs the fetch command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
