/**
 * Reading a course's FAQ from its source: the DataTalks.Club FAQ repository
 * layout (`_questions/{course}/{section}/{NNN}_{id}_{slug}.md`, YAML front
 * matter with `id` and `question`, the answer as the Markdown body), one course
 * folder of it, or a JSON Lines file of `{id, question, answer, section}`.
 *
 * Bad entries (no front matter, no `id`, a duplicate `id`, an empty question,
 * broken YAML) are reported with their file and reason; the rest is kept.
 *
 * Front matter is parsed with `yaml` (already the project's YAML parser) under
 * the failsafe schema, so that every scalar stays the string that was written:
 * an id like `0123456789` or `1355481387` is never turned into a number.
 *
 * @module
 */

import * as path from "node:path";
import { isMap, parseDocument } from "yaml";

/** One FAQ entry, as stored in `reference/faq/course_id={course}/faq.parquet`. */
export interface FaqEntry {
  /** The entry's own id (10 hex digits in the DataTalks.Club FAQ). */
  id: string;
  /** The section id (the folder name), or "" when there is none. */
  section: string;
  /** The question, as written. */
  question: string;
  /** The answer rendered as plain text. */
  answer_plain: string;
  /** Where it came from, relative to the source. */
  source_path: string;
  /** SHA-256 of the source text of the entry, hex. */
  sha256: string;
}

/** A source entry that was left out, and why. */
export interface FaqProblem {
  /** The file (and line, for JSON Lines) relative to the source. */
  file: string;
  /** Why it was left out, in sentence case. */
  reason: string;
}

/** What a source gave. */
export interface FaqSourceResult {
  /** The good entries, in source order (sections, then file names). */
  entries: FaqEntry[];
  /** The entries left out. */
  problems: FaqProblem[];
}

/** Options of {@linkcode readFaqSource}. */
export interface ReadFaqSourceOptions {
  /**
   * The course folder to pick inside a `_questions` folder.
   * @default {undefined} the course id given by the caller must then be passed here
   */
  fromCourse?: string;
}

const enc = new TextEncoder();

async function sha256Hex(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Renders FAQ Markdown as plain text: code is kept (its error messages and
 * commands are what questions quote), markup, image placeholders and link
 * targets go.
 *
 * @param md Markdown.
 * @returns Plain text.
 * @example
 * ```ts
 * import { markdownToPlain } from "./source.ts";
 * markdownToPlain("**Fix:** see [docs](https://x.y) <{IMAGE:image_1}>"); // "Fix: see docs"
 * ```
 */
export function markdownToPlain(md: string): string {
  return md
    .replace(/<\{IMAGE:[^}]*\}>/g, " ")
    .replace(/^\s*```[^\n]*$/gm, "")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<\/?[a-zA-Z][^>]*>/g, " ")
    .replace(/^\s{0,3}#{1,6}\s+/gm, "")
    .replace(/^\s{0,3}>\s?/gm, "")
    .replace(/(\*\*|__)(.*?)\1/g, "$2")
    .replace(/`([^`\n]*)`/g, "$1")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

/**
 * Parses one FAQ Markdown file.
 *
 * @param text The file's text.
 * @param file Its path relative to the source, for messages.
 * @param section The section (folder) it is in.
 * @returns The entry, or the reason it is left out.
 */
export async function parseFaqMarkdown(
  text: string,
  file: string,
  section: string,
): Promise<FaqEntry | FaqProblem> {
  const m = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (!m) return { file, reason: "No front matter: the file must start with a --- block holding id and question" };
  const doc = parseDocument(m[1]!, { schema: "failsafe", prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) return { file, reason: `Front matter is not valid YAML: ${err.message.split("\n")[0]}` };
  if (!isMap(doc.contents)) return { file, reason: "Front matter is not a mapping of keys to values" };
  const fm = doc.toJS() as Record<string, unknown>;
  const id = typeof fm.id === "string" ? fm.id.trim() : "";
  if (id === "") return { file, reason: 'Front matter has no "id": add the entry\'s id, such as "id: 7fa713d6c7"' };
  const question = typeof fm.question === "string" ? fm.question.trim() : "";
  if (question === "") return { file, reason: `Entry ${id} has an empty question` };
  return {
    id,
    section,
    question,
    answer_plain: markdownToPlain(text.slice(m[0].length)),
    source_path: file,
    sha256: await sha256Hex(text),
  };
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await Deno.stat(p)).isFile;
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await Deno.stat(p)).isDirectory;
  } catch {
    return false;
  }
}

async function readCourseFolder(dir: string, rel: string): Promise<FaqSourceResult> {
  const out: FaqSourceResult = { entries: [], problems: [] };
  const sections: string[] = [];
  const rootFiles: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !e.name.startsWith(".")) sections.push(e.name);
    else if (e.isFile && e.name.endsWith(".md")) rootFiles.push(e.name);
  }
  const parseFiles = async (folder: string, names: string[], section: string) => {
    for (const name of names.sort()) {
      const file = path.posix.join(rel, section, name);
      const entry = await parseFaqMarkdown(await Deno.readTextFile(path.join(folder, name)), file, section);
      if ("id" in entry) out.entries.push(entry);
      else out.problems.push(entry);
    }
  };
  await parseFiles(dir, rootFiles, "");
  for (const section of sections.sort()) {
    const names: string[] = [];
    for await (const e of Deno.readDir(path.join(dir, section))) {
      if (e.isFile && e.name.endsWith(".md")) names.push(e.name);
    }
    await parseFiles(path.join(dir, section), names, section);
  }
  return out;
}

async function readJsonLines(file: string): Promise<FaqSourceResult> {
  const out: FaqSourceResult = { entries: [], problems: [] };
  const name = path.basename(file);
  const lines = (await Deno.readTextFile(file)).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const where = `${name}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      out.problems.push({ file: where, reason: `Line is not valid JSON: ${(e as Error).message}` });
      continue;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      out.problems.push({ file: where, reason: "Line is not a JSON object with id, question, answer and section" });
      continue;
    }
    const o = v as Record<string, unknown>;
    const id = typeof o.id === "string" || typeof o.id === "number" ? String(o.id).trim() : "";
    if (id === "") {
      out.problems.push({ file: where, reason: 'Entry has no "id"' });
      continue;
    }
    const question = typeof o.question === "string" ? o.question.trim() : "";
    if (question === "") {
      out.problems.push({ file: where, reason: `Entry ${id} has an empty question` });
      continue;
    }
    out.entries.push({
      id,
      section: typeof o.section === "string" ? o.section : "",
      question,
      answer_plain: markdownToPlain(typeof o.answer === "string" ? o.answer : ""),
      source_path: where,
      sha256: await sha256Hex(line),
    });
  }
  return out;
}

/**
 * Drops every entry whose id repeats an earlier one, reporting it.
 *
 * @param result Entries and problems so far.
 * @returns The entries with unique ids, and the problems.
 */
function dropDuplicates(result: FaqSourceResult): FaqSourceResult {
  const seen = new Map<string, string>();
  const entries: FaqEntry[] = [];
  const problems = [...result.problems];
  for (const e of result.entries) {
    const first = seen.get(e.id);
    if (first !== undefined) {
      problems.push({ file: e.source_path, reason: `Duplicate id ${e.id}: ${first} has it already` });
      continue;
    }
    seen.set(e.id, e.source_path);
    entries.push(e);
  }
  return { entries, problems };
}

/**
 * Reads a FAQ source: a `_questions` folder (with `fromCourse` naming the course
 * folder), one course folder (it holds `_metadata.yaml` or section folders of
 * `.md` files), or a `.jsonl` file.
 *
 * @param source The folder or file.
 * @param options Which course folder to pick.
 * @returns The entries and the problems.
 * @throws {TypeError} When the source does not exist or the course folder is missing.
 * @example
 * ```ts ignore
 * const { entries, problems } = await readFaqSource("../faq/_questions", { fromCourse: "mlops-zoomcamp" });
 * ```
 */
export async function readFaqSource(source: string, options: ReadFaqSourceOptions = {}): Promise<FaqSourceResult> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(source);
  } catch {
    throw new TypeError(
      `FAQ source ${source} does not exist: pass a _questions folder, a course folder or a .jsonl file`,
    );
  }
  if (st.isFile) return dropDuplicates(await readJsonLines(source));
  const fromCourse = options.fromCourse;
  const metadata = await isFile(path.join(source, "_metadata.yaml"));
  if (!metadata && fromCourse !== undefined && (await isDir(path.join(source, fromCourse)))) {
    return dropDuplicates(await readCourseFolder(path.join(source, fromCourse), fromCourse));
  }
  if (!metadata) {
    // A _questions folder holds course folders, each with its _metadata.yaml.
    const courses: string[] = [];
    for await (const e of Deno.readDir(source)) {
      if (e.isDirectory && (await isFile(path.join(source, e.name, "_metadata.yaml")))) courses.push(e.name);
    }
    if (courses.length > 0) {
      throw new TypeError(
        `FAQ source ${source} has no course folder "${fromCourse ?? ""}": pass --from-course with one of ${
          courses.sort().join(", ")
        }`,
      );
    }
  }
  return dropDuplicates(await readCourseFolder(source, path.basename(path.resolve(source))));
}
