/**
 * What must not leave the machine, removed from text: pure functions, no I/O.
 *
 * Three levels, each a superset of the one before:
 *
 * {@linkcode redactSlackTokens} (bronze's `text` and `text_plain`, file URLs):
 * - Slack tokens `xox?-…` and `xapp-…`, also glued after a word (`NAME_xoxb-…`)
 *   or URL-encoded (`%3Dxoxp-…`);
 * - the `t=` query parameter of Slack file URLs, whatever its value.
 *
 * {@linkcode redactSecrets} (quarantine excerpts and reasons, logs, LLM errors):
 * - `-----BEGIN … PRIVATE KEY-----` blocks (PEM, PGP, a GCP service account's
 *   `private_key`), also cut short;
 * - the password of a URL (`postgres://user:pass@host`, `mysql://`,
 *   `mongodb+srv://`, `redis://:pass@`, `amqp://`, any scheme, any case); the
 *   scheme, user and host stay;
 * - webhook URLs: Slack `hooks.slack.com/services|workflows|triggers/…`, Discord
 *   `…/api/webhooks/…`, and any URL with a `webhook…` or `hooks` path segment
 *   (Teams, Zapier…): everything after that segment;
 * - API keys of common services: OpenAI `sk-…`, `sk-proj-…`, Anthropic
 *   `sk-ant-…`, GitHub `ghp_ gho_ ghu_ ghs_ ghr_ github_pat_`, Slack, Google
 *   `AIza…`, `ya29.…`, `GOCSPX-…`, Stripe `sk_live_ rk_live_ pk_… whsec_`,
 *   Hugging Face `hf_…`, GitLab `glpat-…` and kin, npm `npm_…`, SendGrid
 *   `SG.…`, Twilio `AC…`/`SK…` ids, JWTs `eyJ….….…`, Telegram bot tokens,
 *   Discord bot tokens, Mailgun `key-…`, Groq `gsk_`, Replicate `r8_`,
 *   DigitalOcean `dop_v1_`, Databricks `dapi…`, PyPI `pypi-…`;
 * - AWS access key ids (`AKIA…`, `ASIA…` and the other `A…` kinds), and
 *   40-character base64 strings shaped like AWS secret keys (both cases, a
 *   digit and a `/` or `+`);
 * - the value of a sensitive URL parameter (`?token=`, `access_token`, `key`,
 *   `api_key`, `secret`, `password`, `sig`, `signature`, `X-Amz-Credential`,
 *   `X-Amz-Security-Token`, `code`, `session`, `auth`, `jwt`, and `t`), in the
 *   query or the fragment (`#access_token=…`), and of `;`-separated ones
 *   (Azure `AccountKey=…;`, `SharedAccessKey=…`);
 * - the value of an assignment whose name ends in `password`, `passwd`, `pwd`,
 *   `secret`, `token`, `api_key`, `apikey`, `access_key`, `secret_key`,
 *   `private_key`, `account_key`, `auth_key`, `client_secret` or
 *   `credential(s)`, in env, ini or code lines (`DB_PASSWORD=…`,
 *   `aws_secret_access_key = …`, `--token=…`), JSON or dicts (`"password": …`),
 *   YAML at a line's start (`password: …`), and `password: …` inside a line
 *   or `my password is …` when the value has a digit or a symbol (or, after a
 *   colon, is long); references such as
 *   `os.environ[…]`, `${VAR}`, `getpass()`, `None` or `true` stay;
 * - the credentials of an `Authorization:` header and of `Bearer …`/`Basic …`.
 *
 * {@linkcode redactForLlm} (the text sent to the LLM) also removes personal data:
 * - mentions: `<@U…>`, `<@U…|name>`, and rendered ones, `@U…`, `@jane.doe`,
 *   `@Jane Doe` (a capitalized name takes up to two more capitalized words);
 *   `@here`, `@channel`, `@everyone` stay, and so do decorators on their own
 *   line (`@dataclass`), calls (`@app.get(…)`) and scoped packages
 *   (`@duckdb/node-api`);
 * - email addresses, as `[email]`;
 * - phone numbers, as `[phone]`: international (`+44 20 7946 0958`,
 *   `+1-415-555-2671`, `+7 (495) 123-45-67`, `+919876543210`), North American
 *   (`(415) 555-2671`, `415.555.2671`) and national ones with a leading 0
 *   (`020 7946 0958`, `06 12 34 56 78`), 8 to 15 digits; years, versions,
 *   ports, error codes, `exit code 137`, dates and Unix timestamps stay;
 * - the query string and fragment of every URL that carries a `=` in them,
 *   with or without a scheme (`example.com/path?token=…`, `HTTPS://…`).
 *
 * Error messages, code, file names, commands and versions stay, so the text
 * still says what was asked. What is not caught: names written without `@`,
 * secrets with no recognizable shape or name (a bare random string), and
 * addresses.
 *
 * @module
 */

/** What replaces a secret. */
export const REDACTED = "[REDACTED]";

// --- Slack tokens ---------------------------------------------------------

// No word boundary on purpose: tokens glued after `_` or a URL escape (`%3D`) count too.
const SLACK_TOKEN_RE = /xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+/gi;
const HAS_SLACK_RE = /xox[a-z]-|xapp-|slack/i;
const SLACK_FILE_URL_RE =
  /(?:https?:\/\/)?(?:[a-z0-9-]+\.)*(?:slack\.com|slack-files\.com|slack-edge\.com)\/[^\s<>|"'`]*\?[^\s<>|"'`]*/gi;
const QUERY_TOKEN_PARAM_RE = /xox[a-z]-|xapp-/i;

/**
 * Drops the `t=` parameter, and any parameter carrying a Slack token, from a
 * URL's query.
 *
 * @param url A URL.
 * @returns The URL without them; other parameters and the fragment stay.
 * @example
 * ```ts
 * import { dropSlackUrlTokens } from "./redact.ts";
 * dropSlackUrlTokens("https://files.slack.com/a.png?x=1&t=abc#top"); // "https://files.slack.com/a.png?x=1#top"
 * ```
 */
export function dropSlackUrlTokens(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const hashAt = url.indexOf("#", q);
  const query = url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
  const hash = hashAt < 0 ? "" : url.slice(hashAt);
  const kept = query.split("&").filter((p) => p !== "" && !/^t=/i.test(p) && !QUERY_TOKEN_PARAM_RE.test(p));
  return url.slice(0, q) + (kept.length ? `?${kept.join("&")}` : "") + hash;
}

/**
 * Removes Slack tokens from a text, and the `t=` parameter of Slack file URLs in
 * it.
 *
 * @param text Any text.
 * @returns The text with each token replaced by `[REDACTED]`.
 * @example
 * ```ts
 * import { redactSlackTokens } from "./redact.ts";
 * redactSlackTokens("BOT_xoxb-1-2-abc and https://files.slack.com/a.png?t=abc");
 * // "BOT_[REDACTED] and https://files.slack.com/a.png"
 * ```
 */
export function redactSlackTokens(text: string): string {
  // Most messages carry no token and no Slack URL: skip the expressions for them.
  if (!HAS_SLACK_RE.test(text)) return text;
  return text.replace(SLACK_FILE_URL_RE, dropSlackUrlTokens).replace(SLACK_TOKEN_RE, REDACTED);
}

// --- Secrets ----------------------------------------------------------------

// A key may follow a non-alphanumeric character, or a URL escape such as `%3D`.
const B = String.raw`(?<=^|[^A-Za-z0-9]|%[0-9A-Fa-f]{2})`;
const E = String.raw`(?![A-Za-z0-9])`;
const KEY_SHAPES = [
  String.raw`sk-ant-[A-Za-z0-9_-]{8,}`,
  String.raw`sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{8,}`,
  String.raw`sk-[A-Za-z0-9_-]{16,}`,
  String.raw`(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}`,
  String.raw`whsec_[A-Za-z0-9]{16,}`,
  String.raw`gh[pousr]_[A-Za-z0-9]{16,}`,
  String.raw`github_pat_[A-Za-z0-9_]{16,}`,
  String.raw`gl(?:pat|dt|ptt|rt|cbt|oas|ft)-[A-Za-z0-9_-]{10,}`,
  String.raw`AIza[0-9A-Za-z_-]{20,}`,
  String.raw`ya29\.[0-9A-Za-z_-]{20,}`,
  String.raw`GOCSPX-[0-9A-Za-z_-]{20,}`,
  String.raw`hf_[A-Za-z0-9]{20,}`,
  String.raw`npm_[A-Za-z0-9]{20,}`,
  String.raw`SG\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`,
  String.raw`(?:AC|SK)[0-9a-fA-F]{32}`,
  String.raw`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*`,
  String.raw`(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}`,
  String.raw`(?:bot)?\d{8,10}:AA[A-Za-z0-9_-]{30,}`,
  String.raw`[MN][A-Za-z0-9]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}`,
  String.raw`key-[0-9a-f]{32}`,
  String.raw`(?:gsk|r8)_[A-Za-z0-9]{30,}`,
  String.raw`dop_v1_[a-f0-9]{64}`,
  String.raw`dapi[a-f0-9]{32}`,
  String.raw`pypi-[A-Za-z0-9_-]{50,}`,
];
const KEY_RE = new RegExp(`${B}(?:${KEY_SHAPES.join("|")})${E}`, "g");
// A 40-character base64 string with both cases, a digit and a `/` or `+`: the shape of an AWS secret access key.
// Only on its own (after a space, quote, bracket, `=` or `:`), so a 40-character stretch of a URL path is not one.
const AWS_SECRET_RE = /(?<=^|[\s"'`=:(\[,])[A-Za-z0-9\/+]{40}(?![A-Za-z0-9\/+=._-])/g;

function awsSecret(m: string): string {
  return /[A-Z]/.test(m) && /[a-z]/.test(m) && /\d/.test(m) && /[\/+]/.test(m) ? REDACTED : m;
}

const PRIVATE_KEY_RE =
  /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g;

// The password may hold an unescaped `@`: the greedy match stops at the last one before the path.
const URL_PASSWORD_RE = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@\/?#<>"'`]*):([^\s\/?#<>"'`]+)@/gi;

const WEBHOOK_RES: [RegExp, string][] = [
  [/(hooks\.slack\.com\/(?:services|workflows|triggers))\/[^\s<>"'`|)]+/gi, `$1/${REDACTED}`],
  [/(discord(?:app)?\.com\/api\/webhooks)\/[^\s<>"'`|)]+/gi, `$1/${REDACTED}`],
  [
    /(\b[a-z][a-z0-9+.-]*:\/\/[^\s\/<>"'`|]+(?:\/[^\s\/<>"'`|?#]*)*?\/(?:[\w-]*web-?hooks?[\w-]*|hooks))\/[^\s<>"'`|)]+/gi,
    `$1/${REDACTED}`,
  ],
];

const SENSITIVE_PARAM_RE =
  /([?&#;](?:[\w.-]*?(?:token|key|secret|password|passwd|pwd|sig|signature|auth|credential|code|session|jwt)[\w.-]*|t)=)[^&#;\s<>"'`|]+/gi;

const AUTH_HEADER_RE = /(\bauthorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|bot|digest)\s+)?)[^\s"',;]+/gi;
const AUTH_SCHEME_RE = /\b((?:bearer|basic)\s+)([A-Za-z0-9._~+\/-]+=*)/gi;

const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|` +
  String.raw`secret[_-]?key|private[_-]?key|account[_-]?key|auth[_-]?key|client[_-]?secret|credentials?)`;
// Quoted values may be JSON-escaped (`\"…\"`), as in an excerpt of a raw entry; bare ones stop at an escape.
const VALUE = String.raw`(?:\\?"[^"\n]*?\\?"|\\?'[^'\n]*?\\?'|[^\s"',;&)\]}\\]+)`;
// `NAME = value` anywhere; `"name": value` quoted; `name: value` at a line's start (YAML); `--name value`.
const ASSIGN_RES = [
  new RegExp(String.raw`(${B}${SECRET_NAME}["']?\s*(?::=|=>|=)(?!=)\s*)(${VALUE})`, "gi"),
  new RegExp(String.raw`(["']${SECRET_NAME}["']\s*:\s*)(${VALUE})`, "gi"),
  new RegExp(String.raw`((?:^|(?<=\\[nrt]|["']))[ \t]*(?:-[ \t]+)?${SECRET_NAME}[ \t]*:[ \t]*)(${VALUE})`, "gim"),
  new RegExp(String.raw`((?:^|\s)--${SECRET_NAME}\s+)(${VALUE})`, "gi"),
];
// `name: value` inside a line, only when the value looks like a secret (a digit, a symbol, or long): prose such
// as "invalid token: please retry" stays.
const INLINE_COLON_RE = new RegExp(
  String
    .raw`(${B}${SECRET_NAME}[ \t]*:[ \t]*)([^\s"',;&)\]}\\]*(?:\d|[^\sA-Za-z"',;&)\]}\\])[^\s"',;&)\]}\\]*|[A-Za-z]{16,})`,
  "gi",
);
// "my password is hunter2", ".netrc"'s "password hunter2": only a value with a digit or a symbol.
const PROSE_PASSWORD_RE =
  /(\b(?:password|passwd|passphrase)(?:[ \t]+(?:is|was))?[ \t]+)(?![=:])([^\s"',;&)\]}\\]*(?:\d|[^\sA-Za-z"',;&)\]}\\])[^\s"',;&)\]}\\]*)/gi;
// References and placeholders, which are code worth keeping rather than secrets.
const KEEP_VALUE_RE =
  /^(?:\$|%\(|\{\{|<|os\.|process\.env|import\.meta|env\b|getenv|getpass|input\b|none$|null$|nil$|undefined$|true$|false$|str$|string$|int$|bool$|any$|\*+$|x+$|\.\.\.|\[REDACTED\])/i;

const SECRET_NAME_ONLY_RE = new RegExp(`^${SECRET_NAME}$`, "i");

function assignValue(_m: string, head: string, value: string): string {
  const quote = /^\\?["']/.exec(value)?.[0] ?? "";
  const inner = quote ? value.slice(quote.length, -quote.length) : value;
  if (inner === "" || KEEP_VALUE_RE.test(inner) || /[([]/.test(inner)) return head + value;
  // A variable passed on (`api_key=api_key`, `token=self.token`) is code, not the secret.
  if (!quote && /^[A-Za-z_][\w.]*$/.test(inner)) {
    if (SECRET_NAME_ONLY_RE.test(inner.slice(inner.lastIndexOf(".") + 1))) return head + value;
  }
  return `${head}${quote}${REDACTED}${quote}`;
}

/**
 * Removes credentials from a text: private keys, URL passwords, webhook URLs,
 * API and cloud keys, tokens in URLs, secret assignments and authorization
 * headers (the module doc lists them all). Safe to apply twice.
 *
 * @param text Any text: a log line, an excerpt of a bad entry, an error message.
 * @returns The text with each secret replaced by `[REDACTED]`.
 * @example
 * ```ts
 * import { redactSecrets } from "./redact.ts";
 * redactSecrets("DB_PASSWORD=hunter2 postgres://app:s3cret@db:5432/x key sk-proj-abcdefghijklmnopqrstuv");
 * // "DB_PASSWORD=[REDACTED] postgres://app:[REDACTED]@db:5432/x key [REDACTED]"
 * ```
 */
export function redactSecrets(text: string): string {
  let out = text.replace(PRIVATE_KEY_RE, REDACTED);
  out = out.replace(URL_PASSWORD_RE, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`);
  for (const [re, to] of WEBHOOK_RES) out = out.replace(re, to);
  out = redactSlackTokens(out).replace(KEY_RE, REDACTED).replace(AWS_SECRET_RE, awsSecret);
  out = out.replace(SENSITIVE_PARAM_RE, `$1${REDACTED}`);
  out = out.replace(AUTH_HEADER_RE, (m, head: string) => (m.slice(head.length) === REDACTED ? m : head + REDACTED));
  out = out.replace(
    AUTH_SCHEME_RE,
    (m, head: string, value: string) =>
      value.length >= 6 && /\d/.test(value) && value !== REDACTED ? head + REDACTED : m,
  );
  for (const re of ASSIGN_RES) out = out.replace(re, assignValue);
  out = out.replace(INLINE_COLON_RE, assignValue).replace(PROSE_PASSWORD_RE, assignValue);
  return out;
}

// --- Personal data, for the LLM -------------------------------------------

const RAW_MENTION_RE = /<[@!][A-Za-z0-9^]+(?:\|[^>]*)?>/g;
const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const MENTION_RE = /(?<![\p{L}\p{N}_.+\-\]@])@([\p{L}\p{N}][\p{L}\p{N}._'-]*)((?:[ \t]\p{Lu}[\p{L}'-]+){0,2})/gu;
const BROADCAST = new Set(["here", "channel", "everyone", "user"]);
const PHONE_RE = new RegExp(
  // Not inside a run of numbers or a hex dump (`1f8b 0818 8897`, `00 00 00 05`).
  String.raw`(?<![\w+.\/-]|\d[ -]|[0-9a-fA-F]{2} )(?:` +
    String.raw`\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5}` +
    String.raw`|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}` +
    String.raw`|\d{3}[ .-]\d{3}[ .-]\d{4}` +
    String.raw`|0[1-9]\d{0,3}(?:[ -]\d{2,8}){1,4}` +
    String.raw`)(?![\w\/]|[.:-]?\d|[ -]\d| [0-9a-fA-F]{2}\b)`,
  "g",
);
const URL_TAIL_RE =
  /((?:\b[a-z][a-z0-9+.-]*:\/\/[^\s?#<>"'`|]*|\b(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?=[\/?#])[^\s?#<>"'`|]*))([?#][^\s<>"'`|]*)/gi;

function mention(m: string, name: string, more: string, offset: number, text: string): string {
  const trimmed = name.replace(/[.'-]+$/, "");
  const rest = name.slice(trimmed.length);
  if (BROADCAST.has(trimmed.toLowerCase())) return m;
  const after = text.charAt(offset + 1 + name.length);
  // Code, not a person: a decorator call, a scoped package, a decorator alone on its line.
  if (!more && (after === "(" || after === "/")) return m;
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = text.indexOf("\n", offset);
  const restOfLine = text.slice(offset + m.length, lineEnd < 0 ? undefined : lineEnd);
  if (!more && text.slice(lineStart, offset).trim() === "" && restOfLine.trim() === "") return m;
  // Only a capitalized name goes on to the next capitalized words.
  const tail = /^\p{Lu}/u.test(trimmed) && !rest ? "" : more;
  return `@user${rest}${tail}`;
}

function phone(m: string): string {
  const digits = m.replace(/\D/g, "").length;
  // A group of zeros (`00`) is a byte or a counter, not part of a phone number.
  if (/(?:^|[ .-])0+(?=$|[ .-])/.test(m)) return m;
  return digits >= 8 && digits <= 15 ? "[phone]" : m;
}

function urlTail(m: string, base: string, tail: string): string {
  if (!tail.includes("=")) return m;
  return base + (/[.,;:!?)]+$/.exec(tail)?.[0] ?? "");
}

/**
 * Prepares a message's plain text for the LLM: {@linkcode redactSecrets}, then
 * mentions, emails, phone numbers, and URL queries and fragments that carry
 * parameters (the module doc lists them all).
 *
 * @param text Plain text of a message (`text_plain`), or its mrkdwn.
 * @returns The text to send.
 * @example
 * ```ts
 * import { redactForLlm } from "./redact.ts";
 * redactForLlm("ping <@U01ABC> or @Jane Doe at ana@example.org, +44 20 7946 0958");
 * // "ping @user or @user at [email], [phone]"
 * ```
 */
export function redactForLlm(text: string): string {
  let out = redactSecrets(text);
  out = out.replace(RAW_MENTION_RE, (m) => (/^<!(?:here|channel|everyone)/i.test(m) ? m : "@user"));
  out = out.replace(URL_TAIL_RE, urlTail);
  out = out.replace(EMAIL_RE, "[email]");
  out = out.replace(MENTION_RE, mention);
  out = out.replace(PHONE_RE, phone);
  return out;
}

/**
 * A redacted, bounded excerpt of a bad input, for reports and logs.
 *
 * @param text The input.
 * @param max The most characters kept.
 * @returns The start of the input, secrets removed before it is cut, so a
 *   secret across the cut leaves no prefix behind.
 */
export function redactExcerpt(text: string, max: number): string {
  return redactSecrets(text.slice(0, max + 512)).slice(0, max);
}

/**
 * A parsed value as JSON, with every string in it redacted on its own before
 * the whole is: a secret split by JSON escapes (`\n`, `\"`) is still found.
 *
 * @param value Any JSON value, such as a rejected raw entry.
 * @returns Its redacted JSON text, or `undefined` for `undefined`.
 * @example
 * ```ts
 * import { redactJson } from "./redact.ts";
 * redactJson({ text: "password: hunter2\ntoken: t0k3n" }); // '{"text":"password: [REDACTED]\\ntoken: [REDACTED]"}'
 * ```
 */
export function redactJson(value: unknown): string | undefined {
  const json = JSON.stringify(value, (_k, v) => (typeof v === "string" ? redactSecrets(v) : v));
  return json === undefined ? undefined : redactSecrets(json);
}

/** Anything reported about a bad input: a reason and maybe an excerpt. */
export interface Reported {
  /** Why it was rejected. */
  reason: string;
  /** The start of the rejected text. */
  excerpt?: string;
}

/**
 * Redacts the reason and the excerpt of a report record, such as a quarantined
 * entry, before it is written or logged: a parser's message can quote the bad
 * text too.
 *
 * @param record The record.
 * @returns A copy with {@linkcode redactSecrets} applied to both.
 * @example
 * ```ts
 * import { redactReport } from "./redact.ts";
 * redactReport({ reason: "bad", excerpt: '{"token": "xoxb-1-2"' }).excerpt; // '{"token": "[REDACTED]"'
 * ```
 */
export function redactReport<T extends Reported>(record: T): T {
  const out = { ...record, reason: redactSecrets(record.reason) };
  if (record.excerpt !== undefined) out.excerpt = redactSecrets(record.excerpt);
  return out;
}
