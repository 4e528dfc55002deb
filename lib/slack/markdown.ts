/**
 * Slack mrkdwn rendered as CommonMark, for text that leaves Slack for a
 * Markdown document (FAQ drafts): links keep their targets, code stays code,
 * emphasis changes its marks, and no token survives.
 *
 * @module
 */

import { redactTokens, redactUrl } from "./message.ts";

const ENTITY: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

function decode(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITY[e] ?? e);
}

function token(inner: string): string {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? "" : decode(inner.slice(bar + 1));
  const head = target.charAt(0);
  if (head === "@") return label ? `@${label.replace(/^@/, "")}` : "@user";
  if (head === "#") return `#${label || "channel"}`;
  if (head === "!") {
    const name = target.slice(1).split("^")[0] ?? "";
    if (name === "date") return label;
    return label ? label : `@${name}`;
  }
  const url = redactUrl(decode(target));
  if (/^mailto:/i.test(url)) return label || url.replace(/^mailto:/i, "");
  if (!/^https?:\/\//i.test(url)) return label || url;
  return label && label !== url
    ? `[${label.replace(/[[\]]/g, "\\$&")}](${url.replace(/[()]/g, encodeURIComponent)})`
    : `<${url}>`;
}

function inline(text: string): string {
  // Emphasis around inline code, then inline code on its own, so marks inside code stay as they are.
  const marked = text.replace(/(^|[\s(])\*(`[^`\n]+`)\*(?=$|[\s.,;:!?)'"])/gm, "$1\uE002$2\uE002")
    .replace(/(^|[\s(])_(`[^`\n]+`)_(?=$|[\s.,;:!?)'"])/gm, "$1\uE003$2\uE003");
  const parts = marked.split(/(`[^`\n]+`)/);
  return parts.map((part, i) => {
    if (i % 2 === 1) return decode(part);
    let out = part.replace(/<([^<>\n]+)>/g, (_m, inner: string) => `\uE000${token(inner)}\uE001`);
    out = out.replace(/(^|[\s(])\*(?=\S)([^*\n]*?\S)\*(?=$|[\s.,;:!?)'"])/gm, "$1**$2**");
    out = out.replace(/(^|[\s(])_(?=\S)([^_\n]*?\S)_(?=$|[\s.,;:!?)'"])/gm, "$1*$2*");
    out = out.replace(/(^|[\s(])~(?=\S)([^~\n]*?\S)~(?=$|[\s.,;:!?)'"])/gm, "$1~~$2~~");
    out = out.replace(/^(\s*)[•◦▪]\s+/gm, "$1- ");
    out = out.replace(/^&gt;\s?/gm, "> ");
    // `&lt;` stays an entity outside code: Markdown shows it as <, and a reply's `<script>` or `<!--`
    // cannot become HTML on the FAQ site or swallow the draft's review note.
    return out.replace(/&(?:amp|gt|quot|#39);/g, (e) => ENTITY[e] ?? e).replace(/[\uE000\uE001]/g, "");
  }).join("").replace(/\uE002/g, "**").replace(/\uE003/g, "*");
}

/**
 * Renders Slack mrkdwn as Markdown.
 *
 * - `<url|label>` becomes `[label](url)`, `<url>` an autolink; file URLs lose
 *   their token query;
 * - `<@U…|name>` becomes `@name`, `<@U…>` `@user` (ids mean nothing in an FAQ),
 *   and leading mentions that address someone are dropped;
 * - ```` ```code``` ```` becomes a fenced block on its own lines, `` `code` `` stays;
 * - `*bold*` becomes `**bold**`, `_it_` `*it*`, `~s~` `~~s~~`; `•` bullets
 *   become `-`; `&gt;` quotes become `>`;
 * - Slack tokens are redacted.
 *
 * @param text The mrkdwn.
 * @returns Markdown.
 * @example
 * ```ts
 * import { mrkdwnToMarkdown } from "./markdown.ts";
 * mrkdwnToMarkdown("<@U1> see *<https://x.org|the docs>*"); // "see **[the docs](https://x.org)**"
 * ```
 */
export function mrkdwnToMarkdown(text: string): string {
  const src = text.replace(/\r\n?/g, "\n").replace(/^(?:\s*<@[A-Za-z0-9]+(?:\|[^>]*)?>[\s,:]*)+/, "");
  const out: string[] = [];
  const fence = /```([\s\S]*?)```/g;
  let at = 0;
  for (let m = fence.exec(src); m; m = fence.exec(src)) {
    out.push(inline(src.slice(at, m.index)));
    const code = decode(m[1]!.replace(/^\n|\n$/g, ""));
    const before = out.join("");
    out.push(`${before === "" || before.endsWith("\n") ? "" : "\n"}\`\`\`\n${code}\n\`\`\`\n`);
    at = m.index + m[0].length;
    while (src.charAt(at) === " " || src.charAt(at) === "\t") at++;
    if (src.charAt(at) === "\n") at++;
  }
  out.push(inline(src.slice(at)));
  // A Slack quote is one line; in Markdown the next line would join it unless a blank line ends it.
  const text2 = out.join("").replace(/[ \t]+$/gm, "").replace(/^(> .*)\n(?!>|\n)/gm, "$1\n\n");
  return redactTokens(text2.replace(/\n{3,}/g, "\n\n").trim());
}
