// deno task fetch given bad input: each is a usage error (exit 2) with a clear message, nothing is written, and a
// token never comes back out, however odd its characters.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { capture, snapshot, withEnv } from "../_helpers.ts";
import { main as fetchMain } from "../../ingest/fetch.ts";
import { openLake } from "../../lib/lake.ts";
import { startFakeSlack } from "./fake_slack.ts";

const TOKEN = "xoxb-3-3-usagetestsecret";
const CH = "C0USAGE001";

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "fetch-usage-" });
  await Deno.writeTextFile(`${dir}/courses.yml`, `courses:\n  - id: ml\n    channel_id: ${CH}\n`);
  return { dir, args: ["--lake", `${dir}/lake`, "--config", `${dir}/courses.yml`] };
}

Deno.test("fetch refuses bad flags, a bad token and a bad SLACK_API_URL with exit 2, echoing no token", async (t) => {
  const { dir, args } = await setup();
  const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const cases: [string, Record<string, string>, string[], string, string | null][] = [
    ["a token with a line break", { SLACK_BOT_TOKEN: "xoxb-1-2-ab\ncd" }, [], "holds spaces, line breaks", "ab\ncd"],
    ["a token with non-ASCII", { SLACK_BOT_TOKEN: "xoxb-1-2-sécret" }, [], "non-ASCII characters", "sécret"],
    ["--since in the future", {}, ["--since", future], `--since ${future} is in the future`, null],
    ["--lookback-days -1", {}, ["--lookback-days=-1"], '--lookback-days "-1" must be a whole number', null],
    ["--lookback-days abc", {}, ["--lookback-days", "abc"], '--lookback-days "abc" must be a whole number', null],
    ["SLACK_API_URL with no host", { SLACK_API_URL: "http://" }, [], "is not an http(s) URL", null],
    ["SLACK_API_URL that does not parse", { SLACK_API_URL: "http://[bad" }, [], "is not an http(s) URL", null],
    ["SLACK_API_URL not http", { SLACK_API_URL: "ftp://x/api/" }, [], "is not an http(s) URL", null],
    ["a course not in courses.yml", {}, ["--course", "nope"], 'Course "nope" is not in', null],
  ];
  try {
    for (const [name, env, extra, says, secret] of cases) {
      await t.step(name, async () => {
        const r = await withEnv(
          { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: "http://127.0.0.1:9/api/", ...env },
          () => capture(() => fetchMain([...args, ...extra])),
        );
        assertEquals(r.code, 2, r.err);
        ok(r.err.includes(says), r.err);
        if (secret) ok(!(r.out + r.err).includes(secret), r.err);
      });
    }
    const lake = await openLake(`${dir}/lake`);
    assertEquals([...(await snapshot(lake)).keys()], [], "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetch --log-format json with a wrong token full of JSON and URL specials leaks it nowhere", async () => {
  const fake = startFakeSlack({ token: TOKEN, channels: [{ id: CH, name: "x", messages: [] }] });
  const { dir, args } = await setup();
  const wrong = 'xoxb-9-9-qu"ote\\back<&>%41';
  try {
    const r = await withEnv(
      { SLACK_BOT_TOKEN: wrong, SLACK_API_URL: fake.url },
      () => capture(() => fetchMain([...args, "--log-format", "json"])),
    );
    assertEquals(r.code, 1);
    const course = r.out.split("\n").map((l) => JSON.parse(l)).find((e) => e.event === "course");
    assertEquals([course.status, course.errorCode], ["failed", "invalid_auth"]);
    for (const form of [wrong, JSON.stringify(wrong).slice(1, -1), encodeURIComponent(wrong), 'qu"ote', "back<&>"]) {
      ok(!(r.out + r.err).includes(form), `${form} in the output`);
    }
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
