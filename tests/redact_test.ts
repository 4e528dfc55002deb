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

/** Every kind of secret the module lists, with the part that must go. */
export const SECRETS: readonly { kind: string; text: string; secret: string; expected: string }[] = [
  {
    kind: "OpenAI key",
    text: "key sk-abcdefghijklmnopqrstuvwxyz012345 here",
    secret: "sk-abcdefghijklmnopqrstuvwxyz012345",
    expected: "key [REDACTED] here",
  },
  {
    kind: "OpenAI project key",
    text: "OPENAI_API_KEY=sk-proj-Ab3dEfGhIjKlMnOpQrStUvWxYz_0123-xyz",
    secret: "sk-proj-Ab3dEfGhIjKlMnOpQrStUvWxYz_0123-xyz",
    expected: "OPENAI_API_KEY=[REDACTED]",
  },
  {
    kind: "Anthropic key",
    text: "anthropic: sk-ant-api03-AbCdEfGhIjKlMnOpQrSt-uvwx_yz",
    secret: "sk-ant-api03-AbCdEfGhIjKlMnOpQrSt-uvwx_yz",
    expected: "anthropic: [REDACTED]",
  },
  {
    kind: "GitHub classic token",
    text: "git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r",
    secret: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    expected: "git clone https://[REDACTED]@github.com/o/r",
  },
  {
    kind: "GitHub OAuth and app tokens",
    text: "gho_abcdefghijklmnopqrstuvwxyz0123456789 ghs_abcdefghijklmnopqrstuvwxyz0123456789",
    secret: "ghs_abcdefghijklmnopqrstuvwxyz0123456789",
    expected: "[REDACTED] [REDACTED]",
  },
  {
    kind: "GitHub fine-grained token",
    text: "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU",
    secret: "mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU",
    expected: "[REDACTED]",
  },
  {
    kind: "Slack tokens",
    text: "xoxb-1234-5678-AbCd xoxp-1-2-3-abc xoxa-2-x xoxs-9-y xoxr-1-z xoxe.xoxp-1-Q xapp-1-A0-123-abc",
    secret: "xoxb-1234-5678-AbCd",
    expected: "[REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED] xoxe.[REDACTED] [REDACTED]",
  },
  {
    kind: "Slack token URL-encoded and glued after a name",
    text: "cb?x=1%3Dxoxp-1111-2222-abc SLACK_BOT_xoxb-1111-2222-abc",
    secret: "xoxp-1111-2222-abc",
    expected: "cb?x=1%3D[REDACTED] SLACK_BOT_[REDACTED]",
  },
  {
    kind: "Google API key",
    text: "maps?key AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
    secret: "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
    expected: "maps?key [REDACTED]",
  },
  {
    kind: "Stripe live keys",
    text: "sk_live_51Habcdefghijklmnop rk_live_51Habcdefghijklmnop",
    secret: "sk_live_51Habcdefghijklmnop",
    expected: "[REDACTED] [REDACTED]",
  },
  {
    kind: "Hugging Face token",
    text: "huggingface-cli login --token hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
    secret: "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
    expected: "huggingface-cli login --token [REDACTED]",
  },
  {
    kind: "GitLab token",
    text: "glpat-AbCdEfGhIjKlMnOpQrSt",
    secret: "glpat-AbCdEfGhIjKlMnOpQrSt",
    expected: "[REDACTED]",
  },
  {
    kind: "npm token",
    text: "//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    secret: "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    expected: "//registry.npmjs.org/:_authToken=[REDACTED]",
  },
  {
    kind: "SendGrid key",
    text: "SG.AbCdEfGhIjKlMnOpQrSt.UvWxYz0123456789AbCdEf",
    secret: "SG.AbCdEfGhIjKlMnOpQrSt.UvWxYz0123456789AbCdEf",
    expected: "[REDACTED]",
  },
  {
    kind: "Twilio SIDs",
    text: "AC0123456789abcdef0123456789abcdef SK0123456789abcdef0123456789abcdef",
    secret: "SK0123456789abcdef0123456789abcdef",
    expected: "[REDACTED] [REDACTED]",
  },
  {
    kind: "JWT",
    text: "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok",
    secret: "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    expected: "token [REDACTED] ok",
  },
  {
    kind: "AWS access key ids",
    text: "AKIAIOSFODNN7EXAMPLE and ASIAIOSFODNN7EXAMPLE",
    secret: "AKIAIOSFODNN7EXAMPLE",
    expected: "[REDACTED] and [REDACTED]",
  },
  {
    kind: "AWS secret key in a credentials file",
    text: "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1",
    secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    expected: "[default]\naws_secret_access_key = [REDACTED]\nregion = eu-west-1",
  },
  {
    kind: "AWS secret key in the environment",
    text: "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    secret: "wJalrXUtnFEMI",
    expected: "export AWS_SECRET_ACCESS_KEY=[REDACTED]",
  },
  {
    kind: "private key block",
    text: "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0abc\n-----END RSA PRIVATE KEY-----\nthen?",
    secret: "MIIEpAIBAAKCAQEA0abc",
    expected: "[REDACTED]\nthen?",
  },
  {
    kind: "GCP service account key, JSON-escaped",
    text:
      '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADAN\\n-----END PRIVATE KEY-----\\n"}',
    secret: "MIIEvQIBADAN",
    expected: '{"type": "service_account", "private_key": "[REDACTED]\\n"}',
  },
  {
    kind: "private key cut short",
    text: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE",
    secret: "b3BlbnNzaC1rZXktdjE",
    expected: "[REDACTED]",
  },
  {
    kind: "Azure connection string",
    text: "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9v+YmFy/cXV4==;EndpointSuffix=core.windows.net",
    secret: "Zm9v+YmFy/cXV4==",
    expected: "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=[REDACTED];EndpointSuffix=core.windows.net",
  },
  {
    kind: "postgres URL",
    text: "postgresql://root:S3cr3t!@localhost:5432/ny_taxi",
    secret: "S3cr3t!",
    expected: "postgresql://root:[REDACTED]@localhost:5432/ny_taxi",
  },
  {
    kind: "mysql URL, upper-case scheme",
    text: "MYSQL://admin:pa55word@db.example.com/app",
    secret: "pa55word",
    expected: "MYSQL://admin:[REDACTED]@db.example.com/app",
  },
  {
    kind: "mongodb+srv URL with an @ in the password",
    text: "mongodb+srv://user:p@ssw0rd@cluster0.abcde.mongodb.net/db?retryWrites=true",
    secret: "ssw0rd",
    expected: "mongodb+srv://user:[REDACTED]@cluster0.abcde.mongodb.net/db?retryWrites=true",
  },
  {
    kind: "redis URL with no user",
    text: "redis://:hunter2@cache:6379/0",
    secret: "hunter2",
    expected: "redis://:[REDACTED]@cache:6379/0",
  },
  {
    kind: "amqp URL",
    text: "amqp://guest:guestpw@rabbit:5672/",
    secret: "guestpw",
    expected: "amqp://guest:[REDACTED]@rabbit:5672/",
  },
  {
    kind: "Slack webhook",
    text: "curl https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX -d x",
    secret: "XXXXXXXXXXXXXXXXXXXXXXXX",
    expected: "curl https://hooks.slack.com/services/[REDACTED] -d x",
  },
  {
    kind: "Discord webhook",
    text: "https://discord.com/api/webhooks/123456789012345678/AbCdEf-GhIjKl_MnOp",
    secret: "AbCdEf-GhIjKl_MnOp",
    expected: "https://discord.com/api/webhooks/[REDACTED]",
  },
  {
    kind: "generic webhook",
    text: "https://acme.webhook.office.com/webhookb2/abc-123@def/IncomingWebhook/0123abcd/ef45",
    secret: "0123abcd",
    expected: "https://acme.webhook.office.com/webhookb2/[REDACTED]",
  },
  {
    kind: "token in a query string",
    text: "https://api.example.com/v1/items?page=2&access_token=AbC123xyz",
    secret: "AbC123xyz",
    expected: "https://api.example.com/v1/items?page=2&access_token=[REDACTED]",
  },
  {
    kind: "token in a URL fragment",
    text: "https://app.example.com/callback#access_token=AbC123xyz&token_type=bearer",
    secret: "AbC123xyz",
    expected: "https://app.example.com/callback#access_token=[REDACTED]&token_type=[REDACTED]",
  },
  {
    kind: "upper-case scheme",
    text: "HTTPS://EXAMPLE.COM/A?TOKEN=AbC123xyz",
    secret: "AbC123xyz",
    expected: "HTTPS://EXAMPLE.COM/A?TOKEN=[REDACTED]",
  },
  {
    kind: "scheme-less URL",
    text: "example.com/path?token=AbC123xyz",
    secret: "AbC123xyz",
    expected: "example.com/path?token=[REDACTED]",
  },
  {
    kind: "Slack file URL with a t= that is not xox",
    text: "https://files.slack.com/files-pri/T1-F1/a.png?t=abc123def",
    secret: "abc123def",
    expected: "https://files.slack.com/files-pri/T1-F1/a.png",
  },
  {
    kind: "password= in an env line",
    text: "POSTGRES_PASSWORD=root POSTGRES_USER=root",
    secret: "POSTGRES_PASSWORD=root",
    expected: "POSTGRES_PASSWORD=[REDACTED] POSTGRES_USER=root",
  },
  {
    kind: "secret= and token= in a config",
    text: "client_secret = 'abc123'\nauth_token=\"t0k3n\"",
    secret: "t0k3n",
    expected: "client_secret = '[REDACTED]'\nauth_token=\"[REDACTED]\"",
  },
  {
    kind: "YAML and JSON",
    text: 'password: hunter2\n  db_password: hunter3\n{"apiKey": "k3y-value"}',
    secret: "hunter",
    expected: 'password: [REDACTED]\n  db_password: [REDACTED]\n{"apiKey": "[REDACTED]"}',
  },
  {
    kind: "command-line flag",
    text: "mycli --password hunter2 --verbose",
    secret: "hunter2",
    expected: "mycli --password [REDACTED] --verbose",
  },
  {
    kind: "Authorization header",
    text: "curl -H 'Authorization: Bearer abcdef0123456789' https://x.org",
    secret: "abcdef0123456789",
    expected: "curl -H 'Authorization: Bearer [REDACTED]' https://x.org",
  },
];

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
