/**
 * The names behind Slack's ids, for rendering mentions: `_meta/slack/users.json`
 * and `_meta/slack/channels.json`.
 *
 * Both `fetch` (from `users.list` and `conversations.list`) and `import:export`
 * (from the export's own files) store them here, in one small shape, merged by
 * id: a newer source wins for the ids it knows, and ids it does not know stay.
 * Only names are kept, no e-mail, phone or avatar. Ids compare in upper case,
 * since real exports hold lower-case ones.
 *
 * @module
 */

import type { Lake } from "../lake.ts";
import { metaKey } from "../layout.ts";

/** One user, as stored in `_meta/slack/users.json`. */
export interface MetaUser {
  /** The user id, upper-case. */
  id: string;
  /** The handle (`name`). */
  name: string | null;
  /** The full name. */
  real_name: string | null;
  /** The display name set in the profile, often empty. */
  display_name: string | null;
  /** Whether it is a bot user. */
  is_bot: boolean;
  /** Whether the account is deactivated. */
  deleted: boolean;
}

/** One channel, as stored in `_meta/slack/channels.json`. */
export interface MetaChannel {
  /** The channel id, upper-case. */
  id: string;
  /** The channel name, without `#`. */
  name: string | null;
}

/** Names by upper-case id, for {@linkcode renderMrkdwn} and the `user_name` column. */
export interface NameLookup {
  /** Display names of users. */
  readonly users: ReadonlyMap<string, string>;
  /** Names of channels. */
  readonly channels: ReadonlyMap<string, string>;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Turns Slack user objects (`users.list` members, an export's `users.json`)
 * into stored users; entries without an id are dropped.
 *
 * @param raw Slack's user objects.
 * @returns The users, sorted by id.
 */
export function toMetaUsers(raw: readonly unknown[]): MetaUser[] {
  const out: MetaUser[] = [];
  for (const u of raw) {
    if (!isObject(u) || !str(u.id)) continue;
    const profile = isObject(u.profile) ? u.profile : {};
    out.push({
      id: (u.id as string).toUpperCase(),
      name: str(u.name),
      real_name: str(u.real_name) ?? str(profile.real_name),
      display_name: str(profile.display_name) ?? str(u.display_name), // Slack nests it; the stored shape does not
      is_bot: u.is_bot === true,
      deleted: u.deleted === true,
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Turns Slack channel objects into stored channels; entries without an id are
 * dropped.
 *
 * @param raw Slack's channel objects.
 * @returns The channels, sorted by id.
 */
export function toMetaChannels(raw: readonly unknown[]): MetaChannel[] {
  const out: MetaChannel[] = [];
  for (const c of raw) {
    if (!isObject(c) || !str(c.id)) continue;
    out.push({ id: (c.id as string).toUpperCase(), name: str(c.name) });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The name a user is shown under: the profile's display name, else the full
 * name, else the handle.
 *
 * @param u A stored user.
 * @returns The name, or `null` when it has none.
 */
export function displayName(u: MetaUser): string | null {
  return u.display_name ?? u.real_name ?? u.name;
}

/**
 * Builds the lookup from stored users and channels.
 *
 * @param users The stored users.
 * @param channels The stored channels.
 * @returns Names by upper-case id.
 * @example
 * ```ts
 * import { buildLookup } from "./names.ts";
 * const names = buildLookup(
 *   [{ id: "U1", name: "ana", real_name: "Ana B", display_name: null, is_bot: false, deleted: false }],
 *   [{ id: "C1", name: "general" }],
 * );
 * names.users.get("U1"); // "Ana B"
 * ```
 */
export function buildLookup(users: readonly MetaUser[], channels: readonly MetaChannel[]): NameLookup {
  const u = new Map<string, string>();
  for (const x of users) {
    const name = displayName(x);
    if (name !== null) u.set(x.id.toUpperCase(), name);
  }
  const c = new Map<string, string>();
  for (const x of channels) if (x.name !== null) c.set(x.id.toUpperCase(), x.name);
  return { users: u, channels: c };
}

function mergeById<T extends { id: string }>(old: readonly T[], incoming: readonly T[]): T[] {
  const byId = new Map(old.map((x) => [x.id, x]));
  for (const x of incoming) byId.set(x.id, x);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function readList(lake: Lake, key: string): Promise<unknown[]> {
  if (!(await lake.stat(key))) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(await lake.read(key)));
  } catch (e) {
    throw new SyntaxError(
      `${key} is not valid JSON (${(e as Error).message}): delete it, then run fetch or import:export to rebuild it`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new TypeError(`${key} is not a JSON array: delete it, then run fetch or import:export to rebuild it`);
  }
  return parsed;
}

/**
 * Reads the stored names of the lake.
 *
 * @param lake The lake.
 * @returns The lookup; empty when nothing is stored yet.
 * @throws {SyntaxError} When a name file is not JSON.
 * @throws {TypeError} When a name file is not an array.
 */
export async function readNames(lake: Lake): Promise<NameLookup> {
  const users = toMetaUsers(await readList(lake, metaKey("users")));
  const channels = toMetaChannels(await readList(lake, metaKey("channels")));
  return buildLookup(users, channels);
}

/** What {@linkcode storeNames} wrote. */
export interface StoreNamesResult {
  /** Keys written; a file whose bytes would not change is not written. */
  written: string[];
}

/**
 * Merges users and channels into `_meta/slack/`, by id. A file is written only
 * when its bytes change.
 *
 * @param lake The lake.
 * @param incoming Slack's user and channel objects; a missing list leaves its file alone.
 * @returns The keys written.
 */
export async function storeNames(
  lake: Lake,
  incoming: { users?: readonly unknown[]; channels?: readonly unknown[] },
): Promise<StoreNamesResult> {
  const written: string[] = [];
  const put = async (key: string, list: readonly object[]) => {
    const text = list.length === 0 ? "[]\n" : `[\n${list.map((x) => JSON.stringify(x)).join(",\n")}\n]\n`;
    const bytes = new TextEncoder().encode(text);
    if (await lake.stat(key)) {
      const before = await lake.read(key);
      if (before.length === bytes.length && before.every((b, i) => b === bytes[i])) return;
    }
    await lake.write(key, bytes, { contentType: "application/json" });
    written.push(key);
  };
  if (incoming.users) {
    const key = metaKey("users");
    await put(key, mergeById(toMetaUsers(await readList(lake, key)), toMetaUsers(incoming.users)));
  }
  if (incoming.channels) {
    const key = metaKey("channels");
    await put(key, mergeById(toMetaChannels(await readList(lake, key)), toMetaChannels(incoming.channels)));
  }
  return { written };
}
