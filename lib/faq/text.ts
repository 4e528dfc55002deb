/**
 * Text to weighted terms, for FAQ matching and question grouping.
 *
 * Student questions in Slack are not FAQ titles: they greet, mention people,
 * paste links, emoji, whole tracebacks and the command that failed. This module
 * turns such text into terms a lexical ranker can use:
 *
 * - greetings, thanks, mentions, links, emoji and Slack chatter are dropped;
 * - code identifiers are kept whole (`pipfile.lock`, `set_tracking_uri`,
 *   `MlflowClient`) and also split into their parts (`set`, `tracking`, `uri`;
 *   `mlflow`, `client`), so both an exact paste and a paraphrase match;
 * - words are lowercased and Porter-stemmed, and common course aliases are
 *   folded (`k8s` → `kubernetes`, `hw` → `homework`, `pg` → `postgres`, …);
 * - in a query, lines that look like an error (an exception class, `error:`,
 *   `not found`, `is not recognized`, …) weigh more, and exception class names
 *   most, because they are what FAQ entries are titled by; traceback frame lines
 *   (`File "…", line 3, in …`) keep only their module name, a line pasted again
 *   counts once, and a file path keeps only its last two parts.
 *
 * @module
 */

import { stemmer } from "stemmer";

/** Terms and their weights (counts for a document, weights for a query). */
export type TermWeights = Map<string, number>;

/** Options of {@linkcode analyze}. */
export interface AnalyzeOptions {
  /**
   * Weigh error lines and exception names up (for the question side).
   * @default {false}
   */
  query?: boolean;
}

/** Words that carry no topic in these channels: English function words and Slack chatter. */
const STOP = new Set(
  (`a about above after again against all also am an and any anybody anyone anything are aren as at be because been
before being below between both but by can cannot could couldn did didn do does doesn doing don down during each
few for from further had hadn has hasn have haven having he her here hers herself him himself his how i if in into
is isn it its itself just let ll me more most my myself no nor not now of off on once only or other our ours
ourselves out over own re s same she should shouldn so some such t than that the their theirs them themselves then
there these they this those through to too under until up ve very was wasn we were weren what when where which
while who whom why will with won would wouldn you your yours yourself yourselves d m o y ain im ive id youre dont
doesnt didnt cant wont isnt arent wasnt havent hasnt couldnt shouldnt wouldnt thats theres whats hi hello hey
hii heyy hiya guys everyone everybody folks team all anyone someone somebody please pls plz thanks thank thx ty tks
tnx thankyou appreciate appreciated regards cheers kind dear sir madam mam maam morning evening afternoon greetings
hope doing well sorry advance help helps helped helping question questions asking ask wondering wonder idea ideas
anybody suggestion suggestions guide guidance somehow though tho still already really actually maybe probably
getting get got gets trying try tried facing face faced stuck thing things something way lol btw fyi u ur r pls
also okay ok yes yeah yep nope hmm oh any one new using use used want need needs like see seems seem now able
know think sure sorry mate bro lot lots much many great awesome amazing`).split(/\s+/),
);

/** Aliases folded into one term before stemming. */
const ALIASES: Record<string, string> = {
  k8s: "kubernetes",
  kube: "kubernetes",
  pg: "postgres",
  postgresql: "postgres",
  psql: "postgres",
  hw: "homework",
  hws: "homework",
  homeworks: "homework",
  env: "environment",
  envs: "environment",
  venv: "virtualenv",
  virtualenvs: "virtualenv",
  py: "python",
  python3: "python",
  scikit: "sklearn",
  np: "numpy",
  pd: "pandas",
  tf: "tensorflow",
  wsl2: "wsl",
  win: "windows",
  win10: "windows",
  win11: "windows",
  macos: "mac",
  osx: "mac",
  macbook: "mac",
  m1: "mac",
  m2: "mac",
  m3: "mac",
  dir: "folder",
  directory: "folder",
  directories: "folder",
  folders: "folder",
  repo: "repository",
  repos: "repository",
  db: "database",
  cmd: "command",
  img: "image",
  pkg: "package",
  cert: "certificate",
  certs: "certificate",
  vscode: "vs-code",
  ipynb: "notebook",
  nb: "notebook",
  jupyterlab: "jupyter",
  pip3: "pip",
  creds: "credentials",
  deps: "dependencies",
  compose: "docker-compose",
  mins: "minutes",
  ec2: "ec2",
};

/** Related words: a query term also looks for these, at a lower weight. */
const RELATED: Record<string, string[]> = {
  docker: ["contain"],
  contain: ["docker"],
  kubernetes: ["kubectl"],
  kubectl: ["kubernetes"],
  deadlin: ["due"],
  due: ["deadlin"],
  late: ["deadlin"],
};

const EXCEPTION_RE = /\b[A-Z][A-Za-z0-9]*(?:Error|Exception|Warning|Failure)\b/g;
const ERROR_LINE_RE =
  /\b[A-Z][A-Za-z0-9]*(?:Error|Exception|Warning)\b|traceback|\berror\b|\bfailed\b|not found|not recognized|no module named|cannot|can't|unable to|denied|refused|invalid|not allowed|no such file|not supported|deprecated|out of memory|no space|already allocated|has no attribute|unexpected keyword/i;
/**
 * A file path: only its last two parts say anything (`openai/__init__.py`);
 * `/usr/local/lib/python3.10/site-packages` is the same on every machine.
 */
const PATH_RE = /(?:[A-Za-z]:)?(?:[\\/][\w.~@+-]+)*[\\/]([\w.~@+-]+[\\/][\w.~@+-]+)(?=$|[\s"'`),:;\]])/g;
const TOKEN_RE = /[\p{L}\p{N}_]+(?:[.\-][\p{L}\p{N}_]+)*/gu;

/**
 * Removes what never says what a question is about: mentions, links (but a
 * local address such as `localhost:8080` stays), emoji codes and pictographs,
 * and image placeholders. Curly quotes become straight ones.
 *
 * @param text Raw text.
 * @returns Cleaned text, lines kept.
 */
export function cleanText(text: string): string {
  return text
    .replace(/[\u2018\u2019\u201B]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .replace(/<\{IMAGE:[^}]*\}>/g, " ")
    .replace(/https?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(:\d+)?\S*/gi, (_m, port) => ` localhost ${port ?? ""} `)
    .replace(/<?https?:\/\/[^\s>|]+(?:\|([^>]*)>)?>?/g, (_m, label) => ` ${label ?? ""} `)
    .replace(/(^|\s)@[\p{L}\p{N}._-]+(?:\s+[A-Z][\p{L}]+)?/gu, "$1 ")
    .replace(/:[a-z0-9_+'-]+:/g, " ")
    .replace(
      /\b(?:thanks|thank you|thx|ty)(?: (?:so|very) much| a lot)?(?: (?:for|to) (?:the|this|your|our) (?:great )?(?:course|help|lecture|answer|reply|response|support|work))?/gi,
      " ",
    )
    .replace(/\p{Extended_Pictographic}/gu, " ");
}

function camelParts(word: string): string[] {
  return word
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(" ");
}

/**
 * The normalized form of one word: lowercased, aliases folded, stemmed.
 *
 * @param word One word (no separators).
 * @returns The term, or "" when it is a stopword or too short to mean anything.
 */
export function normalizeWord(word: string): string {
  let w = word.toLowerCase();
  if (STOP.has(w)) return "";
  w = ALIASES[w] ?? w;
  if (/^\d$/.test(w) || w.length < 2 && !/\d/.test(w)) return "";
  if (/^[a-z]+$/.test(w) && w.length > 3) w = stemmer(w);
  return STOP.has(w) ? "" : w;
}

function addTerm(out: TermWeights, term: string, weight: number): void {
  if (term) out.set(term, (out.get(term) ?? 0) + weight);
}

/** Adds the terms of one token: the compound whole, when it is one, and its parts. */
function addToken(out: TermWeights, token: string, weight: number, expand: boolean): void {
  const pieces = token.split(/[.\-_]+/).filter(Boolean);
  const parts = pieces.flatMap(camelParts).filter(Boolean);
  if (parts.length > 1) {
    const whole = token.toLowerCase();
    if (!STOP.has(whole)) addTerm(out, whole, weight);
  }
  for (const p of parts) {
    const t = normalizeWord(p);
    if (!t) continue;
    addTerm(out, t, weight);
    if (expand) { for (const r of RELATED[t] ?? []) addTerm(out, r, weight * 0.3); }
  }
}

/**
 * Turns text into weighted terms.
 *
 * @param text The text (a question, an FAQ field, a Slack message).
 * @param options Whether it is the query side.
 * @returns Terms and weights.
 * @example
 * ```ts
 * import { analyze } from "./text.ts";
 * [...analyze("Hi all! pipenv: command not found :(", { query: true }).keys()]; // ["pipenv", "command", "found"]
 * ```
 */
export function analyze(text: string, options: AnalyzeOptions = {}): TermWeights {
  const out: TermWeights = new Map();
  const query = options.query ?? false;
  const seen = new Set<string>();
  for (let line of cleanText(text).split("\n")) {
    const frame = /^\s*File "([^"]*)", line \d+/.exec(line);
    if (frame) line = (frame[1]!.split(/[\\/]/).pop() ?? "").replace(/\.py$/, "");
    // A log pasted with the same line many times says it once.
    const key = line.trim();
    if (query && key.length > 20) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    line = line.replace(PATH_RE, (_m, tail: string) => ` ${tail} `);
    const errorLine = query && ERROR_LINE_RE.test(line);
    const w = errorLine ? 2 : 1;
    if (query) {
      for (const m of line.matchAll(EXCEPTION_RE)) addTerm(out, m[0].toLowerCase(), 2);
    }
    for (const m of line.matchAll(TOKEN_RE)) addToken(out, m[0], w, query);
  }
  return out;
}

/**
 * Plain tokens for the TF-IDF baseline: lowercase words of letters and digits,
 * nothing removed, nothing stemmed.
 *
 * @param text The text.
 * @returns Term counts.
 */
export function plainTerms(text: string): TermWeights {
  const out: TermWeights = new Map();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) addTerm(out, m[0], 1);
  return out;
}
