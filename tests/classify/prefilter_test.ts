import { deepEqual as assertEquals } from "node:assert/strict";
import { assertThrows } from "../_helpers.ts";
import { looksLikeQuestion, makePrefilter, type PrefilterRow } from "../../lib/classify/prefilter.ts";

const human = (text: string, extra: Partial<PrefilterRow> = {}): PrefilterRow => ({
  is_thread_head: true,
  subtype: null,
  bot_id: null,
  user_id: "U1",
  deleted: false,
  text_plain: text,
  ...extra,
});

Deno.test({
  name: "looksLikeQuestion() takes questions and help requests with or without a question mark",
  permissions: "none",
}, async (t) => {
  const yes = [
    "How do I install docker on windows",
    "Hi all, is the deadline extended",
    "I get this error when running docker compose up",
    "can't connect to postgres on port 5432",
    "please help, the notebook won't start",
    "Anyone know where the homework form is",
    "pgcli - no pq wrapper available. not working",
    "ModuleNotFoundError: No module named 'pandas'",
    "Docker - Cannot connect to Docker daemon at unix:///var/run/docker.sock",
    "Kernel died while loading the dataset",
    "We tried the non homebrew version too, and that didn\u2019t work either",
    'Traceback (most recent call last):\n  File "x.py", line 1',
    "the container exited with code 137 after a minute",
    "Is GCP Sandbox enough or do we need the free trial?",
    "my jupyter kernel keeps dying when I fit the model on the full data",
    "grafana dashboard doesn't update, the chart stays the same",
    "I registered but never got the slack invite email",
    "echo $REMOTE_URI prints empty line, week 9",
    'docker run -it gives "the input device is not a TTY"',
    "Hey guys, my rmse function returns nan for every seed in the loop :( The model trains fine. what's going on",
    "I followed the video step by step and the table stays empty. what am I doing wrong",
    "My loop code is getting long. Is there a shortcut in sklearn for precision and recall",
    "Installed spark on the vm, in the notebook import fails. anyone else seen this",
  ];
  const no = [
    "Thanks everyone, great session!",
    "Hello everyone from Gaborone",
    "Session 2 slides are up: https://example.org/slides",
    "Congrats to all the graduates",
    "Here is what I did for the project, sharing the link in case it helps",
    "Today we learned why monitoring matters. Great stuff",
  ];
  for (const text of yes) await t.step(`yes: ${text.slice(0, 40)}`, () => assertEquals(looksLikeQuestion(text), true));
  for (const text of no) await t.step(`no: ${text.slice(0, 40)}`, () => assertEquals(looksLikeQuestion(text), false));
});

Deno.test({ name: "makePrefilter() keeps top-level human messages only", permissions: "none" }, async (t) => {
  const pf = makePrefilter();
  const q = "How do I submit the homework?";
  await t.step("a plain question and a file share pass", () => {
    assertEquals(pf(human(q)), true);
    assertEquals(pf(human(q, { subtype: "file_share" })), true);
  });
  await t.step("replies, joins, bots, tombstones, Slackbot and system messages do not", () => {
    assertEquals(pf(human(q, { is_thread_head: false })), false);
    assertEquals(pf(human(q, { subtype: "thread_broadcast", is_thread_head: false })), false);
    assertEquals(pf(human(q, { subtype: "channel_join" })), false);
    assertEquals(pf(human(q, { subtype: "bot_message", bot_id: "B1" })), false);
    assertEquals(pf(human(q, { bot_id: "B1" })), false);
    assertEquals(pf(human(q, { subtype: "tombstone", deleted: true })), false);
    assertEquals(pf(human(q, { user_id: "USLACKBOT" })), false);
    assertEquals(pf(human(q, { subtype: "channel_topic" })), false);
    assertEquals(pf(human(q, { user_id: null })), false);
  });
  await t.step("a long question with a traceback is not capped", () => {
    const tb = `I get this error when I run the pipeline:\n${
      '  File "/app/x.py", line 12, in <module>\n'.repeat(40)
    }KeyError: 'x'`;
    assertEquals(tb.length > 1000, true);
    assertEquals(pf(human(tb)), true);
  });
  await t.step("size limits are configurable", () => {
    assertEquals(pf(human("why?")), false);
    assertEquals(makePrefilter({ minChars: 2 })(human("why?")), true);
    assertEquals(makePrefilter({ maxChars: 10 })(human(q)), false);
  });
  await t.step("extra patterns and subtypes are configurable", () => {
    assertEquals(pf(human("Looking at chapter 3 now")), false);
    assertEquals(makePrefilter({ extraPatterns: ["chapter \\d"] })(human("Looking at chapter 3 now")), true);
    assertEquals(makePrefilter({ allowSubtypes: [] })(human(q, { subtype: "file_share" })), false);
  });
  await t.step("a bad pattern is refused with its text", () => {
    assertThrows(
      () => makePrefilter({ extraPatterns: ["(oops"] }),
      SyntaxError,
      'Prefilter pattern "(oops" is not a valid regular expression',
    );
  });
});
