// What must not leave the machine: every kind of secret and personal data, case by case, and what must stay.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import {
  dropSlackUrlTokens,
  redactExcerpt,
  redactForLlm,
  redactReport,
  redactSecrets,
  redactSlackTokens,
} from "../lib/redact.ts";
import { SECRETS } from "./_secrets.ts";

Deno.test("redactSecrets() removes each kind of secret the module lists", async (t) => {
  for (const c of SECRETS) {
    await t.step(c.kind, () => {
      const out = redactSecrets(c.text);
      assertEquals(out, c.expected);
      ok(!out.includes(c.secret), `${c.kind}: ${out}`);
      assertEquals(redactSecrets(out), out, "applying it twice changes nothing");
    });
  }
});

Deno.test("redactSecrets() keeps error messages, code, file names, commands and versions", async (t) => {
  const kept = [
    "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\nModuleNotFoundError: No module named 'pandas'",
    "Container exited with exit code 137 (OOMKilled) on port 5432; docker-compose v2.24.6, Python 3.10.12, since 2024",
    "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)",
    'api_key = os.environ["OPENAI_API_KEY"]\nclient = OpenAI(api_key=api_key)\nmax_tokens=512',
    "password = getpass.getpass()\ntoken = None\nsecret: ${{ secrets.AWS_SECRET }}",
    "sorted(rows, key=lambda r: r[1]) and tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased')",
    'kubectl get pods -n airflow && terraform apply -var="project=dtc-de" && git checkout 3f2a9c1',
    "Invalid token: the session expired. HTTP 401 at https://api.example.com/v1/items?page=2",
    "My password: please help, the token: expired, and the secret key: unknown",
    "wget https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2021-01.parquet",
    "pip install scikit-learn==1.3.2 sk-learn is not a package; see sklearn.linear_model",
  ];
  for (const text of kept) {
    await t.step(text.slice(0, 40), () => assertEquals(redactSecrets(text), text));
  }
});

Deno.test("redactForLlm() also removes mentions, emails, phone numbers and URL parameters", async (t) => {
  await t.step("every secret of redactSecrets", () => {
    for (const c of SECRETS) ok(!redactForLlm(c.text).includes(c.secret), c.kind);
  });
  const cases: [string, string, string][] = [
    ["raw mentions", "ask <@U01ABCDEF> or <@u02abc|jane.doe>, <!here>", "ask @user or @user, <!here>"],
    ["rendered mentions", "thanks @Jane Doe and @jane.doe and @U02ABCDEFG!", "thanks @user and @user and @user!"],
    ["a mention that ends a sentence", "ping @Alexey.", "ping @user."],
    ["broadcasts stay", "@here @channel anyone?", "@here @channel anyone?"],
    ["emails", "mail ana.p+x@example.org or A@B.CO", "mail [email] or [email]"],
    [
      "international phones",
      "+44 20 7946 0958, +1-415-555-2671, +7 (495) 123-45-67, +919876543210, tel:+14155552671",
      "[phone], [phone], [phone], [phone], tel:[phone]",
    ],
    [
      "national phones",
      "(415) 555-2671 or 415.555.2671 or 020 7946 0958 or 06 12 34 56 78",
      "[phone] or [phone] or [phone] or [phone]",
    ],
    [
      "URL query and fragment, upper-case and scheme-less",
      "see https://x.org/a?t=secret&u=1, HTTPS://X.ORG/B#access_token=abc and x.org/c?id=7.",
      "see https://x.org/a, HTTPS://X.ORG/B and x.org/c.",
    ],
    [
      "the docs' example",
      "ping <@U01ABC> or @Jane Doe at ana@example.org, +44 20 7946 0958",
      "ping @user or @user at [email], [phone]",
    ],
  ];
  for (const [name, text, expected] of cases) await t.step(name, () => assertEquals(redactForLlm(text), expected));

  await t.step("what makes a question useful stays", () => {
    const kept = [
      "exit code 137 on port 8080 with python 3.10.12 in 2024, error 0x80070005, ts 1719792000.123456 on 2024-01-15",
      'docker run -p 5432:5432 postgres:13 fails: FATAL: password authentication failed for user "root"',
      "@dataclass\nclass Row:\n    id: int\n\nuse @app.get('/') and npm i @duckdb/node-api",
      "What does `__init__.py` do in src/utils/__init__.py? See https://docs.python.org/3/tutorial/modules.html#packages",
      "IP 192.168.1.100, version 1.24.3-dev, 100 rows in 0.5 s, ISBN 978 3 16 148410 0?",
      "00000000: 1f8b 0818 8897 a068 0003 6865  and bytes 1F 8B 08 00 00 00 00 00 00 03, print 001 002 003 004",
      "Meeting ID: 886 0492 6613 at https://us02web.zoom.us/rec/share/KKqBC65MOYtrQrC6UAr0iz3TqTU-U6xev4Lr0wug9M",
      "https://docs.google.com/document/d/1F9hoGi0_0WmxxpdHsxmPtn105L6yodLMafXnRfQgyY0/edit and twitter.com/GoogleOSS/status/1489331376923058181",
    ];
    for (const text of kept) assertEquals(redactForLlm(text), text);
  });
});

Deno.test("redactSlackTokens() and dropSlackUrlTokens() are what bronze keeps", async (t) => {
  await t.step("tokens glued after a name or URL-encoded", () => {
    assertEquals(redactSlackTokens("NAME_xoxb-1-2-abc and %3Dxoxp-3-4-def"), "NAME_[REDACTED] and %3D[REDACTED]");
  });
  await t.step("any t= of a Slack file URL, in text too", () => {
    assertEquals(
      redactSlackTokens("see <https://files.slack.com/files-pri/T1-F1/a.png?t=abc123&dl=1|a.png>"),
      "see <https://files.slack.com/files-pri/T1-F1/a.png?dl=1|a.png>",
    );
    assertEquals(dropSlackUrlTokens("https://x.slack-edge.com/a?T=zzz#frag"), "https://x.slack-edge.com/a#frag");
  });
  await t.step("other text is left alone", () => {
    assertEquals(redactSlackTokens("https://example.org/a?t=30s xoxo"), "https://example.org/a?t=30s xoxo");
  });
});

Deno.test("redactExcerpt() and redactReport() leave no secret, not even a prefix across the cut", () => {
  const text = `${"a".repeat(290)} sk-proj-${"b".repeat(40)}`;
  const excerpt = redactExcerpt(text, 300);
  ok(!excerpt.includes("sk-"), excerpt);
  ok(excerpt.length <= 300);
  assertEquals(
    redactReport({ reason: 'Unexpected token "xoxb-1-2-abc"', excerpt: '{"text":"xoxb-1-2-abc"}', entry: 3 }),
    { reason: 'Unexpected token "[REDACTED]"', excerpt: '{"text":"[REDACTED]"}', entry: 3 },
  );
});

Deno.test("the examples in the README and in lib/redact.ts's JSDoc do what they say", async (t) => {
  const fns: Record<string, (s: string) => string> = {
    redactForLlm,
    redactSecrets,
    redactSlackTokens,
    dropSlackUrlTokens,
  };
  await t.step("README: What leaves the machine", async () => {
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const section = readme.slice(readme.indexOf("### What leaves the machine"), readme.indexOf("### Exit codes"));
    const pairs = [...section.matchAll(/^(.+)\n→ (.+)$/gm)];
    assertEquals(pairs.length, 2);
    for (const [, input, output] of pairs) assertEquals(redactForLlm(input!), output);
  });
  await t.step("JSDoc @example of each string function", async () => {
    const source = await Deno.readTextFile(new URL("../lib/redact.ts", import.meta.url));
    const examples = [
      ...source.matchAll(/^ \* (\w+)\(("(?:[^"\\]|\\.)*")\);(?:\s*\n \*)? \/\/ ("(?:[^"\\]|\\.)*")$/gm),
    ];
    assertEquals(examples.map((m) => m[1]).sort(), [
      "dropSlackUrlTokens",
      "redactForLlm",
      "redactSecrets",
      "redactSlackTokens",
    ]);
    for (const [, fn, input, output] of examples) assertEquals(fns[fn!]!(JSON.parse(input!)), JSON.parse(output!), fn);
  });
});
