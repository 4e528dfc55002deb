// A stand-in for the Slack Web API on loopback: conversations.history, conversations.replies, users.list and
// conversations.list, with small pages and cursors, one-off HTTP 429s, token checks and a server that can go away.

type Msg = Record<string, unknown>;

export interface FakeChannel {
  id: string;
  name: string;
  /** Every message of the channel, thread replies included. */
  messages: Msg[];
}

export interface FakeSlackOptions {
  /** The only token accepted. */
  token: string;
  channels: FakeChannel[];
  users?: Msg[];
  /** Most results per page, whatever `limit` asks. @default 3 */
  pageSize?: number;
  /** Request numbers (1-based, over the server's life) answered with HTTP 429, Retry-After: 1. */
  rateLimitAt?: number[];
  /** Request numbers answered with HTTP 429 and no Retry-After. */
  bareRateLimitAt?: number[];
  /** The server goes away at this request number: it is cut off and the listener closes. */
  dieAt?: number;
  /** Channels the bot is not a member of. */
  notInChannel?: string[];
  /**
   * Mark thread heads as Slack does (`thread_ts`, `reply_count`, `latest_reply`) when their replies are there but
   * the head lacks them, as in exports written before the replies came. @default false
   */
  markThreads?: boolean;
  /** Methods answered with HTTP 404, as a stand-in that does not speak them. */
  unknownMethods?: string[];
  /** Methods answered with missing_scope. */
  missingScope?: Record<string, string>;
}

export interface FakeSlack {
  url: string;
  /** Every request, in order: method and parameters (the token is not kept). */
  requests: { method: string; params: Record<string, string> }[];
  /** 429s answered. */
  rateLimited: number;
  channels: FakeChannel[];
  close(): Promise<void>;
}

const micros = (ts: unknown) => {
  const [s, f = ""] = String(ts).split(".");
  return BigInt(s!) * 1_000_000n + BigInt(f.padEnd(6, "0"));
};
const byTs = (a: Msg, b: Msg) => (micros(a.ts) < micros(b.ts) ? -1 : micros(a.ts) > micros(b.ts) ? 1 : 0);

function page<T>(items: T[], params: Record<string, string>, size: number): { items: T[]; next: string } {
  const offset = params.cursor ? Number(atob(params.cursor).slice(4)) : 0;
  const limit = Math.min(Number(params.limit || 100), size);
  const slice = items.slice(offset, offset + limit);
  const more = offset + limit < items.length;
  return { items: slice, next: more ? btoa(`off:${offset + limit}`) : "" };
}

export function startFakeSlack(options: FakeSlackOptions): FakeSlack {
  const requests: FakeSlack["requests"] = [];
  const state = { rateLimited: 0, count: 0 };
  const size = options.pageSize ?? 3;
  const channels = options.channels;
  for (const c of channels) {
    // An entry without a ts is nothing Slack could serve.
    c.messages = c.messages.filter((m) => typeof m.ts === "string");
    if (!options.markThreads) continue;
    const byTsMap = new Map(c.messages.map((m) => [m.ts, m]));
    for (const m of c.messages) {
      const head = m.thread_ts !== undefined && m.thread_ts !== m.ts ? byTsMap.get(m.thread_ts) : undefined;
      if (!head || head.reply_count !== undefined) continue;
      const replies = c.messages.filter((r) => r.thread_ts === head.ts && r.ts !== head.ts).sort(byTs);
      Object.assign(head, { thread_ts: head.ts, reply_count: replies.length, latest_reply: replies.at(-1)!.ts });
    }
  }
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const n = ++state.count;
    const method = new URL(req.url).pathname.split("/").pop() ?? "";
    const params = Object.fromEntries(new URLSearchParams(await req.text()));
    delete params.token;
    requests.push({ method, params });
    if (options.dieAt !== undefined && n >= options.dieAt) {
      // Going away: this answer breaks off mid-body, and nothing listens any more.
      server.shutdown();
      return new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"ok":true,"messages":['));
            c.error(new Error("gone"));
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    }
    if (options.rateLimitAt?.includes(n)) {
      state.rateLimited++;
      return new Response(JSON.stringify({ ok: false, error: "ratelimited" }), {
        status: 429,
        headers: { "retry-after": "1", "content-type": "application/json" },
      });
    }
    if (options.bareRateLimitAt?.includes(n)) {
      state.rateLimited++;
      return new Response(JSON.stringify({ ok: false, error: "ratelimited" }), { status: 429 });
    }
    if (req.headers.get("authorization") !== `Bearer ${options.token}`) {
      return Response.json({ ok: false, error: "invalid_auth" });
    }
    if (options.unknownMethods?.includes(method)) return new Response("not found", { status: 404 });
    const scope = options.missingScope?.[method];
    if (scope) return Response.json({ ok: false, error: "missing_scope", needed: scope, provided: "users:read" });
    const meta = (next: string) => ({ response_metadata: { next_cursor: next } });
    if (method === "users.list") {
      const p = page(options.users ?? [], params, size);
      return Response.json({ ok: true, members: p.items, ...meta(p.next) });
    }
    if (method === "conversations.list") {
      const p = page(channels.map((c) => ({ id: c.id, name: c.name, is_channel: true })), params, size);
      return Response.json({ ok: true, channels: p.items, ...meta(p.next) });
    }
    if (method !== "conversations.history" && method !== "conversations.replies") {
      return new Response("not found", { status: 404 });
    }
    const channel = channels.find((c) => c.id === params.channel);
    if (!channel) return Response.json({ ok: false, error: "channel_not_found" });
    if (options.notInChannel?.includes(channel.id)) return Response.json({ ok: false, error: "not_in_channel" });
    if (method === "conversations.history") {
      const oldest = params.oldest ? micros(params.oldest) : -1n;
      const top = channel.messages.filter((m) =>
        (m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === "thread_broadcast") &&
        micros(m.ts) >= oldest
      ).sort(byTs).reverse();
      const p = page(top, params, size);
      return Response.json({ ok: true, messages: p.items, has_more: p.next !== "", ...meta(p.next) });
    }
    const thread = channel.messages.filter((m) => m.ts === params.ts || m.thread_ts === params.ts).sort(byTs);
    if (thread.length === 0) return Response.json({ ok: false, error: "thread_not_found" });
    const p = page(thread, params, size);
    return Response.json({ ok: true, messages: p.items, has_more: p.next !== "", ...meta(p.next) });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/api/`,
    requests,
    channels,
    get rateLimited() {
      return state.rateLimited;
    },
    close: async () => {
      try {
        await server.shutdown();
      } catch { /* already gone */ }
    },
  };
}
