/**
 * Pure functions over Slack messages: exact timestamps, mrkdwn to plain text,
 * token redaction, and one raw message to one bronze row.
 *
 * Nothing here does I/O, so every rule is tested on fixtures alone.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { civilFromDays } from "../layout.ts";
import { dropSlackUrlTokens, redactSlackTokens } from "../redact.ts";

export { REDACTED } from "../redact.ts";

/** One reaction on a message. */
export interface Reaction {
  /** The emoji name, without colons. */
  name: string | null;
  /** How many people reacted. */
  count: number | null;
}

/** One file attached to a message; the URL has no token left in it. */
export interface FileRef {
  /** Slack's file id. */
  id: string | null;
  /** The file name. */
  name: string | null;
  /** The MIME type. */
  mimetype: string | null;
  /** Size in bytes. */
  size: number | null;
  /** The private URL, with any `t=` token query removed. */
  url_private: string | null;
}

/**
 * One bronze row. Timestamps are microseconds since the epoch (UTC) as
 * `bigint`, so none of Slack's microseconds are lost.
 */
export interface BronzeRow {
  message_id: string;
  course_id: string;
  channel: string | null;
  channel_id: string | null;
  ts: bigint;
  ts_raw: string;
  thread_ts: bigint | null;
  thread_ts_raw: string | null;
  is_thread_head: boolean;
  user_id: string | null;
  user_name: string | null;
  client_msg_id: string | null;
  bot_id: string | null;
  subtype: string | null;
  text: string | null;
  text_plain: string | null;
  reactions: Reaction[];
  files: FileRef[];
  reply_count: number | null;
  reply_users_count: number | null;
  latest_reply: bigint | null;
  edited_ts: bigint | null;
  deleted: boolean;
  ingestion_time: bigint;
  source_file_path: string;
  sha256: string;
  year: number;
  month: number;
  day: number;
}

const TS_RE = /^(\d{1,12})(?:\.(\d{1,6}))?$/;
const LONG_FRACTION_RE = /^\d{1,12}\.\d{7,}$/;
const MAX_SECONDS = 4_102_444_800n; // 2100-01-01, beyond any real Slack message

/**
 * Parses Slack's `ts` string exactly, without going through a float, and gives
 * it in Slack's canonical six-digit form, so that `1719792000.1` (a JSON number),
 * `"1719792000.1"` and `"1719792000.100000"` are one message everywhere a key
 * is built from it (`message_id`, `thread_ts_raw`, merges).
 *
 * @param value Slack's `ts`, normally a string like `"1723556195.123456"`.
 * @returns The canonical string (`seconds.micros`, six digits) and microseconds
 *   since the epoch, or `undefined` when the value is not a Slack timestamp
 *   (more than six fractional digits included: that would not be exact).
 * @example
 * ```ts
 * import { parseSlackTs } from "./message.ts";
 * parseSlackTs("1723556195.123456")?.micros; // 1723556195123456n
 * parseSlackTs(1719792000.1)?.raw; // "1719792000.100000"
 * ```
 */
export function parseSlackTs(value: unknown): { raw: string; micros: bigint } | undefined {
  let raw: string;
  if (typeof value === "string") raw = value.trim();
  else if (typeof value === "number" && Number.isFinite(value) && value >= 0) {
    // Shortest round-trip form: a 16-digit Slack ts survives JSON's float.
    raw = String(value);
  } else return undefined;
  const m = TS_RE.exec(raw);
  if (!m) return undefined;
  const seconds = BigInt(m[1]!);
  if (seconds >= MAX_SECONDS) return undefined;
  const fraction = (m[2] ?? "").padEnd(6, "0");
  return { raw: `${seconds}.${fraction}`, micros: seconds * 1_000_000n + BigInt(fraction) };
}

/**
 * Formats microseconds since the epoch as an ISO 8601 string with all six
 * fractional digits.
 *
 * @param micros Microseconds since the epoch.
 * @returns For example `2024-08-13T13:36:35.123456Z`.
 */
export function microsToIso(micros: bigint): string {
  const ms = micros / 1000n;
  const iso = new Date(Number(ms)).toISOString(); // ...SS.mmmZ
  const frac = (((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).toString().padStart(6, "0");
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/**
 * Replaces every Slack token in a text, and the `t=` token of Slack file URLs
 * in it (see {@linkcode redactSlackTokens}).
 *
 * @param text Any text.
 * @returns The text with each token replaced by `[REDACTED]`.
 * @example
 * ```ts
 * import { redactTokens } from "./message.ts";
 * redactTokens("SLACK_BOT_TOKEN=xoxb-1-2-abc"); // "SLACK_BOT_TOKEN=[REDACTED]"
 * ```
 */
export function redactTokens(text: string): string {
  return redactSlackTokens(text);
}

/**
 * Removes the `t=` query parameter that Slack adds to file URLs, whatever its
 * value, and any other Slack token left in the URL, plain or URL-encoded.
 *
 * @param url A URL.
 * @returns The URL without the token.
 * @example
 * ```ts
 * import { redactUrl } from "./message.ts";
 * redactUrl("https://files.slack.com/a.png?t=xoxe-123"); // "https://files.slack.com/a.png"
 * ```
 */
export function redactUrl(url: string): string {
  return redactSlackTokens(dropSlackUrlTokens(url));
}

/** Options for {@linkcode renderMrkdwn}. */
export interface RenderOptions {
  /**
   * Display names by user id (upper-case), used for `<@U…>` mentions that carry
   * no name.
   * @default {undefined} mentions render as `@U…`, the id in upper case
   */
  users?: ReadonlyMap<string, string>;
  /**
   * Channel names by channel id (upper-case), used for `<#C…>` links that carry
   * no name.
   * @default {undefined} such links render as `#C…`, the id in upper case
   */
  channels?: ReadonlyMap<string, string>;
}

const BROADCASTS = new Set(["here", "channel", "everyone"]);
const ENTITY: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

function renderToken(inner: string, options: RenderOptions): string {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? "" : inner.slice(bar + 1);
  const head = target.charAt(0);
  if (head === "@") {
    const id = target.slice(1);
    if (label) return `@${label.replace(/^@/, "")}`;
    return `@${options.users?.get(id.toUpperCase()) ?? id.toUpperCase()}`;
  }
  if (head === "#") {
    const id = target.slice(1).toUpperCase();
    return `#${label || options.channels?.get(id) || id}`;
  }
  if (head === "!") {
    const name = target.slice(1).split("^")[0] ?? "";
    if (BROADCASTS.has(name.toLowerCase())) return `@${name.toLowerCase()}`;
    if (name === "subteam") return label ? `@${label.replace(/^@/, "")}` : "@group";
    return label || `@${name}`;
  }
  if (label) return label;
  return target.replace(/^mailto:/i, "");
}

/**
 * Renders Slack mrkdwn as plain text.
 *
 * - `<@U…>` and `<@U…|name>` become `@name` (or `@U…`, the id upper-cased, with
 *   no name known), `<#C…|name>` and `<#C…>` become `#name` (or `#C…`), `<!here>` becomes `@here`,
 *   `<!subteam^S…|@team>` becomes `@team`, `<!date^…|fallback>` its fallback,
 *   `<url|label>` its label and `<url>` the URL. IDs may be lower-case.
 * - `&amp; &lt; &gt;` are decoded after the links, so an escaped `&lt;` never
 *   turns into a link.
 * - Code fences and inline code marks are removed, their content kept verbatim
 *   (`__init__` stays `__init__`); outside code, `*bold*`, `_italic_` and
 *   `~strike~` lose their marks only around whole words, so `2*3*4` stays as it
 *   is.
 * - Slack tokens are redacted, with the `t=` of Slack file URLs.
 *
 * @param text The mrkdwn.
 * @param options Names for mentions and channel links.
 * @returns Plain text.
 * @example
 * ```ts
 * import { renderMrkdwn } from "./message.ts";
 * renderMrkdwn("<@U1|ana> see <https://x.org|docs> &amp; <#C2|general>");
 * // "@ana see docs & #general"
 * ```
 */
export function renderMrkdwn(text: string, options: RenderOptions = {}): string {
  if (!/[<&`*_~]/.test(text)) return redactTokens(text);
  let out = text.replace(/<([^<>\n]+)>/g, (_m, inner: string) => renderToken(inner, options));
  // Code is set aside while the formatting marks go, so `__init__` or `a*b*c` inside it stay verbatim.
  const code: string[] = [];
  const keep = (content: string) => `\uE000${code.push(content) - 1}\uE001`;
  out = out.replace(/[\uE000\uE001]/g, "");
  out = out.replace(/```([\s\S]*?)```/g, (_m, block: string) => keep(block.replace(/^\n|\n$/g, "")));
  out = out.replace(/`([^`\n]+)`/g, (_m, span: string) => keep(span));
  out = out.replace(/(^|[\s(])([*_~])(?=\S)([^\n]*?\S)\2(?=$|[\s.,;:!?)'"])/gm, "$1$3");
  out = out.replace(/\uE000(\d+)\uE001/g, (_m, i: string) => code[Number(i)] ?? "");
  out = out.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITY[e] ?? e);
  return redactTokens(out);
}

/** The facts that decide which of two versions of a message is newer. */
export interface VersionFacts {
  /** A tombstone or deletion. */
  deleted: boolean;
  /** `edited.ts` in microseconds. */
  edited_ts: bigint | null;
  /** The thread's latest reply in microseconds. */
  latest_reply: bigint | null;
  /** How many replies the thread has. */
  reply_count: number | null;
}

function cmpNullable<T extends bigint | number>(a: T | null, b: T | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders two versions of the same message: a deletion is final, then the later
 * edit wins, then the later thread state (a thread head fetched later has more
 * replies).
 *
 * @param a One version.
 * @param b Another version of the same message.
 * @returns Negative when `a` is older, positive when newer, 0 when they tie.
 */
export function compareVersions(a: VersionFacts, b: VersionFacts): number {
  return (Number(a.deleted) - Number(b.deleted)) ||
    cmpNullable(a.edited_ts, b.edited_ts) ||
    cmpNullable(a.latest_reply, b.latest_reply) ||
    cmpNullable(a.reply_count, b.reply_count);
}

const DELETED_SUBTYPES = new Set(["tombstone", "message_deleted"]);

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function int(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^\d+$/.test(v)) return Number(v);
  return null;
}

function tsMicros(v: unknown): bigint | null {
  return parseSlackTs(v)?.micros ?? null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The version facts of a raw Slack message.
 *
 * @param msg A raw message object.
 * @returns Its facts, for {@linkcode compareVersions}.
 */
export function versionOf(msg: Record<string, unknown>): VersionFacts {
  const subtype = str(msg.subtype);
  return {
    deleted: (subtype !== null && DELETED_SUBTYPES.has(subtype)) || msg.is_tombstoned === true,
    edited_ts: isObject(msg.edited) ? tsMicros(msg.edited.ts) : null,
    latest_reply: tsMicros(msg.latest_reply),
    reply_count: int(msg.reply_count),
  };
}

/**
 * Checks that an entry of a raw day file is a message object.
 *
 * @param msg The entry.
 * @returns The same entry, typed.
 * @throws {TypeError} When it is not an object.
 */
export function asMessage(msg: unknown): Record<string, unknown> {
  if (!isObject(msg)) {
    const kind = msg === null ? "null" : Array.isArray(msg) ? "an array" : `a ${typeof msg}`;
    throw new TypeError(`Entry is ${kind}, not a message object`);
  }
  return msg;
}

/**
 * A message's `ts`, exact.
 *
 * @param msg A message object.
 * @returns Its `ts`.
 * @throws {RangeError} When `ts` is missing or not a Slack timestamp.
 */
export function messageTs(msg: Record<string, unknown>): { raw: string; micros: bigint } {
  const target = changedMessage(msg);
  const value = target === msg ? msg.ts : target.ts;
  const ts = parseSlackTs(value);
  if (!ts) {
    const shown = typeof value === "number" ? String(value) : JSON.stringify(value);
    throw new RangeError(
      value === undefined
        ? target === msg ? "Message has no ts" : `Event ${String(msg.subtype)} names no message ts`
        : LONG_FRACTION_RE.test(String(value).trim())
        ? `Message ts ${shown} has more than 6 fractional digits: Slack's ts is seconds and microseconds`
        : `Message ts ${shown} is not a Slack timestamp`,
    );
  }
  return ts;
}

/**
 * The message an entry is about. An Events-API `message_changed` entry carries
 * the new version in `message`, and a `message_deleted` entry names the message
 * in `deleted_ts` (its `previous_message` holds the old text); both are keyed on
 * that message, never on the event's own `ts`. Any other entry is itself.
 *
 * @param msg A raw entry.
 * @returns The message it is about: for a deletion, the old message marked with
 *   subtype `message_deleted` and no text.
 */
export function changedMessage(msg: Record<string, unknown>): Record<string, unknown> {
  if (msg.subtype === "message_changed" && isObject(msg.message)) {
    return { channel: msg.channel, ...msg.message };
  }
  if (msg.subtype === "message_deleted") {
    const prev = isObject(msg.previous_message) ? msg.previous_message : {};
    const ts = msg.deleted_ts ?? prev.ts;
    const { text: _text, blocks: _blocks, attachments: _att, files: _files, ...rest } = prev;
    return { ...rest, channel: msg.channel ?? prev.channel, ts, subtype: "message_deleted" };
  }
  return msg;
}

/** Where a message came from, and what the run knows about it. */
export interface NormalizeContext {
  /** The course id. */
  courseId: string;
  /** The channel name, when known. @default {null} */
  channel?: string | null;
  /** The channel id, used when the message has no `channel`. @default {null} */
  channelId?: string | null;
  /** The raw file, as stored in `source_file_path`. */
  sourcePath: string;
  /** The run's start, in microseconds since the epoch. */
  ingestionTime: bigint;
  /** Display names by upper-case user id, for mentions and `user_name`. @default {undefined} */
  users?: ReadonlyMap<string, string>;
  /** Channel names by upper-case channel id, for channel links. @default {undefined} */
  channels?: ReadonlyMap<string, string>;
}

function authorName(m: Record<string, unknown>, users: ReadonlyMap<string, string> | undefined): string | null {
  const id = str(m.user);
  const known = id === null ? undefined : users?.get(id.toUpperCase());
  if (known) return known;
  // Exports carry the author's profile inline; bots carry a username or a bot profile.
  const profile = isObject(m.user_profile) ? m.user_profile : {};
  const bot = isObject(m.bot_profile) ? m.bot_profile : {};
  for (const v of [profile.display_name, profile.real_name, m.username, bot.name, profile.name]) {
    if (typeof v === "string" && v.trim() !== "") return v;
  }
  return null;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Normalizes one raw Slack message into a bronze row.
 *
 * Every message is kept, joins, bots and tombstones included; `subtype` tells
 * them apart. `is_thread_head` is true for every top-level message: one with no
 * `thread_ts`, or with `thread_ts == ts`.
 *
 * @param msg The raw message.
 * @param ctx The course, source and run.
 * @returns The row.
 * @throws {TypeError} When the message is not an object.
 * @throws {RangeError} When `ts` is missing or not a Slack timestamp.
 * @example
 * ```ts
 * import { normalizeMessage } from "./message.ts";
 * const row = normalizeMessage(
 *   { type: "message", ts: "1704067200.000001", text: "hi <@U1>" },
 *   { courseId: "ml", sourcePath: "raw/x.json", ingestionTime: 0n },
 * );
 * row.message_id; // "ml:1704067200.000001"
 * ```
 */
export function normalizeMessage(msg: unknown, ctx: NormalizeContext): BronzeRow {
  const ts = messageTs(asMessage(msg));
  const m = changedMessage(asMessage(msg));
  const thread = parseSlackTs(m.thread_ts);
  const text = str(m.text);
  const days = ts.micros / 86_400_000_000n - (ts.micros < 0n && ts.micros % 86_400_000_000n !== 0n ? 1n : 0n);
  const civil = civilFromDays(Number(days));
  const reactions: Reaction[] = [];
  if (Array.isArray(m.reactions)) {
    for (const r of m.reactions) if (isObject(r)) reactions.push({ name: str(r.name), count: int(r.count) });
  }
  const files: FileRef[] = Array.isArray(m.files)
    ? m.files.filter(isObject).map((f) => {
      const url = str(f.url_private);
      return {
        id: str(f.id),
        name: str(f.name),
        mimetype: str(f.mimetype),
        size: int(f.size),
        url_private: url === null ? null : redactUrl(url),
      };
    })
    : [];
  const version = versionOf(m);
  const redacted = text === null ? null : redactTokens(text);
  return {
    message_id: `${ctx.courseId}:${ts.raw}`,
    course_id: ctx.courseId,
    channel: ctx.channel ?? null,
    channel_id: str(m.channel) ?? ctx.channelId ?? null,
    ts: ts.micros,
    ts_raw: ts.raw,
    thread_ts: thread?.micros ?? null,
    thread_ts_raw: thread?.raw ?? null,
    is_thread_head: thread === undefined || thread.micros === ts.micros,
    user_id: str(m.user),
    user_name: authorName(m, ctx.users),
    client_msg_id: str(m.client_msg_id),
    bot_id: str(m.bot_id),
    subtype: str(m.subtype),
    text: redacted,
    text_plain: text === null ? null : renderMrkdwn(text, { users: ctx.users, channels: ctx.channels }),
    reactions,
    files,
    reply_count: version.reply_count,
    reply_users_count: int(m.reply_users_count),
    latest_reply: version.latest_reply,
    edited_ts: version.edited_ts,
    deleted: version.deleted,
    ingestion_time: ctx.ingestionTime,
    source_file_path: ctx.sourcePath,
    sha256: sha256Hex(redacted ?? ""),
    year: civil.year,
    month: civil.month,
    day: civil.day,
  };
}
